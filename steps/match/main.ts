/**
 * `vigil step match`: one detection per datum, crossed with the whole rules repo and the whole
 * models repo (for the labels rule classes are checked against). Writes
 * /<user>-<device>/<ts>.json only when a rule fired.
 */
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { assertValid, type Detection, type FileRef } from '../../specs/index.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { sha256, writeJsonOutput } from '../../src/pfs/files.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';
import { VigilError } from '../../src/pfs/errors.js';
import { matchFrame, matchRecord } from './core.js';
import { compilePolicy, readModelLabels, readPolicyFiles, type LoadedPolicy } from './rules.js';

/** Input names of pipelines/matches.yaml; each is also its repo's name. */
const INPUTS = { detections: 'detections', rules: 'rules', models: 'models' } as const;

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new VigilError(`match: ${name} is not set; the pipeline's inputs are ${Object.values(INPUTS).join(', ')}`);
  return value;
}

/** The detection record, or a VigilError naming the file: the datum fails with a reason, not a stack. */
function parseDetection(bytes: Uint8Array, where: string): Detection {
  try {
    return assertValid('detection', JSON.parse(Buffer.from(bytes).toString('utf8')), where);
  } catch (e) {
    const message = (e as Error).message;
    throw new VigilError(message.startsWith(where) ? message : `${where}: ${message}`);
  }
}

async function loadPolicy(env: Record<string, string>): Promise<LoadedPolicy> {
  const rulesDir = required(env, INPUTS.rules);
  const files = await readPolicyFiles(rulesDir, `${INPUTS.rules}@${env[`${INPUTS.rules}_COMMIT`] ?? '?'}`);
  const labels = await readModelLabels(required(env, INPUTS.models), INPUTS.models);
  return compilePolicy(files, labels);
}

export async function main(): Promise<void> {
  // A commit never changes, so the policy is parsed and compiled once per rules and models
  // commit; a failure is kept too, so every datum of a bad rules commit fails at once, alike.
  let cached: { key: string; policy: Promise<LoadedPolicy> } | undefined;
  let unsubscribed = 0;

  await forEachDatum(async ({ env }) => {
    const rulesCommit = required(env, `${INPUTS.rules}_COMMIT`);
    const key = `${rulesCommit} ${env[`${INPUTS.models}_COMMIT`] ?? ''}`;
    if (cached?.key !== key) cached = { key, policy: loadPolicy(env) };
    const policy = await cached.policy;

    const detectionFile = required(env, INPUTS.detections);
    const path = '/' + relative(join(pfsRoot(env), INPUTS.detections), detectionFile).split(sep).join('/');
    const bytes = await readFile(detectionFile);
    const detection = parseDetection(bytes, `${INPUTS.detections}:${path}`);

    const outcome = matchFrame(policy.policy, detection);
    if (outcome.kind === 'unsubscribed') {
      unsubscribed++;
      process.stderr.write(`match: ${path}: no subscription names device "${detection.device}" of user "${detection.user}"; nothing fired (${unsubscribed} such frame(s) in this worker)\n`);
      return;
    }
    if (outcome.kind === 'quiet') return;

    const commit = env[`${INPUTS.detections}_COMMIT`];
    const detectionRef: FileRef = { repo: INPUTS.detections, ...(commit ? { commit } : {}), path, sha256: sha256(bytes), size: bytes.length };
    const record = matchRecord(detection, outcome, {
      detection: detectionRef,
      rules: { repo: INPUTS.rules, commit: rulesCommit, rulesSha256: policy.rulesSha256, subscriptionsSha256: policy.subscriptionsSha256 },
    });
    writeJsonOutput(join(outDir(env), path), record);
  });
}
