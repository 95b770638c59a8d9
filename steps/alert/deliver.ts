/**
 * Notifies each target of an incident at most once, across re-runs and retried datums: a
 * delivery in the ledger is reproduced, not repeated. The one window for a repeat is a process
 * killed after the provider accepted a message and before the ledger holds it.
 */
import type { Delivery } from '../../specs/index.js';
import type { Env } from './channels/channel.js';
import { sendEmail } from './channels/email.js';
import { sendPagerDuty } from './channels/pagerduty.js';
import { sendWebhook } from './channels/webhook.js';
import { parseIncidentId } from '../../src/contract/incident-id.js';
import type { Incident } from './core.js';
import type { Ledger } from './ledger.js';
import { expandTargets, type Target } from './targets.js';

/** Test hook: SIGKILL right after a provider accepted a message, before the ledger write. */
export const CRASH_AFTER_SEND_ENV = 'VIGIL_ALERT_CRASH_AFTER_SEND';

function send(incident: Incident, target: Target, env: Env) {
  switch (target.channel) {
    case 'email':
      return sendEmail(incident, target, env);
    case 'pagerduty':
      return sendPagerDuty(incident, target, env);
    case 'webhook':
      return sendWebhook(incident, target, env);
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
  const source = `${incident.user}-${incident.device}`;
  const from = Date.parse(incident.first.capturedAt);
  const to = Date.parse(incident.last.capturedAt);
  const candidates = (await ledger.incidentsOf(source))
    .flatMap((id) => {
      const parts = id === incident.id ? null : parseIncidentId(id);
      return parts?.source === source && parts.ruleId === incident.rule.id ? [{ id, start: parts.start.getTime() }] : [];
    })
    .filter(({ start }) => start >= from && start <= to)
    .sort((a, b) => a.start - b.start);
  for (const { id } of candidates) {
    const delivery = await ledger.get(id, target);
    if (delivery) return { id, delivery };
  }
  return undefined;
}

async function deliverOne(incident: Incident, target: Target, ledger: Ledger, env: Env): Promise<Delivery> {
  const recorded = await ledger.get(incident.id, target.key);
  if (recorded) return recorded;
  const earlier = await earlierDelivery(ledger, incident, target.key);
  if (earlier) return { ...earlier.delivery, status: 'grouped', deliveredAs: earlier.id };

  const base = { channel: target.channel, target: target.key, recipient: target.recipient };
  const result = await send(incident, target, env);
  if ('skipped' in result) return { ...base, status: 'skipped', attempts: 0, error: result.skipped };
  const delivery: Delivery = {
    ...base,
    status: result.outcome === 'ok' ? 'sent' : 'failed',
    attempts: result.attempts,
    ...result.result,
    firstAttemptAt: result.firstAttemptAt,
    lastAttemptAt: result.lastAttemptAt,
  };
  if (result.outcome === 'ok' && env[CRASH_AFTER_SEND_ENV] === '1') process.kill(process.pid, 'SIGKILL');
  // Transient failures stay out of the ledger, so the datum's next run tries again; a final
  // refusal would be refused again and is kept, like a success.
  return result.outcome === 'retry' ? delivery : ledger.record(incident.id, delivery);
}

/** One Delivery per target of the incident, in target order; a failure never stops the others. */
export async function deliver(incident: Incident, ledger: Ledger, env: Env): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (const target of expandTargets(incident.targets)) deliveries.push(await deliverOne(incident, target, ledger, env));
  return deliveries;
}
