/**
 * `vigil serve`'s housekeeping: once at start and then every interval (daily by default), each
 * customer's frame and record retention (retention.ts) and then a garbage collection
 * (engine/store/gc.ts), beside the collector and the pipelines, which both are safe to run with.
 * What each did is logged; a failure is logged at error level and tried again at the next round.
 */
import { markJobStates } from '../engine/pps/gc-roots.js';
import { collectGarbage } from '../engine/store/gc.js';
import type { Companion, ServeParts } from '../serve/service.js';
import { retain } from './retention.js';

export interface HousekeepingOptions {
  intervalMs: number;
  /** The garbage collector's grace period, ms. */
  graceMs: number;
}

export function startHousekeeping(parts: ServeParts, opts: HousekeepingOptions): Companion {
  const { store, log } = parts;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const round = async () => {
    try {
      await retain(store, { now: new Date(), say: (line) => log(`retention: ${line}`) });
      if (stopped) return;
      const r = await collectGarbage(store, { graceMs: opts.graceMs, marks: [markJobStates] });
      log(`gc: deleted ${r.deleted} of ${r.objects} objects, ${r.bytesFreed} bytes freed; ${r.live} in use, ${r.young} recent kept`);
      await parts.disk.check();
    } catch (e) {
      log(`error: housekeeping (retention, gc): ${(e as Error).message}`);
    }
  };
  let running = round();
  const schedule = () => {
    timer = setTimeout(() => {
      running = round().then(() => {
        if (!stopped) schedule();
      });
    }, opts.intervalMs);
    timer.unref();
  };
  void running.then(() => {
    if (!stopped) schedule();
  });
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
