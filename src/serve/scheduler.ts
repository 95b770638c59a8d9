/**
 * Pipelines that run by themselves: whenever an input commit lands (the ingest's own commits,
 * or another process's, seen by polling the input repos' heads), the server brings the
 * pipelines up to date with the same engine as `vigil run` (runPipelines). As on Pachyderm,
 * each pipeline on the path to an alert (the `urgent` pipeline and everything upstream of it)
 * runs its jobs by itself, one at a time, as soon as its inputs change: a frame waits for the
 * job in progress of each stage, not for a whole pass over every stage, and a stage's job runs
 * while the stage before it works on the next frames. The other pipelines (warehouse, reports)
 * run together, at most once per `batchIntervalMs`, beside the urgent ones and never in their
 * way. A commit wakes only the stages that read its repo; one that reads it only `lazy` (the
 * alerts read validated frames only for the pictures of their incidents) runs for it within
 * `batchIntervalMs`, or sooner with its next other change: a new frame re-runs a device-day's
 * alerts once its matches change, not at every frame. A cron input whose tick has come due
 * wakes them (runPipelines commits the tick, as `vigil run` does), so a schedule ticks with no
 * frame arriving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inputBranches, pfsInputs } from '../engine/pps/inputs.js';
import type { JobRecord } from '../engine/pps/job-records.js';
import { runPipelines, upstreamOf, type PipelineOutcome, type RunProgress } from '../engine/pps/job-runner.js';
import { dependencyOrder, listPipelines, type PipelineRecord } from '../engine/pps/pipelines.js';
import { dueTicks } from '../engine/pps/ticker.js';
import type { Store } from '../engine/store/store.js';
import type { WarmWorkers } from '../engine/worker/warm-workers.js';
import { VigilError } from '../pfs/errors.js';
import type { ServeMetrics } from './metrics.js';

export interface SchedulerOptions {
  store: Store;
  /** The pipeline whose upstream closure runs first on every input commit. */
  urgent: string;
  /** After an input commit, how long to wait for more before running, ms. */
  debounceMs: number;
  /** The other pipelines run at most this often, ms. */
  batchIntervalMs: number;
  /** How often the input repos' heads are checked for commits made by other processes, ms. */
  pollMs: number;
  /** Batching steps kept warm between jobs (see WarmWorkers). */
  workers?: WarmWorkers;
  metrics: ServeMetrics;
  log(line: string): void;
  /** Called after each job of the urgent pipeline with what it did. */
  afterUrgentRun?(outcomes: PipelineOutcome[]): Promise<void>;
}

/** A job in progress and how many datums it has to process; its counts move as datums finish. */
export interface RunningJob {
  job: JobRecord;
  toProcess: number;
}

/** Wakes a sleeping loop; a wake while it works makes it run again when done. */
class Signal {
  private due = true;
  private waiting: (() => void) | undefined;
  private deferred: NodeJS.Timeout | undefined;

  raise(): void {
    clearTimeout(this.deferred);
    this.deferred = undefined;
    this.due = true;
    this.waiting?.();
  }

  /** Raises in `ms` unless raised before (a run then covers what this wake was for). */
  raiseWithin(ms: number): void {
    if (this.due || this.deferred) return;
    this.deferred = setTimeout(() => this.raise(), ms).unref();
  }

  /** Waits until raised (at once if raised meanwhile), or `ms` if given; clears the signal. */
  async wait(ms?: number): Promise<void> {
    if (!this.due) {
      await new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
    this.due = false;
  }
}

export class PipelineScheduler {
  /** One loop per urgent pipeline, each with the signal that wakes it. */
  private readonly stages = new Map<string, { signal: Signal; done: Promise<void> }>();
  private readonly batch = new Signal();
  private batchDue = true;
  private lastBatch = 0;
  /** The urgent pipelines as last read, upstream first. */
  private urgentNames: string[] = [];
  /** By repo, the pipelines reading it, as last read. */
  private readers = new Map<string, Map<string, Reading>>();
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly batchLoop: Promise<void>;
  private readonly poller: NodeJS.Timeout;
  /** The input repos' heads at the last poll, by `repo@branch`. */
  private inputHeads = new Map<string, string>();
  private readonly live = new Map<string, RunningJob>();

  constructor(private readonly opts: SchedulerOptions) {
    this.batchLoop = this.runBatches();
    void listPipelines(opts.store)
      .then((records) => this.refreshStages(records))
      .then(
        () => this.notify(),
        () => {},
      );
    this.poller = setInterval(() => void this.pollInputs(), opts.pollMs);
  }

  /** The jobs running now, by pipeline. */
  running(): ReadonlyMap<string, RunningJob> {
    return this.live;
  }

  /** Commits landed in `repos` (every repo when not given): wake the pipelines that read them. */
  notify(repos?: Iterable<string>): void {
    this.batchDue = true;
    if (repos === undefined) for (const { signal } of this.stages.values()) signal.raise();
    else for (const repo of repos) this.wakeReaders(repo);
    this.batch.raise();
  }

  /** Wakes the urgent stages reading `repo`: at once, or within the batch interval for a lazy input. */
  private wakeReaders(repo: string): void {
    for (const [pipeline, reading] of this.readers.get(repo) ?? []) {
      const signal = this.stages.get(pipeline)?.signal;
      if (reading === 'eager') signal?.raise();
      else signal?.raiseWithin(this.opts.batchIntervalMs);
    }
  }

  /**
   * Starts no new job; lets the jobs in flight finish for up to `graceMs`, then stops them
   * (JOB_KILLED, done again at the next start).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    this.notify();
    const timer = setTimeout(() => this.abort.abort(new Error('the server is stopping')), graceMs);
    await Promise.all([this.batchLoop, ...[...this.stages.values()].map((s) => s.done)]);
    clearTimeout(timer);
  }

  /** Starts a loop for each urgent pipeline that has none; a loop whose pipeline is no longer urgent ends by itself. */
  private refreshStages(records: PipelineRecord[]): void {
    this.urgentNames = urgentClosure(this.opts.urgent, records);
    this.readers = readersByRepo(records);
    for (const name of this.urgentNames) {
      if (this.stages.has(name) || this.stopped) continue;
      const signal = new Signal();
      this.stages.set(name, { signal, done: this.runStage(name, signal) });
    }
  }

  /** One urgent pipeline: a job whenever its inputs changed, then a wake for the stages after it. */
  private async runStage(name: string, signal: Signal): Promise<void> {
    try {
      for (;;) {
        await signal.wait();
        if (this.stopped || !this.urgentNames.includes(name)) return;
        // The first stages wait a moment for more frames; the later ones were woken by a job before them.
        if (this.urgentNames[0] === name) await sleep(this.opts.debounceMs);
        const outcomes = await this.runOnce([name]);
        if (outcomes === null) {
          signal.raise();
          continue;
        }
        if (outcomes.some((o) => o.job)) {
          this.batchDue = true;
          this.wakeReaders(name);
        }
        if (name === this.opts.urgent)
          await this.opts.afterUrgentRun?.(outcomes).catch((e) => this.opts.log(`after the run: ${(e as Error).message}`));
      }
    } finally {
      this.stages.delete(name);
    }
  }

  /** The other pipelines, together, at most once per batchIntervalMs. */
  private async runBatches(): Promise<void> {
    while (!this.stopped) {
      const untilBatch = Math.max(0, this.lastBatch + this.opts.batchIntervalMs - Date.now());
      if (!this.batchDue || untilBatch > 0) {
        await this.batch.wait(this.batchDue ? untilBatch : undefined);
        continue;
      }
      const names = await this.batchNames();
      this.batchDue = false;
      this.lastBatch = Date.now();
      if (names.length > 0 && (await this.runOnce(names)) === null) this.batchDue = true;
    }
  }

  /** Every pipeline that is not urgent. */
  private async batchNames(): Promise<string[]> {
    const records = await listPipelines(this.opts.store).catch(() => []);
    const urgent = new Set(urgentClosure(this.opts.urgent, records));
    return records.map((r) => r.name).filter((n) => !urgent.has(n));
  }

  /** One runPipelines of exactly `only`; a failure to run at all (another `vigil run` holds the store) is logged, and null returned after a pause. */
  private async runOnce(only: string[]): Promise<PipelineOutcome[] | null> {
    try {
      return await runPipelines(this.opts.store, {
        only,
        signal: this.abort.signal,
        progress: this.progress,
        ...(this.opts.workers ? { workers: this.opts.workers } : {}),
      });
    } catch (e) {
      this.opts.log(`pipelines not run: ${e instanceof VigilError ? e.message : ((e as Error).stack ?? String(e))}`);
      if (!this.stopped) await sleep(1000);
      return null;
    }
  }

  private readonly progress: RunProgress = {
    idle: () => {},
    jobStarted: (job: JobRecord, toProcess: number) => {
      this.live.set(job.pipeline, { job, toProcess });
      this.opts.metrics.jobsRunning.inc({ pipeline: job.pipeline });
      this.opts.log(`job ${job.pipeline}@${job.id} started: ${toProcess} datums to process, ${job.dataSkipped} skipped`);
    },
    datumDone: () => {},
    jobFinished: (job: JobRecord) => {
      this.live.delete(job.pipeline);
      this.opts.metrics.jobsRunning.dec({ pipeline: job.pipeline });
      this.opts.metrics.jobs.inc({ pipeline: job.pipeline, state: job.state });
      const seconds = ((Date.parse(job.finished ?? '') - Date.parse(job.started)) / 1000).toFixed(2);
      const expired = job.dataExpired ? ` (${job.dataExpired} kept: input frames expired)` : '';
      const counts = `${job.dataProcessed} processed, ${job.dataSkipped} skipped${expired}, ${job.dataFailed} failed`;
      this.opts.log(`job ${job.pipeline}@${job.id} ${job.state} in ${seconds} s: ${counts}${job.reason ? `: ${job.reason}` : ''}`);
    },
  };

  /** Notices commits that other processes made to the input repos (those no pipeline writes), and cron ticks that are due. */
  private async pollInputs(): Promise<void> {
    try {
      const records = await listPipelines(this.opts.store);
      if ((await dueTicks(this.opts.store, records, new Date())).length > 0) {
        this.batchDue = true;
        this.batch.raise();
      }
      this.refreshStages(records);
      const outputs = new Set(records.map((r) => r.name));
      const inputs = [
        ...new Set(
          records
            .flatMap((r) => inputBranches(r.spec.input))
            .filter((b) => !outputs.has(b.repo))
            .map((b) => `${b.repo}@${b.branch}`),
        ),
      ];
      const heads = await Promise.all(
        inputs.map(async (rb): Promise<[string, string]> => {
          const [repo, branch] = rb.split('@') as [string, string];
          return [rb, (await this.opts.store.headCommit(repo, branch).catch(() => null))?.id ?? ''];
        }),
      );
      if (this.inputHeads.size > 0) {
        const changed = heads.filter(([rb, head]) => this.inputHeads.get(rb) !== head).map(([rb]) => rb.slice(0, rb.indexOf('@')));
        if (changed.length > 0) this.notify(changed);
      }
      this.inputHeads = new Map(heads);
    } catch {
      // A repo deleted meanwhile: the next poll sees the new state.
    }
  }
}

/** How a pipeline reads a repo: through at least one input that is not lazy, or only through lazy ones. */
type Reading = 'eager' | 'lazy';

/** For each repo, the pipelines that read it and how. */
function readersByRepo(records: PipelineRecord[]): Map<string, Map<string, Reading>> {
  const readers = new Map<string, Map<string, Reading>>();
  for (const { name, spec } of records) {
    for (const input of pfsInputs(spec.input)) {
      const byPipeline = readers.get(input.repo) ?? new Map<string, Reading>();
      readers.set(input.repo, byPipeline);
      if (byPipeline.get(name) !== 'eager') byPipeline.set(name, input.lazy ? 'lazy' : 'eager');
    }
  }
  return readers;
}

/** The urgent pipeline and every pipeline upstream of it, upstream first. */
function urgentClosure(urgent: string, records: PipelineRecord[]): string[] {
  const byName = new Map(records.map((r) => [r.name, r]));
  const wanted = upstreamOf(urgent, byName);
  return dependencyOrder(records.map((r) => r.spec))
    .map((s) => s.name)
    .filter((n) => wanted.has(n));
}
