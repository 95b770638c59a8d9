import { setImmediate as nextTurn } from 'node:timers/promises';
import { WORKER_PORT_VAR } from '../../pfs/worker-protocol.js';
import type { DatumRoot } from './datum-root.js';
import { DatumSet } from './datum-sets.js';
import type { Datum } from '../datum/create.js';
import { datumEnvLines, datumsLeft, stepEnv, stopReason, takeDatum, type JobContext, type WorkerPod } from './job-context.js';
import { NextDatumServer } from './next-datum-server.js';
import { JOB_FAILURE_EXIT_CODE } from '../../pfs/errors.js';
import {
  afterFailedTry,
  type ErrCmdOutcome,
  exitFailure,
  failedResult,
  jobFailureReason,
  startUserCode,
  StderrTail,
  type StepExit,
  type StepProcess,
} from './user-code.js';
import type { ParkedStep, WarmWorkers } from './warm-workers.js';

/**
 * The datum-batching worker (transform.datumBatching), as Pachyderm's: the step starts once per
 * datum set (datum-sets.ts) and loops on NextDatum. Each call closes the datum the step held,
 * with the error it reports ('' for success), and is answered with the next datum's variables.
 * A datum that fails is tried again in a restarted step, up to datumTries, errCmd (if any)
 * running after each failed try (user-code.ts, afterFailedTry).
 */

/** A datum a worker took, which try of it this is (1 for the first), and what errCmd made of the tries before. */
interface DatumTry {
  datum: Datum;
  tries: number;
  errCmd: ErrCmdOutcome;
}

/** Why a session ended: what the worker does next. */
export type SessionEnd =
  /** No datum is left, or the job was stopped while no datum was in flight: the worker is done. */
  | { kind: 'drained' }
  /** The step exited between two datums: start it again. */
  | { kind: 'restart' }
  /** The datum failed (an error reported, the step gone mid-datum, datumTimeout, the job stopped): try it again or settle it. */
  | { kind: 'failed'; held: DatumTry; reason: string }
  /** The step cannot run, or the worker cannot go on: the job fails. */
  | { kind: 'fatal'; reason: string };

/** Where a worker's step may be kept warm between jobs: its pool, the key of this job's spec and environment, its index. */
export interface WarmSlot {
  pool: WarmWorkers;
  key: string;
  index: number;
}

/**
 * Where a session stands. Storing the previous datum's outputs is no state of its own: it
 * overlaps the next datum (see BatchSession.storing).
 */
type SessionState =
  /** The step runs and has not asked for a datum yet. */
  | { name: 'starting' }
  /** The step asked for a datum and waits while the worker picks and lays out the next one. */
  | { name: 'choosing' }
  /** The step holds a datum, until its next NextDatum call closes it. */
  | { name: 'datum-running'; held: DatumTry; timer?: NodeJS.Timeout }
  /**
   * The step is being killed. `held`: the datum it held when the worker could not go on (a
   * fatal end), whose last lines are still its own; a failed datum is handed back in the end.
   */
  | { name: 'ended'; held?: DatumTry }
  /** No datum was left: the step waits in a warm pool, its NextDatum call unanswered, for the next job (see WarmWorkers). */
  | { name: 'parked' };

/** One worker of a datum-batching step: sessions of the step, one after another, until no datum is left. */
export class BatchWorker {
  /** The datum to try again in the next session. */
  private retry: DatumTry | null = null;
  /** The datum set the step's process serves (see datum-sets.ts). */
  private set: DatumSet | null = null;
  constructor(
    readonly ctx: JobContext,
    readonly pod: WorkerPod,
    /** Fails the job: the step cannot run, or an output cannot be stored. */
    readonly fatal: (reason: string) => void,
    /** Set when the step may be kept warm for the next job. */
    readonly warm?: WarmSlot,
  ) {}

  get workerId(): string {
    return this.pod.id;
  }

  get root(): DatumRoot {
    return this.pod.root;
  }

  async run(): Promise<void> {
    const { ctx } = this;
    // The first session may start before the datums are known; its first NextDatum call waits for them.
    for (let first = true; first || (!ctx.signal.aborted && (this.retry || datumsLeft(ctx))); first = false) {
      const end = await BatchSession.run(this);
      if (end.kind === 'fatal') return this.fatal(end.reason);
      if (end.kind !== 'failed') continue;
      const { held, reason } = end;
      await afterFailedTry(ctx, this.pod, held.datum, held.errCmd);
      if (held.tries < ctx.spec.datumTries && !ctx.signal.aborted) this.retry = { ...held, tries: held.tries + 1 };
      else ctx.onResult(failedResult(held.datum, reason, held.tries, held.errCmd));
    }
  }

  /** A new process of the step serves a new datum set, unless it takes over one a failed datum cut short. */
  beginProcess(): void {
    if (this.set?.full) this.set = null;
  }

  /**
   * The datum for the step's next NextDatum call: the one to try again, else the job's next;
   * null when none is left, or when the process's datum set is complete (it is then ended, and
   * the next set gets a new one).
   */
  take(): DatumTry | null {
    const retry = this.retry;
    this.retry = null;
    if (retry) return retry;
    this.set ??= new DatumSet(this.ctx.setLimit);
    if (this.set.full) return null;
    const datum = takeDatum(this.ctx);
    if (!datum) return null;
    this.set.add(datum.inputs.reduce((sum, input) => sum + input.size, 0));
    return { datum, tries: 1, errCmd: { recovered: false } };
  }
}

/**
 * One run of the step with its own NextDatum server (a fresh port per process, so that a call
 * from a process being killed can never be taken for its successor's). The step's calls, its
 * exit, the datum's timeout and the job's abort each move the session through SessionState;
 * it ends when no datum is left, when a datum fails (the step is killed), or when the step
 * exits by itself.
 */
class BatchSession implements ParkedStep {
  private state: SessionState = { name: 'starting' };
  /** Answers a parked step's wait: true when a new job resumed it, false when the pool ended it. */
  private resumeWith: ((resumed: boolean) => void) | undefined;
  /** The last datum's outputs going into the store while the step works on the next datum; never rejects. */
  private storing: Promise<void> = Promise.resolve();
  private readonly tail = new StderrTail();
  private proc: StepProcess | undefined;
  private resolveEnded!: (end: SessionEnd) => void;
  /** The end of the session for the job it serves now (a warm step serves one job after another). */
  private ended = new Promise<SessionEnd>((resolve) => (this.resolveEnded = resolve));

  /** Runs one session of the worker's step to its end: a step parked warm for this job, else a new one. */
  static async run(worker: BatchWorker): Promise<SessionEnd> {
    const { warm } = worker;
    const parked = warm?.pool.take(worker.ctx.spec, warm.key, warm.index);
    if (parked) return parked.resume(worker);
    worker.beginProcess();
    // No process knows the server's port before the session has started one, so no call comes before `session` is set.
    let session!: BatchSession;
    const server = await NextDatumServer.start((error) => session.onNextDatum(error));
    session = new BatchSession(worker, server);
    return session.start();
  }

  private constructor(
    private worker: BatchWorker,
    private readonly server: NextDatumServer,
  ) {}

  private get ctx(): JobContext {
    return this.worker.ctx;
  }

  private start(): Promise<SessionEnd> {
    const { ctx, worker } = this;
    if (ctx.signal.aborted) {
      this.server.close();
      return Promise.resolve({ kind: 'drained' });
    }
    ctx.signal.addEventListener('abort', this.onAbort, { once: true });
    const { cmd, stdin } = ctx.spec.transform;
    const env = stepEnv(ctx, worker.pod, { [WORKER_PORT_VAR]: String(this.server.port) });
    this.proc = startUserCode(ctx, cmd, stdin, env, (line, stream) => {
      this.ctx.log.write(this.worker.workerId, this.datumOfLines(), line);
      if (stream === 'stderr') this.tail.add(line);
    });
    void this.proc.exited.then((exit) => this.onStepExit(exit));
    ctx.stepStarted();
    return this.ended;
  }

  /** The datum the step's output lines are logged under. */
  private datumOfLines(): string | undefined {
    const { state } = this;
    return state.name === 'datum-running' || state.name === 'ended' ? state.held?.datum.id : undefined;
  }

  private get isEnded(): boolean {
    return this.state.name === 'ended';
  }

  /**
   * The step's NextDatum call: closes the datum it held, then answers with the next datum's
   * variables, or null (no answer) when the session ends instead.
   */
  private async onNextDatum(error: string): Promise<string[] | null> {
    if (this.isEnded) return null;
    // Lines the step printed before this call reach us first; let them be logged under their datum.
    await nextTurn();
    if (this.isEnded) return null;
    if (this.state.name === 'datum-running') {
      const { ctx, worker } = this;
      const { held: done, timer } = this.state;
      clearTimeout(timer);
      if (error) {
        this.failDatum(done, error.split('\n')[0] || 'the step reported an error');
        return null;
      }
      // At most one datum's outputs in flight: the step cannot outrun the disk.
      await this.storing;
      // An abort while waiting has already failed the datum.
      if (this.isEnded) return null;
      let taken: string | null;
      try {
        taken = worker.root.takeOut();
      } catch (e) {
        this.end({ kind: 'fatal', reason: `cannot take the output of datum ${done.datum.id}: ${(e as Error).message}` });
        return null;
      }
      if (taken) this.storing = this.storeOutputs(done, taken);
      else ctx.onResult({ datum: done.datum, state: 'SUCCESS', outputs: [], tries: done.tries });
    }
    let next: DatumTry | null = null;
    while (next === null) {
      this.state = { name: 'choosing' };
      await this.ctx.planned;
      if (this.isEnded) return null;
      next = this.worker.take();
      if (next === null && !(await this.parkUntilNextJob())) return null;
    }
    const { ctx, worker } = this;
    this.state = { name: 'datum-running', held: next };
    this.tail.clear();
    const lines = datumEnvLines(next.datum, worker.root, ctx.jobId);
    let unlaid: string | null;
    try {
      unlaid = worker.root.show(next.datum, lines);
    } catch (e) {
      this.end({ kind: 'fatal', reason: `cannot lay out datum ${next.datum.id}: ${(e as Error).message}` });
      return null;
    }
    if (unlaid) {
      this.failDatum(next, unlaid);
      return null;
    }
    const limit = ctx.spec.datumTimeoutMs;
    if (limit !== undefined)
      this.state = { name: 'datum-running', held: next, timer: setTimeout(() => this.onTimeout(next, limit), limit) };
    return lines;
  }

  /**
   * No datum is left in the job: with a warm pool, the job's session ends (once the last outputs
   * are stored) but the step stays, parked, until the next job resumes it (true) or the pool ends
   * it (false); without one, the session ends.
   */
  private async parkUntilNextJob(): Promise<boolean> {
    const { warm } = this.worker;
    if (!warm || this.ctx.signal.aborted || !warm.pool.park(this.ctx.spec, warm.key, warm.index, this)) {
      this.end({ kind: 'drained' });
      return false;
    }
    this.state = { name: 'parked' };
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    const resumed = new Promise<boolean>((resolve) => (this.resumeWith = resolve));
    const finishJob = this.resolveEnded;
    void this.storing.then(() => finishJob({ kind: 'drained' }));
    return resumed;
  }

  /** A new job takes this parked step: its waiting NextDatum call gets the job's first datum. */
  resume(worker: BatchWorker): Promise<SessionEnd> {
    this.worker = worker;
    this.ended = new Promise<SessionEnd>((resolve) => (this.resolveEnded = resolve));
    this.state = { name: 'choosing' };
    this.tail.clear();
    this.ctx.signal.addEventListener('abort', this.onAbort, { once: true });
    this.resumeWith?.(true);
    this.ctx.stepStarted();
    if (this.ctx.signal.aborted) this.onAbort();
    return this.ended;
  }

  /** The pool ends a parked step (idle too long, the server stopping, a new spec). */
  dispose(): void {
    if (this.state.name !== 'parked') return;
    this.state = { name: 'ended' };
    this.proc?.kill();
    this.server.close();
    this.resumeWith?.(false);
  }

  /** The step exited: by itself, or killed as the session ended. */
  private onStepExit(exit: StepExit): void {
    const { state } = this;
    if (state.name === 'ended') return;
    if (state.name === 'parked') {
      this.worker.warm?.pool.forget(this);
      return;
    }
    if (exit.spawnError || exit.code === JOB_FAILURE_EXIT_CODE) {
      this.end({ kind: 'fatal', reason: exit.spawnError ?? jobFailureReason(this.tail) });
      return;
    }
    const how = exitFailure(exit) ?? 'exited with code 0';
    if (state.name === 'datum-running') this.failDatum(state.held, `the step ${how} while processing the datum${this.tail.suffix()}`);
    else if (state.name === 'starting') {
      this.end({
        kind: 'fatal',
        reason: `the step ${how} before asking for a datum (a datumBatching step must loop on NextDatum)${this.tail.suffix()}`,
      });
    } else this.end({ kind: 'restart' });
  }

  /** datumTimeout ran out on `datum`. */
  private onTimeout(datum: DatumTry, limitMs: number): void {
    if (this.state.name === 'datum-running' && this.state.held === datum)
      this.failDatum(datum, `timed out after ${limitMs / 1000}s (datumTimeout)`);
  }

  /** The job was stopped (its timeout, or the user). */
  private readonly onAbort = (): void => {
    if (this.state.name === 'datum-running') this.failDatum(this.state.held, stopReason(this.ctx.signal));
    else this.end({ kind: 'drained' });
  };

  private failDatum(datum: DatumTry, reason: string): void {
    this.end({ kind: 'failed', held: datum, reason });
  }

  /**
   * Ends the session (once): the step is killed and the server closed. Only once the step is
   * gone may its root be reused or removed, and only once the outputs are stored is every
   * result of the session reported; then the end is the session's.
   */
  private end(end: SessionEnd): void {
    const { state } = this;
    if (state.name === 'ended') return;
    if (state.name === 'datum-running') clearTimeout(state.timer);
    this.state = { name: 'ended', ...(state.name === 'datum-running' && end.kind !== 'failed' ? { held: state.held } : {}) };
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    this.proc?.kill();
    this.server.close();
    void Promise.all([this.proc?.exited, this.storing]).then(() => this.resolveEnded(end));
  }

  /**
   * Stores a succeeded datum's outputs (a folder from takeOut) and reports its result, while the
   * step works on the next datum. A failure to store fails the datum and stops the job.
   */
  private async storeOutputs(done: DatumTry, taken: string): Promise<void> {
    const { ctx, worker } = this;
    try {
      // Storing starts with synchronous work: the NextDatum answer goes out first.
      await nextTurn();
      const outputs = await worker.root.collect(taken);
      ctx.onResult({ datum: done.datum, state: 'SUCCESS', outputs, tries: done.tries });
    } catch (e) {
      const reason = `cannot store the output of datum ${done.datum.id}: ${(e as Error).message}`;
      ctx.onResult({ datum: done.datum, state: 'FAILED', outputs: [], reason, tries: done.tries });
      worker.fatal(reason);
    }
  }
}
