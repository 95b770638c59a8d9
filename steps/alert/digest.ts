/**
 * `vigil step digest`: the digests pipeline's one datum, a cron tick (pipelines/digests.yaml).
 * Reads the held deliveries of the UTC hours closed since the last tick that sent everything
 * (`held-<hour>` scopes of the alert ledger: nothing else of it); claims each for a digest in the
 * ledger, so a retried tick sends the same digest, once; sends each customer one digest per
 * target (email, PagerDuty trigger, signed webhook) and records it; writes the marks of the
 * incidents it named, `/<user>-<device>/<incident>.json` (specs/digest-marks.schema.json); and
 * marks the last hour done once every digest went out.
 */
import { basename, join } from 'node:path';
import { assertValid, type Delivery, type DigestRef, type IncidentSummary } from '../../specs/index.js';
import { incidentPaths } from '../../src/contract/incident-id.js';
import { publicBase } from '../../src/contract/portal-urls.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { VigilError } from '../../src/pfs/errors.js';
import { writeJsonOutput } from '../../src/pfs/files.js';
import { datumInput } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import type { ChannelResult, Env } from './channels/channel.js';
import { composeDigestBody, pagerDutyDigestEvent, webhookDigestBody } from './channels/digest-message.js';
import { mailFrom, messageId, sendMail } from './channels/email.js';
import { sendPagerDutyEvent } from './channels/pagerduty.js';
import { sendWebhookPayload } from './channels/webhook.js';
import { deliveryOf, kept } from './deliver.js';
import { digestOf, lastClosedHour, LOOKBACK_HOURS, planDigests, type Claim, type Digest, type DigestPlan } from './digest-core.js';
import {
  addHours,
  DIGESTED_KEY,
  digestMarkKey,
  digestScope,
  heldScope,
  SUMMARY_KEY,
  type DigestedMark,
  type DigestMark,
  type HeldDelivery,
} from './ledger/entries.js';
import { LEDGER_URL_SECRET, openLedger, type Ledger } from './ledger/ledger.js';
import { readSecret } from './secrets.js';

/** The cron input's name in pipelines/digests.yaml. */
const TICK_INPUT = 'tick';

/** The tick's time, from its file's name (`/2026-11-26T05:05:00Z`, as Pachyderm names ticks). */
function tickTime(env: Env): Date {
  const name = basename(datumInput(env, TICK_INPUT).path);
  const at = new Date(name);
  if (Number.isNaN(at.getTime()))
    throw new VigilError(`the tick "${name}" is not an RFC 3339 time (the cron input ${TICK_INPUT} names each tick by its time)`);
  return at;
}

/** The hours up to `last` that no tick has covered, oldest first: back to the last one marked, at most LOOKBACK_HOURS. */
async function undigestedHours(ledger: Ledger, last: string): Promise<string[]> {
  const hours: string[] = [];
  for (let hour = last; hours.length < LOOKBACK_HOURS; hour = addHours(hour, -1)) {
    if (await ledger.get<DigestedMark>(heldScope(hour), DIGESTED_KEY)) break;
    hours.push(hour);
  }
  return hours.reverse();
}

/** Every held delivery of `hours`, each claimed for a digest: one named by `last`, unless an earlier tick claimed it. */
async function claimHeld(ledger: Ledger, hours: string[], last: string): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const hour of hours) {
    for (const entry of await ledger.entriesOf(heldScope(hour))) {
      if (entry.key === DIGESTED_KEY) continue;
      const held = entry.value as HeldDelivery;
      const mark = await ledger.record<DigestMark>(held.incident, digestMarkKey(held.target.key), { digest: digestScope(held.user, last) });
      claims.push({ held, hour, digest: mark.digest });
    }
  }
  return claims;
}

function sendDigest(digest: Digest, plan: DigestPlan, env: Env): Promise<ChannelResult> {
  const base = publicBase(env);
  const { target } = plan;
  switch (target.channel) {
    case 'email': {
      const body = composeDigestBody(digest, base);
      const mail = {
        from: mailFrom(env),
        to: target.address,
        subject: body.subject,
        messageId: messageId(digest.id, target),
        text: body.text,
        html: body.html,
      };
      return sendMail(mail, `${digest.id}.${target.key}.eml`, env);
    }
    case 'pagerduty':
      return sendPagerDutyEvent(digest.user, target, env, (key) => pagerDutyDigestEvent(digest, key, base));
    case 'webhook':
      return sendWebhookPayload(digest.user, target, env, `${digest.id}.${target.key}`, webhookDigestBody(digest, base));
  }
}

/** The plan's digest delivery: the one the ledger holds, else a new send (recorded unless it may succeed later). */
async function deliverDigest(plan: DigestPlan, ledger: Ledger, env: Env): Promise<{ delivery: Delivery; done: boolean }> {
  const recorded = await ledger.get<Delivery>(plan.id, plan.target.key);
  if (recorded) return { delivery: recorded, done: true };
  const summaries = await Promise.all(plan.incidents.map((id) => ledger.get<IncidentSummary>(id, SUMMARY_KEY)));
  const digest = digestOf(
    plan,
    summaries.filter((s): s is IncidentSummary => s !== undefined),
  );
  const result = await sendDigest(digest, plan, env);
  const delivery = deliveryOf({ channel: plan.target.channel, target: plan.target.key, recipient: plan.target.recipient }, result);
  if (!kept(result)) {
    process.stderr.write(`digest: ${plan.id} to ${plan.target.recipient} not sent, tried again at the next tick: ${delivery.error}\n`);
    return { delivery, done: false };
  }
  return { delivery: await ledger.record(plan.id, plan.target.key, delivery), done: true };
}

async function digestTick(tick: Date, ledger: Ledger, env: Env): Promise<void> {
  const last = lastClosedHour(tick);
  const hours = await undigestedHours(ledger, last);
  if (hours.length === 0) return;
  const marks = new Map<string, DigestRef[]>();
  let done = true;
  for (const plan of planDigests(await claimHeld(ledger, hours, last))) {
    const sent = await deliverDigest(plan, ledger, env);
    done &&= sent.done;
    for (const id of plan.incidents) {
      marks.set(id, [...(marks.get(id) ?? []), { target: plan.target.key, digest: plan.id, delivery: sent.delivery }]);
    }
  }
  for (const [incident, digests] of marks) {
    const record = assertValid('digest-marks', { incident, digests }, `digest marks of ${incident}`);
    writeJsonOutput(join(outDir(env), incidentPaths(incident).record), record);
  }
  if (done) await ledger.record<DigestedMark>(heldScope(last), DIGESTED_KEY, { tick: tick.toISOString() });
}

export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const ledger = await openLedger(env, await readSecret(LEDGER_URL_SECRET, env));
    try {
      await digestTick(tickTime(env), ledger, env);
    } finally {
      await ledger.close();
    }
  });
}
