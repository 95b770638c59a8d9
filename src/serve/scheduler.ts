/**
 * Pipelines that run by themselves: whenever an input commit lands (the ingest's own commits,
 * or another process's, seen by polling the input repos' heads), the server brings the
 * pipelines up to date with the same engine as `vigil run` (runPipelines), one run at a time
 * and debounced, so frames that arrive together share their jobs. The path to an alert (the
 * `urgent` pipeline and everything upstream of it) runs first, every time; the other pipelines
 * (warehouse, reports) wait and run at most once per `batchIntervalMs`, when no urgent work is
 * pending. A cron input whose tick has come due wakes the same run (runPipelines commits the
 * tick, as `vigil run` does), so a schedule ticks with no frame arriving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inputBranches } from '../engine/pps/inputs.js';
import type { JobRecord } from '../engine/pps/job-records.js';
import { runPipelines, type PipelineOutcome, type RunProgress } from '../engine/pps/job-runner.js';
import { listPipelines } from '../engine/pps/pipelines.js';
import { dueTicks } from '../engine/pps/ticker.js';
import type { Store } from '../engine/store/store.js';
import type { WarmWorkers } from '../engine/worker/warm-workers.js';
import { VigilError } from '../pfs/errors.js';
import type { ServeMetrics } from './metrics.js';

export interface SchedulerOptions {
  store: Store;
  /** The pipeline whose upstream closure runs first on every input commit. */
  urgent: string;
  /** After a commit, how long to wait for more before running, ms. */
  debounceMs: number;
  /** The other pipelines run at most this often, ms. */
  batchIntervalMs: number;
  /** How often the input repos' heads are checked for commits made by other processes, ms. */
  pollMs: number;
  /** Batching steps kept warm between jobs (see WarmWorkers). */
  workers?: WarmWorkers;
  metrics: ServeMetrics;
  log(line: string): void;
  /** Called after each run of the urgent pipelines with what it did. */
  afterUrgentRun?(outcomes: PipelineOutcome[]): Promise<void>;
}

export class PipelineScheduler {
  private urgentDue = true;
  private batchDue = true;
  private lastBatch = 0;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;
  private readonly poller: NodeJS.Timeout;
  private inputHeads = '';
  private current: { job: JobRecord; toProcess: number } | undefined;

  constructor(private readonly opts: SchedulerOptions) {
    this.loop = this.run();
    this.poller = setInterval(() => void this.pollInputs(), opts.pollMs);
  }

  /** The job running now and how many datums it has to process; its counts move as datums finish. */
  running(): { job: JobRecord; toProcess: number } | undefined {
    return this.current;
  }

  /** An input commit landed: run soon. */
  notify(): void {
    this.urgentDue = true;
    this.batchDue = true;
    this.wake?.();
  }

  /**
   * Starts no new job; lets the run in flight finish for up to `graceMs`, then stops its job
   * (JOB_KILLED, done again at the next start).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    this.wake?.();
    const timer = setTimeout(() => this.abort.abort(new Error('the server is stopping')), graceMs);
    await this.loop;
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.urgentDue && !this.batchReady()) {
        await this.sleepUntilWoken();
        continue;
      }
      await sleep(this.opts.debounceMs);
      if (this.stopped) break;
      if (this.urgentDue) {
        this.urgentDue = false;
        const outcomes = await this.runOnce(this.opts.urgent);
        if (outcomes) await this.opts.afterUrgentRun?.(outcomes).catch((e) => this.opts.log(`after the run: ${(e as Error).message}`));
      } else if (this.batchReady()) {
        this.batchDue = false;
        this.lastBatch = Date.now();
        await this.runOnce(undefined);
      }
    }
  }

  private batchReady(): boolean {
    return this.batchDue && Date.now() - this.lastBatch >= this.opts.batchIntervalMs;
  }

  private async sleepUntilWoken(): Promise<void> {
    const untilBatch = this.batchDue ? Math.max(0, this.lastBatch + this.opts.batchIntervalMs - Date.now()) : undefined;
    await new Promise<void>((resolve) => {
      const timer = untilBatch === undefined ? undefined : setTimeout(resolve, untilBatch);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** One runPipelines; a failure to run at all (another `vigil run` holds the store) is logged and tried again at the next commit. */
  private async runOnce(pipeline: string | undefined): Promise<PipelineOutcome[] | null> {
    try {
      return await runPipelines(this.opts.store, {
        ...(pipeline ? { pipeline } : {}),
        signal: this.abort.signal,
        progress: this.progress,
        ...(this.opts.workers ? { workers: this.opts.workers } : {}),
      });
    } catch (e) {
      this.opts.log(`pipelines not run: ${e instanceof VigilError ? e.message : ((e as Error).stack ?? String(e))}`);
      if (pipeline) this.urgentDue = true;
      else this.batchDue = true;
      if (!this.stopped) await sleep(1000);
      return null;
    }
  }

  private readonly progress: RunProgress = {
    idle: () => {},
    jobStarted: (job: JobRecord, toProcess: number) => {
      this.current = { job, toProcess };
      this.opts.metrics.jobsRunning.inc({ pipeline: job.pipeline });
      this.opts.log(`job ${job.pipeline}@${job.id} started: ${toProcess} datums to process, ${job.dataSkipped} skipped`);
    },
    datumDone: () => {},
    jobFinished: (job: JobRecord) => {
      this.current = undefined;
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
        this.wake?.();
      }
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
        inputs.sort().map(async (rb) => {
          const [repo, branch] = rb.split('@') as [string, string];
          return `${rb}=${(await this.opts.store.headCommit(repo, branch).catch(() => null))?.id ?? ''}`;
        }),
      );
      const key = heads.join(',');
      if (this.inputHeads && key !== this.inputHeads) this.notify();
      this.inputHeads = key;
    } catch {
      // A repo deleted meanwhile: the next poll sees the new state.
    }
  }
}
