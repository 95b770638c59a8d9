import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseEnvLines } from '../../pfs/worker-protocol.js';
import type { Datum } from '../datum/create.js';
import type { PipelineSpec } from '../pps/spec.js';
import { BatchWorker } from './batch-session.js';
import { DatumRoot } from './datum-root.js';
import { datumEnvLines, stepEnv, takeDatum, type JobContext, type ProcessDatumsOptions, type WorkerPod } from './job-context.js';
import { NextDatumServer } from './next-datum-server.js';
import { datumSetLimit, UNLIMITED_SET } from './datum-sets.js';
import { Remover } from './remover.js';
import { WarmWorkers } from './warm-workers.js';
import { afterFailedTry, failedResult, runToEnd, type ErrCmdOutcome } from './user-code.js';

/**
 * Runs a job's datums through the step, as Pachyderm's worker does: each worker has its own
 * root (PFS_ROOT) showing one datum at a time. Without datum batching a worker starts the step
 * once per datum (here); with it, once per datum set (datum-sets.ts), and the step loops on
 * NextDatum (batch-session.ts). A failing datum is tried `datumTries` times, `errCmd` (if any)
 * running after each failed try; it ends RECOVERED when errCmd ever succeeded, else FAILED.
 */

/**
 * Workers for a job: parallelismSpec.constant, else one per core. (Pachyderm's default is 1
 * worker, since its parallelism comes from pods; on one machine the cores are what there is.)
 */
export function workerCount(spec: PipelineSpec, datums: number): number {
  return Math.min(spec.parallelism || availableParallelism(), datums);
}

/**
 * Processes every datum `plan` makes, reporting each result as it comes; returns a reason when
 * the step cannot run at all. A datum-batching step is started first and the plan made once its
 * process runs, so that the step's start-up (often the longest part of a small incremental job)
 * overlaps the datum diffing, which would otherwise hold the event loop before the spawn.
 */
export async function processDatums(opts: ProcessDatumsOptions, plan: () => Promise<Datum[]>): Promise<{ fatal?: string }> {
  const stop = new AbortController();
  const batching = opts.spec.transform.datumBatching;
  const warmKey = batching && opts.workers ? WarmWorkers.keyOf(opts.spec, opts.env) : undefined;
  let stepStarted = () => {};
  const firstStep = batching ? new Promise<void>((resolve) => (stepStarted = resolve)) : Promise.resolve();
  const ctx: JobContext = {
    ...opts,
    signal: AbortSignal.any([opts.signal, stop.signal]),
    fatal: undefined,
    failJob: (reason) => fail(reason),
    next: 0,
    checkedObjects: new Set(),
    datums: [],
    setLimit: UNLIMITED_SET,
    stepStarted: () => stepStarted(),
    planned: firstStep.then(plan).then((datums) => {
      ctx.datums = inPathOrder(datums);
      // A warm worker of `vigil serve` keeps its step across sets and jobs (README, "Run on Pachyderm", "What still differs").
      if (!warmKey) ctx.setLimit = datumSetLimit(opts.spec, datums.length, workerCount(opts.spec, datums.length));
    }),
  };
  const fail = (reason: string) => {
    ctx.fatal ??= reason;
    stop.abort(new Error(reason));
  };
  const remover = new Remover();
  const startWorker = async (i: number) => {
    // A warm worker keeps its root (its step's PFS_ROOT) from job to job; any other has one for the job.
    const warm = opts.workers && warmKey ? { pool: opts.workers, key: warmKey, index: i } : undefined;
    const root = warm
      ? await warm.pool.root(opts.spec, warm.key, i)
      : await DatumRoot.create(join(opts.workDir, `w${i}`), opts.store, remover);
    const server = await NextDatumServer.refusing();
    const pod: WorkerPod = { id: `w${i}`, root, port: server.port };
    try {
      if (batching) await new BatchWorker(ctx, pod, fail, warm).run();
      else await perDatumWorker(ctx, pod);
    } finally {
      server.close();
      if (!warm) await root.remove();
    }
  };
  const workers = batching ? [startWorker(0)] : [];
  // A worker that ends before its step runs (it cannot start, the job is stopped) lets the plan go on all the same.
  for (const worker of workers) void worker.then(ctx.stepStarted, ctx.stepStarted);
  try {
    try {
      await ctx.planned;
    } catch (e) {
      stop.abort(e);
      await Promise.allSettled(workers);
      throw e;
    }
    for (let i = workers.length; i < workerCount(opts.spec, ctx.datums.length); i++) workers.push(startWorker(i));
    await Promise.all(workers);
  } finally {
    await remover.close();
  }
  return ctx.fatal ? { fatal: ctx.fatal } : {};
}

/**
 * The datums in the order of their input paths, the order workers take them in. Datum ids are
 * hashes: in id order nearly every datum would show files in other folders than the one before
 * it, and cost a worker's datum root a folder removed and one created (two journaled metadata
 * changes) where sibling datums cost one unlink and one link. The results do not depend on the
 * order; the datum state is kept by id all the same.
 */
function inPathOrder(datums: Datum[]): Datum[] {
  const keyed = datums.map((datum) => ({ datum, key: datum.inputs.map((i) => `${i.name}\0${i.path}`).join('\0') }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.datum);
}

/** Without datum batching: one process per datum try, the datum's variables in its environment. */
async function perDatumWorker(ctx: JobContext, pod: WorkerPod): Promise<void> {
  const { id: workerId, root } = pod;
  const { cmd, stdin, acceptReturnCode } = ctx.spec.transform;
  for (let datum = takeDatum(ctx); datum; datum = takeDatum(ctx)) {
    const lines = datumEnvLines(datum, root, ctx.jobId);
    const env = stepEnv(ctx, pod, parseEnvLines(lines));
    let failure: string | null = null;
    let tries = 0;
    const errCmd: ErrCmdOutcome = { recovered: false };
    while (tries < ctx.spec.datumTries) {
      tries++;
      failure = root.show(datum, lines) ?? (await runToEnd(ctx, workerId, datum, cmd, stdin, env, acceptReturnCode));
      if (!failure) break;
      await afterFailedTry(ctx, pod, datum, errCmd);
      if (ctx.signal.aborted) break;
    }
    if (failure) ctx.onResult(failedResult(datum, failure, tries, errCmd));
    else ctx.onResult({ datum, state: 'SUCCESS', outputs: await root.collectOutputs(), tries });
  }
}
