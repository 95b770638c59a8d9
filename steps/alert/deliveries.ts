/**
 * `vigil step deliveries`: the deliveries pipeline's one datum per tick (a cron input crossed
 * with alerts, rules and models at `/`). Reads the whole alert ledger; records a withdrawal for
 * every delivered incident alerts@master no longer holds (first writer wins, so once); sends a
 * PagerDuty `resolve` (same dedup_key) for each page of a withdrawn incident, once; and writes
 * the record of every incident ever notified, `/<user>-<device>/<incident>.json`
 * (specs/deliveries.schema.json), so the deliveries repo versions what customers were told.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertValid, type Delivery } from '../../specs/index.js';
import { parseIncidentId } from '../../src/contract/incident-id.js';
import { REPOS } from '../../src/contract/repos.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { writeJsonOutput } from '../../src/pfs/files.js';
import { groupedInput, inputFiles } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import type { Env } from './channels/channel.js';
import { pagerDutyResolve, sendPagerDutyEvent } from './channels/pagerduty.js';
import { deliveriesRecord, ledgerIncidents, newWithdrawals, type LedgerIncident } from './deliveries-core.js';
import { resolveKey, WITHDRAWN_KEY } from './ledger/entries.js';
import { LEDGER_URL_SECRET, openLedger, type Ledger } from './ledger/ledger.js';
import { readSecret } from './secrets.js';
import type { PagerDutyTarget } from './targets.js';

/** The incident ids alerts@master holds: its `/<user>-<device>/<incident>.json` files. */
function presentIncidents(env: Env): Set<string> {
  const input = groupedInput(env, REPOS.alerts);
  if (!existsSync(input.path)) return new Set();
  return new Set(
    inputFiles(input)
      .map((f) => f.repoPath.split('/').at(-1)!)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter((id) => parseIncidentId(id) !== null),
  );
}

/** Resolves each page of a withdrawn incident that has no resolve yet; records each once. */
async function resolvePages(id: string, incident: LedgerIncident, ledger: Ledger, env: Env): Promise<void> {
  for (const page of incident.deliveries.filter((d) => d.channel === 'pagerduty' && d.status === 'sent')) {
    if (await ledger.get(id, resolveKey(page.target))) continue;
    const target: PagerDutyTarget = { channel: 'pagerduty', key: page.target, recipient: page.recipient, routingKeyEnv: page.recipient };
    const result = await sendPagerDutyEvent(incident.summary.user, target, env, (key) => pagerDutyResolve(id, key));
    const base = { channel: 'pagerduty' as const, target: page.target, recipient: page.recipient };
    if ('skipped' in result || 'unsent' in result) {
      process.stderr.write(`deliveries: resolve of ${id} not sent: ${'skipped' in result ? result.skipped : result.unsent}\n`);
      continue;
    }
    const resolve: Delivery = {
      ...base,
      status: result.outcome === 'ok' ? 'sent' : 'failed',
      attempts: result.attempts,
      ...result.result,
      firstAttemptAt: result.firstAttemptAt,
      lastAttemptAt: result.lastAttemptAt,
    };
    // A transient failure is tried again on the next tick.
    if (result.outcome !== 'retry') await ledger.record(id, resolveKey(page.target), resolve);
  }
}

async function tick(env: Env, ledger: Ledger): Promise<void> {
  const now = {
    alertsCommit: env[`${REPOS.alerts}_COMMIT`] ?? 'unknown',
    ...(env[`${REPOS.models}_COMMIT`] ? { modelsCommit: env[`${REPOS.models}_COMMIT`] } : {}),
    ...(env[`${REPOS.rules}_COMMIT`] ? { rulesCommit: env[`${REPOS.rules}_COMMIT`] } : {}),
  };
  let incidents = ledgerIncidents(await ledger.entries());
  for (const { id, withdrawal } of newWithdrawals(incidents, presentIncidents(env), now, new Date())) {
    await ledger.record(id, WITHDRAWN_KEY, withdrawal);
  }
  incidents = ledgerIncidents(await ledger.entries());
  for (const [id, incident] of incidents) if (incident.withdrawn) await resolvePages(id, incident, ledger, env);
  incidents = ledgerIncidents(await ledger.entries());
  for (const [id, incident] of incidents) {
    const record = assertValid('deliveries', deliveriesRecord(incident), `deliveries of ${id}`);
    writeJsonOutput(join(outDir(env), `${incident.summary.user}-${incident.summary.device}`, `${id}.json`), record);
  }
}

export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const ledger = await openLedger(env, await readSecret(LEDGER_URL_SECRET, env));
    try {
      await tick(env, ledger);
    } finally {
      await ledger.close();
    }
  });
}
