/**
 * A datum the worker cannot lay out (a name too long for the filesystem, held by a store written
 * before `put file` refused such names) fails that datum only, with a reason naming the input
 * path: the other datums run and keep their outputs, and errCmd may recover it as for any
 * failed datum (pachyderm/pachyderm src/server/worker/datum/datum.go, Datum.run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectJob, readDatums } from '../../src/engine/pps/job-records.js';
import { Store } from '../../src/engine/store/store.js';
import { tempDir } from '../helpers/cli.js';
import { commitFiles, createPipelines, int64, listJobs, pfs, plantAsOldStore, readTree, run, shellPipeline } from '../helpers/engine.js';

const COPY = 'cp "$raw" "$PFS_ROOT/out/"';

test('a name too long to lay out fails its datum only, naming the path; errCmd can recover it', async () => {
  const root = await tempDir();
  await commitFiles(root, 'raw', { '/a.txt': 'a', '/b.txt': 'b' });
  const long = `/${'n'.repeat(300)}.txt`;
  await plantAsOldStore(root, 'raw', long, Buffer.from('long'));
  await createPipelines(
    root,
    shellPipeline('strict', pfs('raw', '/*'), COPY),
    shellPipeline('lenient', pfs('raw', '/*'), COPY, { transform: { errCmd: ['sh', '-c', 'test ! -e "$raw"'] } }),
  );
  const r = await run(root);
  assert.equal(r.code, 1, 'strict fails');

  const [strict] = await listJobs(root, 'strict');
  assert.equal(strict.state, 'JOB_FAILURE');
  assert.deepEqual([int64(strict.data_processed), int64(strict.data_failed)], [2, 1], 'the other datums ran');
  const datums = readDatums(await Store.open(root), await inspectJob(root, 'strict', strict.job.id));
  const failed = datums.filter((d) => d.state === 'FAILED');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.reason, `cannot lay out raw:${long} for the step: ENAMETOOLONG`);
  assert.equal(failed[0]!.tries, 3, 'tried like any failed datum');

  const [lenient] = await listJobs(root, 'lenient');
  assert.equal(lenient.state, 'JOB_SUCCESS');
  assert.deepEqual([int64(lenient.data_processed), int64(lenient.data_recovered)], [2, 1]);
  assert.deepEqual(await readTree(root, 'lenient'), { '/a.txt': 'a', '/b.txt': 'b' });
});
