import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { commitFiles, createPipelines, pfs, run } from '../helpers/engine.js';

// A datum-batching step runs once per datum set, as on Pachyderm: its process is started for a
// set and ended after it, so what it loads at start-up is loaded once per set. Followed:
// pachyderm/pachyderm src/server/worker/pipeline/transform/registry.go (createSetSpec: the
// datums to process / (workers * defaultDatumSetsPerWorker = 4), at least 1; or
// datumSetSpec.number) and transform/worker.go (handleDatumSetBatching: the user code starts
// with each datum set task and is stopped when the set is done).

const BATCH_STEP = ['node', join(packageRoot(), 'dist', 'test', 'helpers', 'batch-step.js')];

/** How many datums each process of the step served, in the order they ran. */
async function datumsPerProcess(root: string, pipeline: string): Promise<number[]> {
  const log = await vigilOk(['logs', pipeline], { root });
  const counts = new Map<string, number>();
  for (const m of log.matchAll(/^pid (\d+) datum [0-9a-f]+$/gm)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return [...counts.values()];
}

test('a datum-batching step is restarted for each datum set: datums / (workers * 4) by default, datumSetSpec.number when given', async () => {
  const root = await tempDir();
  const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`/${i}.txt`, `frame ${i}`]));
  await commitFiles(root, 'raw', files);
  const spec = (name: string, extra: object = {}) => ({
    pipeline: { name },
    input: pfs('raw', '/*'),
    transform: { cmd: BATCH_STEP, datumBatching: true },
    parallelismSpec: { constant: 1 },
    ...extra,
  });
  await createPipelines(root, spec('spread'), spec('threes', { datumSetSpec: { number: 3 } }));
  const r = await run(root);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await datumsPerProcess(root, 'spread'), [2, 2, 2, 2], '8 datums, 1 worker: 4 sets of 2, a process each');
  assert.deepEqual(await datumsPerProcess(root, 'threes'), [3, 3, 2]);
});
