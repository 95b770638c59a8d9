import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertValid } from '../../specs/index.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { vigil, vigilOk, tempDir } from '../helpers/cli.js';
import { int64, parseRaw } from '../helpers/engine.js';
import { layDefaultModel } from '../helpers/models.js';
import { FIXTURE_RULES_DIR, detection, obj } from '../helpers/match.js';

/** JobInfo as `vigil list job --raw` prints it (pachctl's protojson: 64-bit counts as strings, 0 left out). */
interface JobInfo {
  job: { id: string };
  state: string;
  reason?: string;
  data_processed?: string;
  data_skipped?: string;
  data_failed?: string;
  data_total?: string;
}

/**
 * The match pipeline on the embedded engine, fed by hand: `detections` and `models` are plain
 * input repos here, so the test needs neither frames nor the detector.
 */
test('through the engine: new rules re-match every frame, identical rules re-run nothing, bad rules change nothing', async () => {
  const root = await tempDir();
  const opts = { root };
  const work = await tempDir('vigil-match-inputs-');

  // Three frames of Thursday 26 November 2026: 19:00 and 12:00 in New York on u1's cam1, and a camera no one subscribed.
  const frames = [
    detection('u1', 'cam1', '2026-11-27T00:00:00Z', [obj('person', 0.9)]),
    detection('u1', 'cam1', '2026-11-26T17:00:00Z', [obj('person', 0.9)]),
    detection('u9', 'cam3', '2026-11-27T00:00:00Z', [obj('bear', 0.99)]),
  ];
  const paths = ['/u1-cam1/20261127T000000Z.json', '/u1-cam1/20261126T170000Z.json', '/u9-cam3/20261127T000000Z.json'];
  for (const [i, d] of frames.entries()) {
    await mkdir(join(work, 'detections', paths[i], '..'), { recursive: true });
    await writeFile(join(work, 'detections', paths[i]), JSON.stringify(d));
  }
  await layDefaultModel(join(work, 'models'));

  for (const repo of ['detections', 'rules', 'models']) await vigilOk(['create', 'repo', repo], opts);
  await vigilOk(['put', 'file', 'detections@master:/', '-r', '-f', join(work, 'detections')], opts);
  await vigilOk(['put', 'file', 'models@master:/', '-r', '-f', join(work, 'models')], opts);
  await vigilOk(['put', 'file', 'rules@master:/', '-r', '-f', FIXTURE_RULES_DIR], opts);
  await vigilOk(['create', 'pipeline', '-f', join(packageRoot(), 'pipelines', 'matches.yaml')], opts);

  const jobs = async () => parseRaw<JobInfo>(await vigilOk(['list', 'job', '--raw', '-p', 'matches'], opts));
  const matchFiles = async () =>
    parseRaw<{ file: { path: string } }>(await vigilOk(['list', 'file', 'matches@master:/u1-cam1', '--raw'], opts)).map((f) => f.file.path);
  const matchAt = async (path: string) =>
    assertValid('match', JSON.parse(await vigilOk(['get', 'file', `matches@master:${path}`], opts)), path);

  // 1. The sample rules: only the person after hours fires.
  await vigilOk(['run', 'matches'], opts);
  let [job] = await jobs();
  assert.deepEqual([job.state, int64(job.data_processed), int64(job.data_skipped), int64(job.data_total)], ['JOB_SUCCESS', 3, 0, 3]);
  assert.deepEqual(await matchFiles(), ['/u1-cam1/20261127T000000Z.json']);
  const first = await matchAt(paths[0]);
  assert.deepEqual(
    first.fired.map((f) => f.ruleId),
    [200],
  );
  assert.equal(first.detection.path, paths[0]);
  const logs = await vigilOk(['logs', 'matches'], opts);
  assert.match(logs, /no subscription names device "cam3" of user "u9"/);

  // 2. A changed rules.yaml (rule 200 now at any hour): a new rules commit re-matches every frame.
  const rules = await readFile(join(FIXTURE_RULES_DIR, 'rules.yaml'), 'utf8');
  const anyHour = join(work, 'rules-any-hour.yaml');
  await writeFile(anyHour, rules.replace(/\n\s+schedule: .*\n/, '\n'));
  await vigilOk(['put', 'file', 'rules@master:/rules.yaml', '-f', anyHour], opts);
  await vigilOk(['run', 'matches'], opts);
  [job] = await jobs();
  assert.deepEqual([job.state, int64(job.data_processed), int64(job.data_skipped)], ['JOB_SUCCESS', 3, 0]);
  assert.deepEqual(await matchFiles(), ['/u1-cam1/20261126T170000Z.json', '/u1-cam1/20261127T000000Z.json']);
  const second = await matchAt(paths[0]);
  assert.notEqual(second.rules.commit, first.rules.commit);
  assert.notEqual(second.rules.rulesSha256, first.rules.rulesSha256);

  // 3. The same rules committed again: nothing to process.
  const jobsBefore = (await jobs()).length;
  await vigilOk(['put', 'file', 'rules@master:/rules.yaml', '-f', anyHour], opts);
  await vigilOk(['run', 'matches'], opts);
  const all = await jobs();
  assert.equal(all.length, jobsBefore + 1);
  assert.deepEqual([all[0].state, int64(all[0].data_processed), int64(all[0].data_skipped)], ['JOB_SUCCESS', 0, 3]);
  assert.deepEqual(await matchFiles(), ['/u1-cam1/20261126T170000Z.json', '/u1-cam1/20261127T000000Z.json']);

  // 4. An invalid rules commit fails the job with the validation message; the matches stay as they were.
  const badRules = join(work, 'rules-bad.yaml');
  await writeFile(badRules, rules.replace('[dog, cat, bear]', '[dog, cat, racoon]'));
  await vigilOk(['put', 'file', 'rules@master:/rules.yaml', '-f', badRules], opts);
  const failed = await vigil(['run', 'matches'], opts);
  assert.notEqual(failed.code, 0);
  [job] = await jobs();
  assert.equal(job.state, 'JOB_FAILURE');
  assert.equal(int64(job.data_processed), 0);
  const failure = `${job.reason ?? ''}\n${await vigilOk(['logs', 'matches'], opts)}`;
  assert.match(failure, /rules\.yaml: rules\[0\]\.classes\[2\]: "racoon" is not a label of the model/);
  assert.deepEqual(await matchFiles(), ['/u1-cam1/20261126T170000Z.json', '/u1-cam1/20261127T000000Z.json']);
  assert.deepEqual((await matchAt(paths[0])).rules, second.rules);
});
