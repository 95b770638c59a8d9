import { join } from 'node:path';
import { Problems } from '../../specs/index.js';
import { parsePolicyFile, readPolicyFile, SUBSCRIPTIONS_FILE } from '../../src/contract/policy-files.js';
import { REPOS } from '../../src/contract/repos.js';
import { PARQUET_ROOT } from '../../src/contract/warehouse-partitions.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { JobFailure, VigilError } from '../../src/pfs/errors.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { datumInput, groupedInput, type DatumInput } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { buildReports } from './build.js';
import { subscribedCameras, type SubscribedCameras } from './core.js';

/**
 * The cameras the rules commit's /subscriptions.yaml names. Every datum of the job reads the
 * same commit, so a file the match stage cannot read either is the whole job's failure
 * (JobFailure), reported once; the reports already written stay.
 */
async function readSubscriptions(rules: DatumInput): Promise<SubscribedCameras> {
  const where = rules.commit ? `${REPOS.rules}@${rules.commit}` : REPOS.rules;
  try {
    const bytes = await readPolicyFile(rules.root, SUBSCRIPTIONS_FILE, where);
    const problems = new Problems();
    const file = parsePolicyFile(SUBSCRIPTIONS_FILE, bytes, 'subscriptions', problems);
    problems.throwIfAny();
    const path = `/${SUBSCRIPTIONS_FILE}`;
    return subscribedCameras(file!, fileRef({ ...rules, path: join(rules.root, SUBSCRIPTIONS_FILE), repoPath: path }, bytes));
  } catch (e) {
    if (!(e instanceof VigilError)) throw e;
    throw new JobFailure(`no daily report can say which cameras no subscription names: ${where}: ${e.message.split('\n').join('; ')}`);
  }
}

/**
 * `vigil step report`: one datum is one UTC day's partitions of every warehouse table (a group
 * input on `warehouse`) crossed with the rules repo's /subscriptions.yaml; writes /daily/<day>.html and .json.
 */
export async function main(): Promise<void> {
  // A commit never changes, so subscriptions.yaml is read once per rules commit.
  let cached: { key: string; subscribed: Promise<SubscribedCameras> } | undefined;

  await forEachDatum(async ({ env }) => {
    const rules = datumInput(env, REPOS.rules);
    const key = rules.commit ?? rules.path;
    if (cached?.key !== key) cached = { key, subscribed: readSubscriptions(rules) };
    const subscribed = await cached.subscribed;

    const warehouse = groupedInput(env, REPOS.warehouse);
    await buildReports(
      join(warehouse.path, PARQUET_ROOT),
      outDir(env),
      { repo: warehouse.name, ...(warehouse.commit ? { commit: warehouse.commit } : {}) },
      subscribed,
    );
  });
}
