/**
 * `vigil step alert`: one datum is every match of one device on one UTC day (a group input on
 * `matches`). Groups them into incidents, notifies each incident's targets once, and writes
 * `/<user>-<device>/<incident>.json` (an Alert record) per incident.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { assertValid, type Alert, type FileRef } from '../../specs/index.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { sha256, writeJsonOutput } from '../../src/pfs/files.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';
import type { Env } from './channels/channel.js';
import { deliver } from './deliver.js';
import { groupIncidents, type Incident, type MatchInput } from './core.js';
import { Ledger } from './ledger.js';

/** The pipeline's input name, which is also the repo's. */
export const INPUT = 'matches';

/** Every match record of the datum; a file that is not one is reported and left out. */
async function readMatches(env: Env): Promise<MatchInput[]> {
  const root = join(pfsRoot(env), INPUT);
  const files = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((f) => f.isFile() && f.name.endsWith('.json'))
    .map((f) => join(f.parentPath, f.name))
    .sort();
  const inputs: MatchInput[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    const path = '/' + relative(root, file).split(sep).join('/');
    try {
      const match = assertValid('match', JSON.parse(bytes.toString('utf8')), `${INPUT}:${path}`);
      const commit = env[`${INPUT}_COMMIT`];
      const ref: FileRef = { repo: INPUT, ...(commit ? { commit } : {}), path, sha256: sha256(bytes), size: bytes.length };
      inputs.push({ match, ref });
    } catch (e) {
      process.stderr.write(`alert: skipped ${INPUT}:${path}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return inputs;
}

function alertRecord(incident: Incident, deliveries: Alert['deliveries']): Alert {
  const { id, user, device, timezone, rule, first, last, frameCount, objects, matches } = incident;
  return assertValid(
    'alert',
    { id, user, device, timezone, rule, first, last, frameCount, objects, matches, deliveries },
    `alert ${id}`,
  );
}

export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const ledger = Ledger.fromEnv(env);
    for (const incident of groupIncidents(await readMatches(env))) {
      const deliveries = await deliver(incident, ledger, env);
      writeJsonOutput(join(outDir(env), `${incident.user}-${incident.device}`, `${incident.id}.json`), alertRecord(incident, deliveries));
    }
  });
}
