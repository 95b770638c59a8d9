import type { Bench } from './bench.js';
import { DATUMS, engineFixture, inputCheckMs, share } from './engine-fixture.js';

/**
 * The embedded engine's cost per datum: one full `vigil run` of 10,000 one-file datums through
 * a datum-batching step that does nothing, wall time divided by the datums (process start,
 * datum generation, laying out each datum, the NextDatum round trips, collecting outputs, the
 * job's records and commit: everything). Baseline: the same step and worker count on a bare
 * NextDatum server that does no engine work, i.e. the protocol alone.
 */
export const bench: Bench = {
  name: 'engine-overhead',
  describe: `ms per datum of a whole vigil run, ${DATUMS} one-file datums, no-op datum-batching step`,
  async run() {
    const f = await engineFixture();
    const perDatum = f.firstRunMs / DATUMS;
    const bare = f.bareMs / DATUMS;
    const check = await inputCheckMs(f.root, ['raw']);
    return {
      name: 'engine-overhead',
      value: perDatum,
      unit: 'ms/datum',
      baseline: bare,
      target: '<=2',
      targetOn: 'value',
      notes: [
        `vigil run: ${(f.firstRunMs / 1000).toFixed(1)} s for ${DATUMS} datums on ${f.workers} workers`,
        `bare NextDatum protocol, same step and workers: ${(f.bareMs / 1000).toFixed(1)} s`,
        `the engine's own share: ${(perDatum - bare).toFixed(3)} ms/datum`,
        `check share: ${share(check.ms, f.firstRunMs)} (re-hashing the ${check.objects} input objects: ${check.ms.toFixed(0)} ms of the run's ${(f.firstRunMs / 1000).toFixed(1)} s)`,
      ],
    };
  },
};
