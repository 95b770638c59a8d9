/**
 * Notifies each target of an incident at most once, across re-runs, retried datums and parallel
 * workers: a delivery in the ledger is reproduced, not repeated. The one window for a repeat is
 * a process killed after the provider accepted a message and before the ledger holds it. A
 * user's `maxPerHour` caps each channel: a delivery first claims one of the hour's slots in the
 * ledger (first writer wins, so parallel datums cannot exceed it); without a free slot it is
 * recorded `held`, and listed under its hour for the digests pipeline, which sends one digest
 * for them once the hour has closed (digest.ts).
 */
import type { Delivery } from '../../specs/index.js';
import { parseIncidentId } from '../../src/contract/incident-id.js';
import type { ChannelResult, Env, Notice } from './channels/channel.js';
import { sendEmail } from './channels/email.js';
import { sendPagerDuty } from './channels/pagerduty.js';
import { sendWebhook } from './channels/webhook.js';
import type { Incident } from './core.js';
import {
  capScope,
  heldKey,
  heldScope,
  hourOf,
  incidentSummary,
  SUMMARY_KEY,
  type HeldDelivery,
  type SlotHolder,
} from './ledger/entries.js';
import type { Ledger } from './ledger/ledger.js';
import { expandTargets, type Target } from './targets.js';

/** Test hook: SIGKILL right after a provider accepted a message, before the ledger write. */
export const CRASH_AFTER_SEND_ENV = 'VIGIL_ALERT_CRASH_AFTER_SEND';

function send(notice: Notice, target: Target, env: Env): Promise<ChannelResult> {
  switch (target.channel) {
    case 'email':
      return sendEmail(notice, target, env);
    case 'pagerduty':
      return sendPagerDuty(notice, target, env);
    case 'webhook':
      return sendWebhook(notice, target, env);
  }
}

/**
 * The delivery of this target under an earlier id of the same incident: a late frame moved the
 * incident's start, or joined it to another, after that id was notified. The earliest wins.
 */
async function earlierDelivery(
  ledger: Ledger,
  incident: Incident,
  target: string,
): Promise<{ id: string; delivery: Delivery } | undefined> {
  const { source, day } = parseIncidentId(incident.id)!;
  const from = Date.parse(incident.first.capturedAt);
  const to = Date.parse(incident.last.capturedAt);
  // An incident lies within one UTC day (one alerts datum), so the earlier ids are of that day too.
  const candidates = (await ledger.incidentsOf(source, day))
    .flatMap((id) => {
      const parts = id === incident.id ? null : parseIncidentId(id);
      return parts?.source === source && parts.ruleId === incident.rule.id ? [{ id, start: parts.start.getTime() }] : [];
    })
    .filter(({ start }) => start >= from && start <= to)
    .sort((a, b) => a.start - b.start);
  for (const { id } of candidates) {
    const delivery = await ledger.get<Delivery>(id, target);
    if (delivery) return { id, delivery };
  }
  return undefined;
}

/** Claims one of the `max` slots of the user's channel this hour for (incident, target); false when all are taken. */
export async function claimSlot(ledger: Ledger, user: string, target: Target, incident: string, max: number, now: Date): Promise<boolean> {
  const scope = capScope(user, target.channel, now);
  const mine = (h: SlotHolder | undefined) => h?.incident === incident && h.target === target.key;
  for (let slot = 1; slot <= max; slot++) {
    const holder = await ledger.get<SlotHolder>(scope, `slot${slot}`);
    if (mine(holder)) return true;
    if (holder) continue;
    if (mine(await ledger.record<SlotHolder>(scope, `slot${slot}`, { incident, target: target.key }))) return true;
  }
  return false;
}

async function deliverOne(notice: Notice, target: Target, ledger: Ledger, env: Env): Promise<Delivery> {
  const { incident } = notice;
  const recorded = await ledger.get<Delivery>(incident.id, target.key);
  if (recorded) return recorded;
  const earlier = await earlierDelivery(ledger, incident, target.key);
  if (earlier) return { ...earlier.delivery, status: 'grouped', deliveredAs: earlier.id };

  const base = { channel: target.channel, target: target.key, recipient: target.recipient };
  await ledger.record(incident.id, SUMMARY_KEY, incidentSummary(incident));
  const cap = incident.targets.maxPerHour;
  const now = new Date();
  if (cap !== undefined && !(await claimSlot(ledger, incident.user, target, incident.id, cap, now))) {
    // Listed for the digest before it is recorded held, so no held delivery is left out of one.
    const listed: HeldDelivery = { user: incident.user, incident: incident.id, target, maxPerHour: cap };
    await ledger.record(heldScope(hourOf(now)), heldKey(incident.id, target.key), listed);
    const held: Delivery = {
      ...base,
      status: 'held',
      attempts: 0,
      error: `over ${cap} ${target.channel} notifications an hour: in the next digest`,
    };
    return ledger.record(incident.id, target.key, held);
  }
  const result = await send(notice, target, env);
  const delivery = deliveryOf(base, result);
  if (delivery.status === 'sent' && env[CRASH_AFTER_SEND_ENV] === '1') process.kill(process.pid, 'SIGKILL');
  return kept(result) ? ledger.record(incident.id, target.key, delivery) : delivery;
}

/** What a channel's result comes to, as a Delivery to `base`'s target. */
export function deliveryOf(base: Pick<Delivery, 'channel' | 'target' | 'recipient'>, result: ChannelResult): Delivery {
  if ('skipped' in result) return { ...base, status: 'skipped', attempts: 0, error: result.skipped };
  if ('unsent' in result) return { ...base, status: 'failed', attempts: 0, error: result.unsent };
  return {
    ...base,
    status: result.outcome === 'ok' ? 'sent' : 'failed',
    attempts: result.attempts,
    ...result.result,
    firstAttemptAt: result.firstAttemptAt,
    lastAttemptAt: result.lastAttemptAt,
  };
}

/**
 * Whether the ledger keeps the result: a success, and a final refusal (it would be refused
 * again). A transient failure, a missing secret or a wrong setting stay out of it, so the next
 * run tries again once it may succeed.
 */
export function kept(result: ChannelResult): boolean {
  return 'outcome' in result && result.outcome !== 'retry';
}

/** One Delivery per target of the incident, in target order; a failure never stops the others. */
export async function deliver(notice: Notice, ledger: Ledger, env: Env): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (const target of expandTargets(notice.incident.user, notice.incident.targets)) {
    deliveries.push(await deliverOne(notice, target, ledger, env));
  }
  return deliveries;
}
