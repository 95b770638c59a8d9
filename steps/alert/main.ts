/**
 * `vigil step alert`: one datum is every match of one device on one UTC day, with that
 * device-day's validated frames (a group input on `matches` and `validated`). Groups the matches
 * into incidents; for each, renders the snapshot (the first frame, boxed), notifies the targets
 * once, and writes `/<user>-<device>/<incident>.json` (an Alert record) and `<incident>.jpg`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertValid, type Alert } from '../../specs/index.js';
import { incidentPaths } from '../../src/contract/incident-id.js';
import { REPOS } from '../../src/contract/repos.js';
import { framePath, incidentPath, publicBase } from '../../src/contract/portal-urls.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { VigilError } from '../../src/pfs/errors.js';
import { sha256, writeJsonOutput, writeOutput } from '../../src/pfs/files.js';
import { groupedInput, inputFiles, type InputFile } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { readRecord } from '../../src/pfs/records.js';
import type { Env, Notice, PortalLinks } from './channels/channel.js';
import { deliver } from './deliver.js';
import { groupIncidents, type Incident, type MatchInput } from './core.js';
import { LEDGER_URL_SECRET, openLedger, type Ledger } from './ledger/ledger.js';
import { readSecret } from './secrets.js';
import { renderSnapshot } from './snapshot.js';

/** The files of a group input; none when this device-day has none of that repo's files. */
function groupFiles(env: Env, name: string): InputFile[] {
  const input = groupedInput(env, name);
  return existsSync(input.path) ? inputFiles(input) : [];
}

/** Every match record of the datum; a file that is not one is reported and left out. */
function readMatches(env: Env): MatchInput[] {
  const inputs: MatchInput[] = [];
  for (const file of groupFiles(env, REPOS.matches)) {
    if (!file.repoPath.endsWith('.json')) continue;
    try {
      const { record: match, ref } = readRecord(file, 'match');
      inputs.push({ match, ref });
    } catch (e) {
      if (!(e instanceof VigilError)) throw e;
      process.stderr.write(`alert: skipped ${e.message}\n`);
    }
  }
  return inputs;
}

/** The incident's first frame from the datum's validated files, if it is there with the bytes the match names. */
function firstFrame(incident: Incident, frames: Map<string, InputFile>): Uint8Array | undefined {
  const { repo, path, sha256: expected } = incident.first.frame;
  const file = repo === REPOS.validated ? frames.get(path) : undefined;
  if (!file) return undefined;
  const bytes = readFileSync(file.path);
  return sha256(bytes) === expected ? bytes : undefined;
}

/** The portal's links for the incident; undefined without VIGIL_PUBLIC_URL. */
function portalLinks(incident: Incident, snapshotPath: string | undefined, env: Env): PortalLinks | undefined {
  const base = publicBase(env);
  if (!base) return undefined;
  const { repo, commit, path } = incident.first.frame;
  const outputCommit = env.PACH_OUTPUT_COMMIT_ID;
  return {
    incident: base + incidentPath(incident.id),
    ...(commit ? { frame: base + framePath(repo, commit, path) } : {}),
    ...(snapshotPath && outputCommit ? { snapshot: base + framePath(REPOS.alerts, outputCommit, snapshotPath) } : {}),
  };
}

function alertRecord(incident: Incident, snapshot: Alert['snapshot'], deliveries: Alert['deliveries']): Alert {
  const { id, user, device, timezone, camera, rule, first, last, frameCount, objects, matches } = incident;
  const named = camera.name || camera.site ? { camera } : {};
  const record = {
    id,
    user,
    device,
    timezone,
    ...named,
    rule,
    first,
    last,
    frameCount,
    objects,
    matches,
    ...(snapshot ? { snapshot } : {}),
    deliveries,
  };
  return assertValid('alert', record, `alert ${id}`);
}

async function handleIncident(incident: Incident, frames: Map<string, InputFile>, ledger: Ledger, env: Env): Promise<void> {
  const paths = incidentPaths(incident.id);
  const frame = firstFrame(incident, frames);
  let jpeg: Buffer | undefined;
  if (frame) {
    try {
      jpeg = await renderSnapshot(frame, incident.objects);
    } catch (e) {
      process.stderr.write(`alert: no snapshot for ${incident.id}: ${(e as Error).message}\n`);
    }
  }
  const snapshotPath = jpeg ? paths.snapshot : undefined;
  if (jpeg && snapshotPath) writeOutput(join(outDir(env), snapshotPath), jpeg);
  const notice: Notice = { incident, ...(jpeg ? { snapshot: jpeg } : {}), links: portalLinks(incident, snapshotPath, env) };
  const deliveries = await deliver(notice, ledger, env);
  const snapshot = jpeg && snapshotPath ? { path: snapshotPath, sha256: sha256(jpeg), size: jpeg.length } : undefined;
  writeJsonOutput(join(outDir(env), paths.record), alertRecord(incident, snapshot, deliveries));
}

export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    // One ledger handle a datum: a process without datum batching must be free to exit after it.
    const ledger = await openLedger(env, await readSecret(LEDGER_URL_SECRET, env));
    try {
      const frames = new Map(groupFiles(env, REPOS.validated).map((f) => [f.repoPath, f]));
      for (const incident of groupIncidents(readMatches(env))) await handleIncident(incident, frames, ledger, env);
    } finally {
      await ledger.close();
    }
  });
}
