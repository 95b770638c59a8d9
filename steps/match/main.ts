/**
 * `vigil step match`: one detection per datum, crossed with the whole rules repo and the whole
 * models repo (for the labels rule classes are checked against). Writes
 * /<user>-<device>/<ts>.json only when a rule fired.
 */
import { join } from 'node:path';
import { REPOS } from '../../src/contract/repos.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { JobFailure, VigilError } from '../../src/pfs/errors.js';
import { writeJsonOutput } from '../../src/pfs/files.js';
import { datumInput, inputCommit } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { readRecord } from '../../src/pfs/records.js';
import { matchFrame, matchRecord } from './core.js';
import { unsubscribedNotice } from './notices.js';
import { compilePolicy, readModelLabels, readPolicyFiles, type LoadedPolicy } from './rules.js';

/**
 * The policy of a rules and models commit. Every datum of the job reads the same commits, so
 * an invalid policy is the whole job's failure (JobFailure), reported once rather than per datum.
 */
async function loadPolicy(env: Record<string, string>, rulesCommit: string): Promise<LoadedPolicy> {
  try {
    const files = await readPolicyFiles(datumInput(env, REPOS.rules).path, `${REPOS.rules}@${rulesCommit}`);
    const labels = await readModelLabels(datumInput(env, REPOS.models).path, REPOS.models);
    return compilePolicy(files, labels);
  } catch (e) {
    if (!(e instanceof VigilError)) throw e;
    throw new JobFailure(`no frame can be matched against ${REPOS.rules}@${rulesCommit}: ${e.message.split('\n').join('; ')}`);
  }
}

export async function main(): Promise<void> {
  // A commit never changes, so the policy is parsed and compiled once per rules and models commit.
  let cached: { key: string; policy: Promise<LoadedPolicy> } | undefined;
  let unsubscribed = 0;

  await forEachDatum(async ({ env }) => {
    const rulesCommit = inputCommit(datumInput(env, REPOS.rules));
    const key = `${rulesCommit} ${env[`${REPOS.models}_COMMIT`] ?? ''}`;
    if (cached?.key !== key) cached = { key, policy: loadPolicy(env, rulesCommit) };
    const policy = await cached.policy;

    const { record: detection, ref } = readRecord(datumInput(env, REPOS.detections), 'detection');
    const outcome = matchFrame(policy.policy, detection);
    if (outcome.kind === 'unsubscribed') {
      unsubscribed++;
      const notice = unsubscribedNotice(ref.path, detection.user, detection.device);
      process.stderr.write(`${notice} (${unsubscribed} such frame(s) in this worker)\n`);
      return;
    }
    if (outcome.kind === 'quiet') return;

    const record = matchRecord(detection, outcome, {
      detection: ref,
      rules: { repo: REPOS.rules, commit: rulesCommit, rulesSha256: policy.rulesSha256, subscriptionsSha256: policy.subscriptionsSha256 },
    });
    writeJsonOutput(join(outDir(env), ref.path), record);
  });
}
