/**
 * What the alert ledger holds, and under which keys. Scopes: an incident id (its summary, one
 * Delivery per target, its withdrawal, resolves and digest marks); `cap-<user>-<channel>-<hour>`
 * (the rate cap's slots); `held-<hour>` (every delivery the cap held in that UTC hour, all
 * customers, and the digest tick's mark once it has sent them); `digest-<user>-<hour>` (a
 * digest's Delivery per target). Hours are UTC clock hours, `YYYYMMDDHH`.
 */
import type { IncidentSummary, Withdrawal } from '../../../specs/index.js';
import type { Incident } from '../core.js';
import type { Target } from '../targets.js';

export const SUMMARY_KEY = 'incident';
export const WITHDRAWN_KEY = 'withdrawn';
export const resolveKey = (target: string) => `resolve.${target}`;
export const digestMarkKey = (target: string) => `digest.${target}`;

/** Whether a key of an incident scope is a target's Delivery. */
export function isDeliveryKey(key: string): boolean {
  return key !== SUMMARY_KEY && key !== WITHDRAWN_KEY && !key.includes('.');
}

const HOUR_MS = 3_600_000;

/** The UTC clock hour of `at`, as scopes name it: `2026112604`. */
export function hourOf(at: Date): string {
  return at.toISOString().slice(0, 13).replace(/[-T]/g, '');
}

/** When the hour `YYYYMMDDHH` starts. */
export function hourStart(hour: string): Date {
  return new Date(Date.UTC(+hour.slice(0, 4), +hour.slice(4, 6) - 1, +hour.slice(6, 8), +hour.slice(8, 10)));
}

/** The hour `n` hours after `hour` (before it when negative). */
export function addHours(hour: string, n: number): string {
  return hourOf(new Date(hourStart(hour).getTime() + n * HOUR_MS));
}

/** A user's rate-cap scope for one channel and one UTC clock hour. */
export function capScope(user: string, channel: string, at: Date): string {
  return `cap-${user}-${channel}-${hourOf(at)}`;
}

/** Who holds a cap slot. */
export interface SlotHolder {
  incident: string;
  target: string;
}

/** The scope of the deliveries held in one UTC hour. */
export const heldScope = (hour: string) => `held-${hour}`;
export const heldKey = (incident: string, target: string) => `${incident}.${target}`;
/** In a held scope: the digest tick that sent everything held up to the end of that hour. */
export const DIGESTED_KEY = 'digested';

/** A held delivery as its hour's scope lists it: whom to tell in the digest, and how. */
export interface HeldDelivery {
  user: string;
  incident: string;
  target: Target;
  /** The cap that held it. */
  maxPerHour: number;
}

/** The digest tick's mark on the last hour it covered. */
export interface DigestedMark {
  tick: string;
}

/** A digest of `user`'s held deliveries, named by the last hour it covers: `digest-u1-2026112604`. */
export const digestScope = (user: string, hour: string) => `digest-${user}-${hour}`;

/** A digest's mark on an incident it summarised, for one target. */
export interface DigestMark {
  digest: string;
}

export type { IncidentSummary, Withdrawal };

/** The incident as the ledger keeps it: enough to show and resolve it once its record is gone. */
export function incidentSummary(incident: Incident): IncidentSummary {
  const { id, user, device, camera, timezone, rule, first, firstMatch } = incident;
  return {
    id,
    user,
    device,
    ...(camera.name || camera.site ? { camera } : {}),
    timezone,
    rule,
    firstCapturedAt: first.capturedAt,
    localTime: first.localTime,
    frame: first.frame,
    match: first.match,
    model: firstMatch.model,
    rules: firstMatch.rules,
  };
}
