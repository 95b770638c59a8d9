import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { commitFiles, createPipelines, int64, listDatums, listJobs, pfs, readTree, run } from '../helpers/engine.js';

// Datum batching: the step (test/helpers/batch-step.ts) starts once per datum set and loops on
// NextDatum through forEachDatum, the client every Vigil step uses (datum sets:
// test/e2e/datum-sets.test.ts).

const BATCH_STEP = ['node', join(packageRoot(), 'dist', 'test', 'helpers', 'batch-step.js')];

function batchPipeline(name: string, extra: Record<string, unknown> = {}): object {
  const { transform, ...rest } = extra as { transform?: Record<string, unknown> };
  return {
    pipeline: { name },
    input: pfs('raw', '/*'),
    transform: { cmd: BATCH_STEP, datumBatching: true, ...transform },
    parallelismSpec: { constant: 1 },
    ...rest,
  };
}

/** The step's `pid <pid> datum <id>` log lines, in order. */
async function processedBy(root: string, pipeline: string): Promise<{ pid: string; datum: string }[]> {
  const log = await vigilOk(['logs', pipeline], { root });
  return [...log.matchAll(/^pid (\d+) datum ([0-9a-f]+)$/gm)].map((m) => ({ pid: m[1]!, datum: m[2]! }));
}

describe('datum batching', () => {
  test('one process serves many datums; a datum reporting an error is retried in a restarted step, then fails the job alone', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'alpha', '/b.txt': 'fail here', '/c.txt': 'gamma', '/d.txt': 'delta' });
    // One set of all four datums (datum-sets.ts): one process may serve them all.
    await createPipelines(root, batchPipeline('batch', { datumTries: 2, datumSetSpec: { number: 4 } }));
    const r = await run(root);
    assert.equal(r.code, 1, r.stdout + r.stderr);

    const [job] = await listJobs(root, 'batch');
    const datums = await listDatums(root, `batch@${job.job.id}`);
    const byFile: Record<string, Record<string, any>> = Object.fromEntries(datums.map((d) => [d.data[0].file.path, d]));
    assert.equal(job.state, 'JOB_FAILURE');
    assert.match(job.reason, new RegExp(`datum ${byFile['/b.txt'].datum.id} failed: Error: cannot process b\\.txt`));
    assert.deepEqual(Object.fromEntries(Object.entries(byFile).map(([path, d]) => [path, d.state])), {
      '/a.txt': 'SUCCESS',
      '/b.txt': 'FAILED',
      '/c.txt': 'SUCCESS',
      '/d.txt': 'SUCCESS',
    });
    assert.deepEqual([int64(job.data_processed), int64(job.data_failed), int64(job.data_total)], [3, 1, 4]);

    const runs = await processedBy(root, 'batch');
    const tries = runs.filter((x) => x.datum === byFile['/b.txt']!.datum.id);
    assert.equal(tries.length, 2, 'b was tried datumTries (2) times');
    assert.notEqual(tries[0]!.pid, tries[1]!.pid, 'the step is restarted after a failed try');
    // One process, plus at most one more per failed try: the others went on from datum to datum.
    assert.ok(new Set(runs.map((x) => x.pid)).size <= 3, JSON.stringify(runs));
    assert.ok(
      runs.some((x, i) => i > 0 && runs[i - 1]!.pid === x.pid),
      'a process went on to the next datum',
    );
    assert.equal(await readTree(root, 'batch'), null);
  });

  test('with errCmd the failing datum is RECOVERED and the outputs of the others are committed', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'alpha', '/b.txt': 'fail here', '/c.txt': 'gamma' });
    await createPipelines(
      root,
      batchPipeline('lenient', { datumTries: 1, transform: { errCmd: ['true'] }, parallelismSpec: { constant: 2 } }),
    );
    const r = await run(root);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /lenient: job [0-9a-f]{32} JOB_SUCCESS: 2 processed, 0 skipped, 0 failed, 1 recovered/);
    assert.deepEqual(await readTree(root, 'lenient'), { '/a.txt': 'ALPHA', '/c.txt': 'GAMMA' });

    await commitFiles(root, 'raw', { '/e.txt': 'epsilon' });
    assert.match(
      (await run(root)).stdout,
      /JOB_SUCCESS: 1 processed, 2 skipped, 0 failed, 1 recovered/,
      'a recovered datum is not skipped',
    );
    assert.deepEqual(await readTree(root, 'lenient'), { '/a.txt': 'ALPHA', '/c.txt': 'GAMMA', '/e.txt': 'EPSILON' });
  });

  test("each datum's outputs are stored as its own while the step goes on to the next datum", async () => {
    const root = await tempDir();
    const big = 'b'.repeat(1536 * 1024); // over the size stored synchronously: streamed into the store
    await commitFiles(root, 'raw', {
      '/cam1/a.txt': 'alpha',
      '/cam1/deep/er/b.txt': 'beta',
      '/cam2/big.txt': big,
      '/cam3/empty.txt': '',
      '/cam4/d.txt': 'delta',
    });
    await createPipelines(root, batchPipeline('nested'));
    assert.match((await run(root)).stdout, /nested: job [0-9a-f]{32} JOB_SUCCESS: 4 processed/);
    const expected = {
      '/cam1/a.txt': 'ALPHA',
      '/cam1/deep/er/b.txt': 'BETA',
      '/cam2/big.txt': big.toUpperCase(),
      '/cam3/empty.txt': '',
      '/cam4/d.txt': 'DELTA',
    };
    assert.deepEqual(await readTree(root, 'nested'), expected);

    // Outputs carried over belong to the datum that wrote them: changing cam2 and deleting cam3 touch only theirs.
    await commitFiles(root, 'raw', { '/cam2/big.txt': 'small now', '/cam3/empty.txt': null });
    assert.match((await run(root)).stdout, /nested: job [0-9a-f]{32} JOB_SUCCESS: 1 processed, 2 skipped/);
    const { '/cam3/empty.txt': _gone, ...kept } = expected;
    assert.deepEqual(await readTree(root, 'nested'), { ...kept, '/cam2/big.txt': 'SMALL NOW' });
  });

  test('an output the engine cannot store fails its datum and the job, naming both', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'alpha', '/b.txt': 'dangle', '/c.txt': 'gamma' });
    await createPipelines(root, batchPipeline('dangling'));
    assert.equal((await run(root)).code, 1);
    const [job] = await listJobs(root, 'dangling');
    const datums = await listDatums(root, `dangling@${job.job.id}`);
    const b = datums.find((d) => d.data[0].file.path === '/b.txt')!;
    assert.equal(b.state, 'FAILED');
    assert.match(b.reason, /cannot store the output of datum [0-9a-f]+: file ".*\/b\.txt" does not exist/);
    assert.match(job.reason, new RegExp(`^cannot store the output of datum ${b.datum.id}`));
    assert.equal(datums.find((d) => d.data[0].file.path === '/a.txt')?.state, 'SUCCESS');
    assert.equal(await readTree(root, 'dangling'), null, 'a failed job commits nothing');
  });

  test('a step that exits in the middle of a datum fails that datum', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'alpha', '/b.txt': 'crash now' });
    await createPipelines(root, batchPipeline('crashy', { datumTries: 1 }));
    await run(root);
    const [job] = await listJobs(root, 'crashy');
    const datums = await listDatums(root, `crashy@${job.job.id}`);
    const crashed = datums.find((d) => d.data[0].file.path === '/b.txt')!;
    assert.equal(crashed.state, 'FAILED');
    assert.match(job.reason, new RegExp(`datum ${crashed.datum.id} failed: the step exit code 3 while processing the datum`));
    assert.equal(datums.find((d) => d.data[0].file.path === '/a.txt')!.state, 'SUCCESS');
  });

  test('a datumBatching step that never asks for a datum fails the job with a clear reason', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'alpha' });
    await createPipelines(root, batchPipeline('oneshot', { transform: { cmd: ['sh', '-c', 'echo "not a batching step" >&2'] } }));
    const r = await run(root);
    assert.equal(r.code, 1);
    const [job] = await listJobs(root, 'oneshot');
    assert.match(
      job.reason,
      /the step exited with code 0 before asking for a datum \(a datumBatching step must loop on NextDatum\): not a batching step/,
    );
  });
});
