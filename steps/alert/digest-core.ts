/**
 * Rate-cap digests, pure: which hours a tick may summarise, and which digest each held delivery
 * goes into. A held delivery is claimed for a digest in the ledger (first writer wins), so one
 * whose digest failed to go out stays in that digest when a later tick tries again; digest.ts
 * does the I/O.
 */
import type { IncidentSummary } from '../../specs/index.js';
import { addHours, hourOf, hourStart, type HeldDelivery } from './ledger/entries.js';
import type { Target } from './targets.js';

/** An hour is summarised this long after it ends, so that a delivery held in its last moments is listed in it by then. */
export const DIGEST_GRACE_MS = 5 * 60_000;

/** How many hours back a tick looks for ones no digest tick has covered: a week. */
export const LOOKBACK_HOURS = 168;

/** The latest UTC hour that is closed at `tick`: it ended at least DIGEST_GRACE_MS before. */
export function lastClosedHour(tick: Date): string {
  return addHours(hourOf(new Date(tick.getTime() - DIGEST_GRACE_MS)), -1);
}

/** A held delivery, the hour it was held in, and the digest that claimed it. */
export interface Claim {
  held: HeldDelivery;
  hour: string;
  digest: string;
}

/** One digest to one target: the held incidents it summarises. */
export interface DigestPlan {
  /** `digest-<user>-<hour>`, the ledger scope of its deliveries. */
  id: string;
  user: string;
  target: Target;
  maxPerHour: number;
  /** The first and the last hour of the incidents it summarises (`YYYYMMDDHH`). */
  hours: { first: string; last: string };
  incidents: string[];
}

/** The claims by digest and target, each incident once; ordered by digest id, then target key. */
export function planDigests(claims: readonly Claim[]): DigestPlan[] {
  const plans = new Map<string, DigestPlan>();
  for (const { held, hour, digest } of claims) {
    const key = `${digest}\0${held.target.key}`;
    const plan = plans.get(key);
    if (!plan) {
      plans.set(key, {
        id: digest,
        user: held.user,
        target: held.target,
        maxPerHour: held.maxPerHour,
        hours: { first: hour, last: hour },
        incidents: [held.incident],
      });
      continue;
    }
    if (!plan.incidents.includes(held.incident)) plan.incidents.push(held.incident);
    if (hour < plan.hours.first) plan.hours.first = hour;
    if (hour > plan.hours.last) plan.hours.last = hour;
  }
  return [...plans.values()]
    .map((p) => ({ ...p, incidents: [...p.incidents].sort() }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.target.key < b.target.key ? -1 : a.target.key > b.target.key ? 1 : 0));
}

/** A digest as the channels word it: the plan with its incidents' summaries and the window in UTC. */
export interface Digest {
  id: string;
  user: string;
  maxPerHour: number;
  channel: Target['channel'];
  from: string;
  to: string;
  incidents: IncidentSummary[];
}

export function digestOf(plan: DigestPlan, incidents: IncidentSummary[]): Digest {
  return {
    id: plan.id,
    user: plan.user,
    maxPerHour: plan.maxPerHour,
    channel: plan.target.channel,
    from: hourStart(plan.hours.first).toISOString(),
    to: hourStart(addHours(plan.hours.last, 1)).toISOString(),
    incidents: [...incidents].sort((a, b) => a.firstCapturedAt.localeCompare(b.firstCapturedAt) || a.id.localeCompare(b.id)),
  };
}
