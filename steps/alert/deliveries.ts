/**
 * `vigil step deliveries`: one datum is one device's UTC day (pipelines/deliveries.yaml groups
 * that device-day's validated frames, its alert records and the digests' marks, crossed with
 * models and rules for their commits). Reads the alert ledger's entries of that device-day only;
 * records a withdrawal for each delivered incident that alerts@master no longer holds (first
 * writer wins, so once); sends a PagerDuty `resolve` (same dedup_key) for each page of a withdrawn
 * incident, once; and writes the record of each incident of the day ever notified,
 * `/<user>-<device>/<incident>.json` (specs/deliveries.schema.json).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertValid, type Delivery } from '../../specs/index.js';
import { parseFramePath } from '../../src/contract/frame-path.js';
import { incidentOfRecordPath, incidentPaths, parseIncidentId } from '../../src/contract/incident-id.js';
import { REPOS, VALIDATED_FOLDERS } from '../../src/contract/repos.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { VigilError } from '../../src/pfs/errors.js';
import { writeJsonOutput } from '../../src/pfs/files.js';
import { groupedInput, inputFiles, type InputFile } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import type { Env } from './channels/channel.js';
import { pagerDutyResolve, sendPagerDutyEvent } from './channels/pagerduty.js';
import { deliveriesRecord, ledgerIncident, withdrawalDue, type CurrentVersions, type LedgerIncident } from './deliveries-core.js';
import { digestScope, resolveKey, WITHDRAWN_KEY } from './ledger/entries.js';
import { LEDGER_URL_SECRET, openLedger, type Ledger } from './ledger/ledger.js';
import { deliveryOf, kept } from './deliver.js';
import { readSecret } from './secrets.js';
import type { PagerDutyTarget } from './targets.js';

/** The files of a group input; none when this device-day has none of that repo's files. */
function groupFiles(env: Env, name: string): InputFile[] {
  const input = groupedInput(env, name);
  return existsSync(input.path) ? inputFiles(input) : [];
}

/** `<user>-<device>` and `YYYYMMDD` of a file of the datum. */
function deviceDayOf(file: InputFile): { source: string; day: string } | undefined {
  if (file.name === REPOS.validated) {
    const frame = parseFramePath(file.repoPath.slice(`/${VALIDATED_FOLDERS.valid}`.length));
    return 'error' in frame ? undefined : { source: frame.source, day: frame.ts.slice(0, 8) };
  }
  // A record of alerts or of digests: `/<user>-<device>/<incident>.json`.
  const incident = incidentOfRecordPath(file.repoPath);
  return incident ? parseIncidentId(incident)! : undefined;
}

/** The datum's device-day, which every one of its files must share. */
function datumDeviceDay(files: InputFile[]): { source: string; day: string } {
  const keys = new Map<string, { source: string; day: string }>();
  for (const file of files) {
    const at = deviceDayOf(file);
    if (at) keys.set(`${at.source}-${at.day}`, at);
  }
  if (keys.size !== 1) {
    throw new VigilError(
      `a deliveries datum is one device-day; this one holds ${keys.size === 0 ? 'none' : [...keys.keys()].join(', ')} (check the group input of pipelines/deliveries.yaml)`,
    );
  }
  return [...keys.values()][0]!;
}

/** The incident's entries and, for each digest that named it, the digest's delivery. */
async function readIncident(id: string, ledger: Ledger): Promise<LedgerIncident | undefined> {
  const incident = ledgerIncident(await ledger.entriesOf(id));
  if (!incident) return undefined;
  for (const ref of incident.digests) {
    const digest = parseDigestId(ref.digest);
    const delivery = digest ? await ledger.get<Delivery>(digestScope(digest.user, digest.hour), ref.target) : undefined;
    if (delivery) ref.delivery = delivery;
  }
  return incident;
}

/** `digest-<user>-<YYYYMMDDHH>` read back. */
function parseDigestId(id: string): { user: string; hour: string } | undefined {
  const m = /^digest-(.+)-(\d{10})$/.exec(id);
  return m ? { user: m[1]!, hour: m[2]! } : undefined;
}

/** Resolves each page of a withdrawn incident that has no resolve yet; records each once. */
async function resolvePages(id: string, incident: LedgerIncident, ledger: Ledger, env: Env): Promise<void> {
  for (const page of incident.deliveries.filter((d) => d.channel === 'pagerduty' && d.status === 'sent')) {
    if (await ledger.get(id, resolveKey(page.target))) continue;
    const target: PagerDutyTarget = { channel: 'pagerduty', key: page.target, recipient: page.recipient, routingKeyEnv: page.recipient };
    const result = await sendPagerDutyEvent(incident.summary.user, target, env, (key) => pagerDutyResolve(id, key));
    const resolve = deliveryOf({ channel: 'pagerduty', target: page.target, recipient: page.recipient }, result);
    if (kept(result)) await ledger.record(id, resolveKey(page.target), resolve);
    // A transient failure fails the datum: the engine tries it again, and so does the next job.
    else if ('outcome' in result) throw new VigilError(`the resolve of ${id} failed for now: ${resolve.error ?? 'no answer'}`);
    else process.stderr.write(`deliveries: resolve of ${id} not sent: ${resolve.error}\n`);
  }
}

async function deviceDay(env: Env, ledger: Ledger): Promise<void> {
  const files = [REPOS.validated, REPOS.alerts, REPOS.digests].flatMap((name) => groupFiles(env, name));
  const { source, day } = datumDeviceDay(files);
  const present = new Set(files.filter((f) => f.name === REPOS.alerts).flatMap((f) => incidentOfRecordPath(f.repoPath) ?? []));
  const commit = (repo: string) => env[`${repo}_COMMIT`];
  const now: CurrentVersions = {
    ...(commit(REPOS.alerts) ? { alertsCommit: commit(REPOS.alerts) } : {}),
    ...(commit(REPOS.models) ? { modelsCommit: commit(REPOS.models) } : {}),
    ...(commit(REPOS.rules) ? { rulesCommit: commit(REPOS.rules) } : {}),
  };
  for (const id of await ledger.incidentsOf(source, day)) {
    let incident = await readIncident(id, ledger);
    if (!incident) continue;
    const withdrawal = withdrawalDue(incident, present.has(id), now, new Date());
    if (withdrawal) await ledger.record(id, WITHDRAWN_KEY, withdrawal);
    if (withdrawal || incident.withdrawn) {
      // Read again: the withdrawal that holds may be another worker's, and the resolves are new.
      await resolvePages(id, incident, ledger, env);
      incident = (await readIncident(id, ledger))!;
    }
    const record = assertValid('deliveries', deliveriesRecord(incident), `deliveries of ${id}`);
    writeJsonOutput(join(outDir(env), incidentPaths(id).record), record);
  }
}

export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const ledger = await openLedger(env, await readSecret(LEDGER_URL_SECRET, env));
    try {
      await deviceDay(env, ledger);
    } finally {
      await ledger.close();
    }
  });
}
