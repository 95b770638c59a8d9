/**
 * `vigil step alert`: one datum is every match of one device on one UTC day (a group input on
 * `matches`). Groups them into incidents, notifies each incident's targets once, and writes
 * `/<user>-<device>/<incident>.json` (an Alert record) per incident.
 */
import { join } from 'node:path';
import { assertValid, type Alert } from '../../specs/index.js';
import { REPOS } from '../../src/contract/repos.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { VigilError } from '../../src/pfs/errors.js';
import { writeJsonOutput } from '../../src/pfs/files.js';
import { groupedInput, inputFiles } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { readRecord } from '../../src/pfs/records.js';
import type { Env } from './channels/channel.js';
import { deliver } from './deliver.js';
import { groupIncidents, type Incident, type MatchInput } from './core.js';
import { Ledger } from './ledger.js';

/** Every match record of the datum; a file that is not one is reported and left out. */
function readMatches(env: Env): MatchInput[] {
  const inputs: MatchInput[] = [];
  for (const file of inputFiles(groupedInput(env, REPOS.matches))) {
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

function alertRecord(incident: Incident, deliveries: Alert['deliveries']): Alert {
  const { id, user, device, timezone, rule, first, last, frameCount, objects, matches } = incident;
  return assertValid('alert', { id, user, device, timezone, rule, first, last, frameCount, objects, matches, deliveries }, `alert ${id}`);
}

export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const ledger = Ledger.fromEnv(env);
    for (const incident of groupIncidents(readMatches(env))) {
      const deliveries = await deliver(incident, ledger, env);
      writeJsonOutput(join(outDir(env), `${incident.user}-${incident.device}`, `${incident.id}.json`), alertRecord(incident, deliveries));
    }
  });
}
