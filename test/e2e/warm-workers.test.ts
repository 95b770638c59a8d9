import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { runPipelines } from '../../src/engine/pps/job-runner.js';
import { ppsDir } from '../../src/engine/pps/pipelines.js';
import { listJobs } from '../../src/engine/pps/job-records.js';
import { readJobLog } from '../../src/engine/pps/logs.js';
import { Store } from '../../src/engine/store/store.js';
import { WarmWorkers } from '../../src/engine/worker/warm-workers.js';
import { processAlive } from '../../src/pfs/durable.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { commitFiles, createPipelines, pfs, readTree } from '../helpers/engine.js';

// Warm workers (src/engine/worker/warm-workers.ts): `vigil serve` keeps a datum-batching step's
// process from one job to the next, where Pachyderm (and `vigil run`) start it per job
// (src/server/worker/driver/driver.go runs user code per job).

const BATCH_STEP = ['node', join(packageRoot(), 'dist', 'test', 'helpers', 'batch-step.js')];

function batchPipeline(env: Record<string, string> = {}): object {
  return {
    pipeline: { name: 'upper' },
    input: pfs('raw', '/*'),
    transform: { cmd: BATCH_STEP, datumBatching: true, env },
    parallelismSpec: { constant: 1 },
  };
}

/** The pid that processed each datum, from the step's `pid <pid> datum <id>` lines of every job, oldest job first. */
async function pids(root: string): Promise<string[]> {
  const jobs = (await listJobs(root, ['upper'])).reverse();
  const lines = (await Promise.all(jobs.map((j) => readJobLog(root, 'upper', j.id)))).flat().map((e) => e.message);
  return lines.flatMap((line) => /^pid (\d+) datum [0-9a-f]+$/.exec(line)?.[1] ?? []);
}

async function setup(): Promise<{ root: string; store: Store }> {
  const root = await tempDir();
  await commitFiles(root, 'raw', { '/a.txt': 'alpha' });
  await createPipelines(root, batchPipeline());
  return { root, store: await Store.open(root) };
}

describe('warm workers', () => {
  test('with a pool, one step process serves job after job; its outputs are the same as without', async () => {
    const { root, store } = await setup();
    const pool = new WarmWorkers(store, join(ppsDir(root), 'warm'));
    try {
      await runPipelines(store, { workers: pool });
      await commitFiles(root, 'raw', { '/b.txt': 'beta' });
      const [outcome] = await runPipelines(store, { workers: pool });
      assert.equal(outcome!.job?.state, 'JOB_SUCCESS');
      await commitFiles(root, 'raw', { '/c.txt': 'gamma' });
      await runPipelines(store, { workers: pool });
      const seen = await pids(root);
      assert.equal(seen.length, 3, 'one datum per job');
      assert.equal(new Set(seen).size, 1, `the same process served the three jobs: ${seen.join(', ')}`);
      assert.ok(processAlive(Number(seen[0])), 'the step waits, parked, between jobs');
      assert.deepEqual(await readTree(root, 'upper'), { '/a.txt': 'ALPHA', '/b.txt': 'BETA', '/c.txt': 'GAMMA' });
    } finally {
      await pool.close();
    }
    const [pid] = await pids(root);
    const deadline = Date.now() + 5000;
    while (processAlive(Number(pid)) && Date.now() < deadline) await sleep(20);
    assert.equal(processAlive(Number(pid)), false, 'closing the pool ends the parked step');
  });

  test('without a pool (vigil run), each job starts the step anew', async () => {
    const { root, store } = await setup();
    await runPipelines(store);
    await commitFiles(root, 'raw', { '/b.txt': 'beta' });
    await runPipelines(store);
    const seen = await pids(root);
    assert.equal(seen.length, 2);
    assert.notEqual(seen[0], seen[1]);
  });

  test('a new spec or a failed datum gets a new process; the job goes on', async () => {
    const { root, store } = await setup();
    const pool = new WarmWorkers(store, join(ppsDir(root), 'warm'));
    try {
      await runPipelines(store, { workers: pool });
      const spec = join(await tempDir('vigil-spec-'), 'v2.json');
      await writeFile(spec, JSON.stringify(batchPipeline({ NOTE: 'v2' })));
      await vigilOk(['update', 'pipeline', '-f', spec], { root });
      await commitFiles(root, 'raw', { '/b.txt': 'fail once' });
      const [failed] = await runPipelines(store, { workers: pool });
      assert.equal(failed!.job?.state, 'JOB_FAILURE', 'b fails every try');
      await commitFiles(root, 'raw', { '/b.txt': 'better' });
      const [ok] = await runPipelines(store, { workers: pool });
      assert.equal(ok!.job?.state, 'JOB_SUCCESS');
      const seen = await pids(root);
      assert.ok(new Set(seen).size >= 3, `a new process after the spec change and after the failure: ${seen.join(', ')}`);
      assert.deepEqual(await readTree(root, 'upper'), { '/a.txt': 'ALPHA', '/b.txt': 'BETTER' });
    } finally {
      await pool.close();
    }
  });
});
