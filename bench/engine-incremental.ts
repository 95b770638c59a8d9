import type { Bench } from './bench.js';
import { DATUMS, addOneFile, engineFixture, inputCheckMs, share, timedVigil } from './engine-fixture.js';

/**
 * After the full run of engine-overhead's 10,000 datums, one new file: the whole `vigil run`
 * (a fresh CLI process) must process 1 datum, skip 10,000, and finish in under a second.
 * Baseline: the first, full run over the same pipeline.
 */
export const bench: Bench = {
  name: 'engine-incremental',
  describe: `wall seconds of vigil run after one new file beside ${DATUMS} processed datums`,
  async run() {
    const f = await engineFixture();
    const name = `new-${Date.now()}`;
    await addOneFile(f.root, name);
    const { stdout, ms } = await timedVigil(['run'], f.root);
    const check = await inputCheckMs(f.root, ['raw'], (path) => path === `/${name}.txt`);
    if (!new RegExp(`JOB_SUCCESS: 1 processed, ${DATUMS} skipped`).test(stdout))
      throw new Error(`expected 1 processed, ${DATUMS} skipped:\n${stdout}`);
    return {
      name: 'engine-incremental',
      value: ms / 1000,
      unit: 's',
      baseline: f.firstRunMs / 1000,
      target: '<1',
      targetOn: 'value',
      notes: [
        `1 processed, ${DATUMS} skipped`,
        `check share: ${share(check.ms, ms)} (re-hashing the new datum's input object: ${check.ms.toFixed(2)} ms)`,
        stdout
          .trim()
          .split('\n')
          .find((l) => l.includes('JOB_SUCCESS')) ?? '',
      ],
    };
  },
};
