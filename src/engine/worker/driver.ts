import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseEnvLines } from '../../pfs/datums.js';
import type { Datum } from '../datum/create.js';
import { DatumLayout } from './datum-root.js';
import { Remover } from './remover.js';
import type { JobLog } from '../pps/logs.js';
import type { PipelineSpec } from '../pps/spec.js';
import { exitFailure, startStep, type StepProcess } from './user-code.js';
import type { FileEntry, Store } from '../store/store.js';
import { WorkerServer } from './next-datum-server.js';

/**
 * Runs a job's datums through the step, as Pachyderm's worker does: each worker has its own
 * root (PFS_ROOT) showing one datum at a time. Without datum batching a worker starts the step
 * once per datum; with it, once per worker, and the step loops on NextDatum. A failing datum is
 * tried `datumTries` times (with batching the step is restarted after each failure); after the
 * last try `errCmd`, if any, decides between RECOVERED and FAILED.
 */

export interface DatumResult {
  datum: Datum;
  state: 'SUCCESS' | 'FAILED' | 'RECOVERED';
  /** What the datum wrote under out/ (none unless SUCCESS). */
  outputs: FileEntry[];
  reason?: string;
  tries: number;
}

export interface ExecOptions {
  store: Store;
  spec: PipelineSpec;
  jobId: string;
  /** The job's scratch folder; worker i's PFS_ROOT is `<workDir>/w<i>`. */
  workDir: string;
  /** What every process of the job starts from: the caller's environment, the spec's env, VIGIL_ROOT. */
  env: Record<string, string>;
  log: JobLog;
  /** Job timeout or user interrupt: processes are killed, datums in flight fail with the signal's reason. */
  signal: AbortSignal;
  onResult(result: DatumResult): void;
}

/**
 * Workers for a job: parallelismSpec.constant, else one per core. (Pachyderm's default is 1
 * worker, since its parallelism comes from pods; on one machine the cores are what there is.)
 */
export function workerCount(spec: PipelineSpec, datums: number): number {
  return Math.min(spec.parallelism || availableParallelism(), datums);
}

/**
 * Processes every datum of `plan`, reporting each result as it comes; returns a reason when the
 * step cannot run at all. A datum-batching step is started before the plan is ready, so that its
 * start-up (often the longest part of a small incremental job) overlaps the datum diffing.
 */
export async function processDatums(opts: ExecOptions, plan: Promise<Datum[]>): Promise<{ fatal?: string }> {
  const stop = new AbortController();
  const ctx: Ctx = {
    ...opts,
    signal: AbortSignal.any([opts.signal, stop.signal]),
    fatal: undefined,
    next: 0,
    datums: [],
    planned: plan.then((datums) => void (ctx.datums = inLayoutOrder(datums))),
  };
  const fail = (reason: string) => {
    ctx.fatal ??= reason;
    stop.abort(new Error(reason));
  };
  const remover = new Remover();
  const startWorker = async (i: number) => {
    const layout = await DatumLayout.create(join(opts.workDir, `w${i}`), opts.store, remover);
    try {
      if (opts.spec.transform.datumBatching) await new BatchWorker(ctx, i, layout, fail).run();
      else await perDatumWorker(ctx, i, layout);
    } finally {
      await layout.remove();
    }
  };
  const workers = opts.spec.transform.datumBatching ? [startWorker(0)] : [];
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
 * it, and cost a worker's layout a folder removed and one created (two journaled metadata
 * changes) where sibling datums cost one unlink and one link. The results do not depend on the
 * order; the job's datum table is sorted by id all the same.
 */
function inLayoutOrder(datums: Datum[]): Datum[] {
  const keyed = datums.map((datum) => ({ datum, key: datum.inputs.map((i) => `${i.name}\0${i.path}`).join('\0') }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.datum);
}

interface Ctx extends ExecOptions {
  fatal: string | undefined;
  /** The job's datums to process, once `planned` has settled. */
  datums: Datum[];
  planned: Promise<void>;
  /** The next datum no worker has taken. */
  next: number;
}

function take(ctx: Ctx): Datum | undefined {
  return ctx.signal.aborted ? undefined : ctx.datums[ctx.next++];
}

function reasonOf(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'stopped');
}

/** Pachyderm's per-datum variables, as `.env` lines and the NextDatum response carry them. */
function datumEnvLines(datum: Datum, layout: DatumLayout, jobId: string): string[] {
  const lines: string[] = [];
  for (const input of datum.inputs) {
    lines.push(`${input.name}=${layout.inputPath(input.name, input.path)}`, `${input.name}_COMMIT=${input.commit}`);
    if (input.joinOn !== undefined) lines.push(`PACH_DATUM_${input.name}_JOIN_ON=${input.joinOn}`);
    if (input.groupBy !== undefined) lines.push(`PACH_DATUM_${input.name}_GROUP_BY=${input.groupBy}`);
  }
  lines.push(`PACH_DATUM_ID=${datum.id}`, `PACH_JOB_ID=${jobId}`, `PACH_OUTPUT_COMMIT_ID=${jobId}`);
  return lines;
}

function processEnv(ctx: Ctx, layout: DatumLayout, extra: Record<string, string>): Record<string, string> {
  return { ...ctx.env, PFS_ROOT: layout.root, ...extra };
}

function stdinOf(lines: string[] | undefined): string | undefined {
  return lines ? lines.join('\n') + '\n' : undefined;
}

function workingDir(ctx: Ctx): string {
  return ctx.spec.transform.workingDir ?? process.cwd();
}

/** Keeps a process's last stderr lines, for the reason a datum failed. */
class Tail {
  private lines: string[] = [];
  add(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line.length > 300 ? line.slice(0, 300) + '…' : line);
    if (this.lines.length > 3) this.lines.shift();
  }
  clear(): void {
    this.lines = [];
  }
  /** `: <last lines>`, or '' when the process printed nothing on stderr. */
  suffix(): string {
    return this.lines.length ? `: ${this.lines.join(' | ')}` : '';
  }
}

/** Runs one process to its end for one datum (cmd without batching, or errCmd); returns why it failed, or null. */
async function runOnce(
  ctx: Ctx,
  workerId: string,
  datum: Datum,
  cmd: string[],
  stdin: string[] | undefined,
  env: Record<string, string>,
  acceptReturnCode: number[],
): Promise<string | null> {
  const tail = new Tail();
  const proc = startStep(cmd, {
    env,
    cwd: workingDir(ctx),
    stdin: stdinOf(stdin),
    onLine: (line, stream) => {
      ctx.log.write(workerId, datum.id, line);
      if (stream === 'stderr') tail.add(line);
    },
  });
  const limit = ctx.spec.datumTimeoutMs;
  let timedOut = false;
  const timer = limit === undefined ? undefined : setTimeout(() => ((timedOut = true), proc.kill()), limit);
  const onAbort = () => proc.kill();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal.aborted) proc.kill();
  const exit = await proc.exited;
  clearTimeout(timer);
  ctx.signal.removeEventListener('abort', onAbort);
  if (timedOut) return `timed out after ${limit! / 1000}s (datumTimeout)`;
  if (ctx.signal.aborted) return reasonOf(ctx.signal);
  const failure = exitFailure(exit, acceptReturnCode);
  return failure && failure + tail.suffix();
}

/** After the last failed try: errCmd, if the spec has one, may recover the datum; its output is dropped either way. */
async function settleFailure(ctx: Ctx, workerId: string, layout: DatumLayout, datum: Datum, reason: string, tries: number): Promise<DatumResult> {
  await layout.clearOut();
  const { errCmd, errStdin } = ctx.spec.transform;
  if (errCmd && !ctx.signal.aborted) {
    const env = processEnv(ctx, layout, parseEnvLines(datumEnvLines(datum, layout, ctx.jobId)));
    const errFailure = await runOnce(ctx, workerId, datum, errCmd, errStdin, env, []);
    await layout.clearOut();
    if (!errFailure) return { datum, state: 'RECOVERED', outputs: [], reason, tries };
    reason = `${reason}; errCmd failed too: ${errFailure}`;
  }
  return { datum, state: 'FAILED', outputs: [], reason, tries };
}

/** Without datum batching: one process per datum try, the datum's variables in its environment. */
async function perDatumWorker(ctx: Ctx, index: number, layout: DatumLayout): Promise<void> {
  const workerId = `w${index}`;
  const { cmd, stdin, acceptReturnCode } = ctx.spec.transform;
  for (let datum = take(ctx); datum; datum = take(ctx)) {
    const lines = datumEnvLines(datum, layout, ctx.jobId);
    layout.show(datum, lines);
    const env = processEnv(ctx, layout, parseEnvLines(lines));
    let failure: string | null = null;
    let tries = 0;
    while (tries < ctx.spec.datumTries) {
      tries++;
      failure = await runOnce(ctx, workerId, datum, cmd, stdin, env, acceptReturnCode);
      if (!failure || ctx.signal.aborted) break;
      await layout.clearOut();
    }
    ctx.onResult(failure ? await settleFailure(ctx, workerId, layout, datum, failure, tries) : { datum, state: 'SUCCESS', outputs: await layout.collectOutputs(), tries });
  }
}

type SessionEnd =
  | { kind: 'drained' }
  | { kind: 'restart' }
  | { kind: 'failed'; datum: Datum; tries: number; reason: string }
  | { kind: 'fatal'; reason: string };

interface Pending {
  datum: Datum;
  tries: number;
}

/**
 * With datum batching: a session is one run of the step with its own NextDatum server (a fresh
 * port per process, so that a call from a process being killed can never be taken for its
 * successor's). A session ends when no datum is left, when a datum fails (the step is killed
 * and restarted for the next try), or when the step exits by itself.
 */
class BatchWorker {
  private retry: Pending | null = null;
  private readonly workerId: string;

  constructor(
    private readonly ctx: Ctx,
    index: number,
    private readonly layout: DatumLayout,
    private readonly fatal: (reason: string) => void,
  ) {
    this.workerId = `w${index}`;
  }

  async run(): Promise<void> {
    const { ctx } = this;
    // The first session may start before the datums are known; its first NextDatum call waits for them.
    for (let first = true; first || (!ctx.signal.aborted && (this.retry || ctx.next < ctx.datums.length)); first = false) {
      const end = await this.session();
      if (end.kind === 'fatal') return this.fatal(end.reason);
      if (end.kind !== 'failed') continue;
      await this.layout.clearOut();
      if (end.tries < ctx.spec.datumTries && !ctx.signal.aborted) this.retry = { datum: end.datum, tries: end.tries + 1 };
      else ctx.onResult(await settleFailure(ctx, this.workerId, this.layout, end.datum, end.reason, end.tries));
    }
  }

  private take(): Pending | null {
    const retry = this.retry;
    this.retry = null;
    if (retry) return retry;
    const datum = take(this.ctx);
    return datum ? { datum, tries: 1 } : null;
  }

  /**
   * Stores a succeeded datum's outputs (a folder from takeOut) and reports its result, while the
   * step works on the next datum. A failure to store fails the datum and stops the job.
   */
  private async storeOutputs(done: Pending, taken: string): Promise<void> {
    try {
      // Storing starts with synchronous work: the NextDatum answer goes out first.
      await nextTurn();
      const outputs = await this.layout.collect(taken);
      this.ctx.onResult({ datum: done.datum, state: 'SUCCESS', outputs, tries: done.tries });
    } catch (e) {
      const reason = `cannot store the output of datum ${done.datum.id}: ${(e as Error).message}`;
      this.ctx.onResult({ datum: done.datum, state: 'FAILED', outputs: [], reason, tries: done.tries });
      this.fatal(reason);
    }
  }

  private async session(): Promise<SessionEnd> {
    const { ctx, layout } = this;
    let current: Pending | null = null;
    let asked = false;
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    let proc: StepProcess | undefined;
    /** The last datum's outputs going into the store while the step works on the next datum; never rejects. */
    let storing: Promise<void> = Promise.resolve();
    const tail = new Tail();
    let resolveEnd!: (end: SessionEnd) => void;
    const ended = new Promise<SessionEnd>((resolve) => (resolveEnd = resolve));

    const finish = (end: SessionEnd) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      proc?.kill();
      server.close();
      // Only once the step is gone may its root be reused or removed, and only once the outputs
      // are stored is every result of the session reported.
      void Promise.all([proc?.exited, storing]).then(() => resolveEnd(end));
    };
    const failCurrent = (reason: string) => {
      const cur = current!;
      current = null;
      finish({ kind: 'failed', datum: cur.datum, tries: cur.tries, reason });
    };
    const onAbort = () => (current ? failCurrent(reasonOf(ctx.signal)) : finish({ kind: 'drained' }));

    const server = await WorkerServer.start(async (error) => {
      if (over) return null;
      // Lines the step printed before this call reach us first; let them be logged under their datum.
      await nextTurn();
      if (over) return null;
      if (current) {
        clearTimeout(timer);
        if (error) {
          failCurrent(error.split('\n')[0] || 'the step reported an error');
          return null;
        }
        const done: Pending = current;
        // At most one datum's outputs in flight: the step cannot outrun the disk.
        await storing;
        // An abort while waiting has already failed the datum.
        if (over) return null;
        let taken: string | null;
        try {
          taken = layout.takeOut();
        } catch (e) {
          finish({ kind: 'fatal', reason: `cannot take the output of datum ${done.datum.id}: ${(e as Error).message}` });
          return null;
        }
        current = null;
        if (taken) storing = this.storeOutputs(done, taken);
        else ctx.onResult({ datum: done.datum, state: 'SUCCESS', outputs: [], tries: done.tries });
      }
      asked = true;
      await ctx.planned;
      if (over) return null;
      const next = this.take();
      if (!next) {
        finish({ kind: 'drained' });
        return null;
      }
      current = next;
      tail.clear();
      const lines = datumEnvLines(next.datum, layout, ctx.jobId);
      try {
        layout.show(next.datum, lines);
      } catch (e) {
        finish({ kind: 'fatal', reason: `cannot lay out datum ${next.datum.id}: ${(e as Error).message}` });
        return null;
      }
      if (over) return null;
      const limit = ctx.spec.datumTimeoutMs;
      if (limit !== undefined) timer = setTimeout(() => current === next && failCurrent(`timed out after ${limit / 1000}s (datumTimeout)`), limit);
      return lines;
    });
    if (ctx.signal.aborted) {
      server.close();
      return { kind: 'drained' };
    }
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    const { cmd, stdin } = ctx.spec.transform;
    proc = startStep(cmd, {
      env: processEnv(ctx, layout, { PPS_WORKER_GRPC_PORT: String(server.port) }),
      cwd: workingDir(ctx),
      stdin: stdinOf(stdin),
      onLine: (line, stream) => {
        ctx.log.write(this.workerId, current?.datum.id, line);
        if (stream === 'stderr') tail.add(line);
      },
    });
    void proc.exited.then((exit) => {
      if (over) return;
      if (exit.spawnError) return finish({ kind: 'fatal', reason: exit.spawnError });
      const how = exitFailure(exit) ?? 'exited with code 0';
      if (current) failCurrent(`the step ${how} while processing the datum${tail.suffix()}`);
      else if (!asked) finish({ kind: 'fatal', reason: `the step ${how} before asking for a datum (a datumBatching step must loop on NextDatum)${tail.suffix()}` });
      else finish({ kind: 'restart' });
    });
    return ended;
  }
}
