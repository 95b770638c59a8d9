import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { commitFiles, createPipelines, listDatums, listJobs, parseRaw, pfs, readTree, run, shellPipeline } from '../helpers/engine.js';

// A step sees what a Pachyderm worker gives it, batching or not, so that what passes here passes
// on a cluster. Followed: pachyderm/pachyderm src/server/pps/server/worker_rc.go (workerPodSpec:
// the pod's variables, PPS_WORKER_GRPC_PORT in every pod), src/server/worker/driver/driver.go
// (UserCodeEnv: the per-datum and per-job variables), src/server/worker/pipeline/transform/
// worker.go (handleDatumSetBatching: a batching step starts with UserCodeEnv(job, commit, nil):
// no datum variables) and transform/status.go (Status.NextDatum: "datum batching not enabled").

const PROBE = join(packageRoot(), 'dist', 'test', 'helpers', 'worker-probe.js');

/** The pod's variables the engine gives every step (worker_rc.go, workerPodSpec). */
const POD = [
  'PACH_IN_WORKER',
  'PPS_POD_NAME',
  'PPS_PIPELINE_NAME',
  'PPS_PROJECT_NAME',
  'PPS_SPEC_COMMIT',
  'PPS_WORKER_GRPC_PORT',
  'PPS_WORKER_IP',
];
/** UserCodeEnv's per-job variables (with no inputs: what a batching step starts with). */
const JOB = ['PACH_JOB_ID', 'PACH_OUTPUT_COMMIT_ID'];
/** UserCodeEnv's per-datum variables for one input named raw. */
const DATUM = ['PACH_DATUM_ID', 'raw', 'raw_COMMIT'];

/** The Pachyderm variables (PACH_*, PPS_* and the input's) of each process the probe recorded. */
async function probedNames(dir: string): Promise<string[][]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.env'));
  const lists = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
  return lists.map((text) =>
    text
      .split('\n')
      .filter((n) => /^(PACH_|PPS_|raw)/.test(n))
      .sort(),
  );
}

function probe(name: string, probeDir: string, batching: boolean, extraEnv: Record<string, string> = {}): object {
  return {
    pipeline: { name },
    input: pfs('raw', '/*'),
    transform: { cmd: [process.execPath, PROBE], datumBatching: batching, env: { PROBE_DIR: probeDir, ...extraEnv } },
    parallelismSpec: { constant: 1 },
    // One datum set of both datums (test/e2e/datum-sets.test.ts): one batching process serves them.
    datumSetSpec: { number: 2 },
  };
}

describe("a step under a real worker's environment", () => {
  test('a non-batching and a batching step through the step kit both succeed, each with the variables a Pachyderm worker gives', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a', '/b.txt': 'b' });
    const single = await tempDir('vigil-probe-');
    const batched = await tempDir('vigil-probe-');
    await createPipelines(root, probe('single', single, false, { PROBE_NEXT_DATUM: '1' }), probe('batched', batched, true));
    const r = await run(root);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /single: job [0-9a-f]{32} JOB_SUCCESS: 2 processed/);
    assert.match(r.stdout, /batched: job [0-9a-f]{32} JOB_SUCCESS: 2 processed/);

    const singleTree = (await readTree(root, 'single'))!;
    assert.deepEqual(singleTree['/a.txt'], 'a');
    assert.deepEqual(singleTree['/b.txt'], 'b');
    const answers = Object.entries(singleTree).filter(([path]) => path.startsWith('/next-datum/'));
    assert.equal(answers.length, 2);
    for (const [, answer] of answers)
      assert.equal(
        answer,
        'UNKNOWN: datum batching not enabled',
        'a non-batching worker answers NextDatum as Pachyderm does (transform/status.go, Status.NextDatum)',
      );
    assert.deepEqual(await readTree(root, 'batched'), { '/a.txt': 'a', '/b.txt': 'b' });

    const singleRuns = await probedNames(single);
    assert.equal(singleRuns.length, 2, 'without batching the step runs once per datum');
    for (const names of singleRuns) assert.deepEqual(names, [...POD, ...JOB, ...DATUM].sort());
    const batchedRuns = await probedNames(batched);
    assert.equal(batchedRuns.length, 1, 'with batching the step runs once and asks NextDatum for each datum');
    assert.deepEqual(
      batchedRuns[0],
      [...POD, ...JOB].sort(),
      'a batching step starts with no datum variables (UserCodeEnv with no inputs)',
    );
  });

  test("the pod's variables name the pipeline, its spec commit and the worker", async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a' });
    await createPipelines(root, shellPipeline('env', pfs('raw', '/*'), 'env > "$PFS_ROOT/out/env"'));
    assert.equal((await run(root)).code, 0);
    const env = Object.fromEntries(
      (await readTree(root, 'env'))!
        ['/env']!.split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const [info] = parseRaw(await vigilOk(['inspect', 'pipeline', 'env', '--raw'], { root }));
    assert.equal(env.PPS_PIPELINE_NAME, 'env');
    assert.equal(env.PPS_PROJECT_NAME, 'default');
    assert.equal(env.PPS_SPEC_COMMIT, info.spec_commit.id, 'PPS_SPEC_COMMIT is the pipeline version’s spec commit');
    assert.equal(env.PACH_IN_WORKER, 'true');
    assert.match(env.PPS_WORKER_GRPC_PORT!, /^\d+$/);
    assert.equal(env.PPS_POD_NAME, 'env-w0');
  });
});

describe('errCmd', () => {
  test('runs after every failed try, as Datum.run (worker/datum/datum.go) does; RECOVERED sticks once it succeeded', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a' });
    const marks = await tempDir('vigil-errcmd-');
    for (const batching of [false, true]) {
      const name = batching ? 'batched' : 'single';
      const cmd = batching ? [process.execPath, join(packageRoot(), 'dist', 'test', 'helpers', 'batch-step.js')] : ['sh', '-c', 'exit 1'];
      await createPipelines(root, {
        pipeline: { name },
        input: pfs('raw', '/*'),
        transform: {
          cmd,
          datumBatching: batching,
          env: { STEP_INPUT: 'raw' },
          // The first errCmd succeeds, the later ones fail: the datum still ends RECOVERED.
          errCmd: ['sh', '-c', `echo x >> ${marks}/${name}; [ "$(wc -l < ${marks}/${name})" -eq 1 ]`],
        },
        datumTries: 3,
      });
    }
    await commitFiles(root, 'raw', { '/a.txt': 'fail' });
    const r = await run(root);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['single', 'batched']) {
      const lines = (await readFile(join(marks, name), 'utf8')).trim().split('\n');
      assert.equal(lines.length, 3, `${name}: errCmd ran after each of the 3 tries`);
      const [job] = await listJobs(root, name);
      const [datum] = await listDatums(root, `${name}@${job.job.id}`);
      assert.equal(datum.state, 'RECOVERED', name);
    }
  });
});
