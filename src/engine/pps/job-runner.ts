import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Datum } from '../datum/create.js';
import { processDatums } from '../worker/driver.js';
import type { DatumResult } from '../worker/job-context.js';
import { finishJob, latestJobs, markAbandonedJobs, startJob, type CommitPointer, type JobRecord } from './job-records.js';
import { acquireLock } from '../store/lock.js';
import { JobLog } from './logs.js';
import { dependencyOrder, inspectPipeline, listPipelines, ppsDir, type PipelineRecord } from './pipelines.js';
import { inputBranches } from './inputs.js';
import type { Store } from '../store/store.js';
import type { WarmWorkers } from '../worker/warm-workers.js';
import { podEnvironment, stepEnvironment } from './step-env.js';
import { tickCronInputs } from './ticker.js';
import { DatumTrees } from './datum-state.js';
import { planJob, type JobPlan } from './job-plan.js';
import { commitJob, keepFailedJob } from './job-output.js';
import { setAsideExpired } from './expired-inputs.js';

/**
 * Brings pipelines up to date, upstream first, one job per pipeline whose inputs (or spec)
 * changed since its last job. A job plans its datums against the last successful job's datum
 * state (job-plan.ts: from the diffs of its input trees when it can); the datums that changed
 * run through the step (worker/driver.ts), the others are skipped and their outputs carried
 * over. The output commit is the previous one with the outputs of gone and re-run datums
 * replaced by the new ones (job-output.ts), its provenance the input commits, its id the job's.
 */

export interface RunProgress {
  /** A pipeline that needs no job (up to date, or nothing to read yet). */
  idle(outcome: PipelineOutcome): void;
  jobStarted(job: JobRecord, toProcess: number): void;
  datumDone(job: JobRecord, result: DatumResult): void;
  jobFinished(job: JobRecord): void;
}

export interface RunOptions {
  /** Only this pipeline and the pipelines upstream of it. */
  pipeline?: string;
  /**
   * Only these pipelines, upstream of them or not: for a caller that runs pipelines concurrently
   * (vigil serve), which must run each pipeline in one run at a time.
   */
  only?: readonly string[];
  /** Aborting kills the steps; the job in progress ends JOB_KILLED. */
  signal?: AbortSignal;
  progress?: RunProgress;
  /** Pipelines whose cron inputs tick now, whatever their schedule (`pachctl run cron`). */
  tick?: ReadonlySet<string>;
  /** Keeps datum-batching steps warm across jobs (a long-running server; `vigil run` uses none). */
  workers?: WarmWorkers;
}

export interface PipelineOutcome {
  pipeline: string;
  /** The job this run made; null when the pipeline was up to date (or has nothing to read yet). */
  job: JobRecord | null;
  /** Without a new job: the last job, whose inputs are still the current ones. */
  last: JobRecord | null;
}

export async function runPipelines(store: Store, opts: RunOptions = {}): Promise<PipelineOutcome[]> {
  const release = await holdRunLock(store.root);
  try {
    const records = await listPipelines(store);
    const byName = new Map(records.map((r) => [r.name, r]));
    let order = dependencyOrder(records.map((r) => r.spec)).map((s) => byName.get(s.name)!);
    if (opts.pipeline) {
      await inspectPipeline(store, opts.pipeline);
      const wanted = upstreamOf(opts.pipeline, byName);
      order = order.filter((r) => wanted.has(r.name));
    }
    if (opts.only) {
      const only = new Set(opts.only);
      order = order.filter((r) => only.has(r.name));
    }
    // A tick that is due is committed before the pipelines run, so this run's jobs read it.
    await tickCronInputs(store, order, new Date(), opts.tick);
    const outcomes: PipelineOutcome[] = [];
    for (const record of order) {
      if (opts.signal?.aborted) break;
      const outcome = await runPipeline(store, record, opts);
      if (!outcome.job) opts.progress?.idle(outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  } finally {
    await release();
  }
}

/** The run lock of each store whose pipelines this process runs, shared by its concurrent runs. */
const runLocks = new Map<string, { runs: number; taken: Promise<() => Promise<void>> }>();
/** The release of each store's run lock in progress: a run starting meanwhile takes the lock after it. */
const releasing = new Map<string, Promise<void>>();

/**
 * Holds the store's run lock (one process runs pipelines at a time) for one run; the runs of one
 * process share it. Whoever takes it first finds the jobs of a process that died (its running
 * pointers) and clears the work folder, which no run of this process uses yet.
 */
async function holdRunLock(root: string): Promise<() => Promise<void>> {
  let held = runLocks.get(root);
  if (!held) {
    const before = releasing.get(root);
    const taken = (async () => {
      await before;
      await mkdir(ppsDir(root), { recursive: true });
      const release = await acquireLock(join(ppsDir(root), 'run.lock'), { waitMs: 0, what: `running the pipelines of ${root}` });
      try {
        await markAbandonedJobs(root);
        await rm(join(ppsDir(root), 'work'), { recursive: true, force: true });
      } catch (e) {
        await release();
        throw e;
      }
      return release;
    })();
    held = { runs: 0, taken };
    runLocks.set(root, held);
  }
  const lock = held;
  lock.runs++;
  let release: () => Promise<void>;
  try {
    release = await lock.taken;
  } catch (e) {
    if (--lock.runs === 0 && runLocks.get(root) === lock) runLocks.delete(root);
    throw e;
  }
  return async () => {
    if (--lock.runs > 0) return;
    if (runLocks.get(root) === lock) runLocks.delete(root);
    const done = release();
    releasing.set(
      root,
      done.catch(() => {}),
    );
    await done;
  };
}

/** The pipeline and every pipeline whose output it reads, directly or not. */
export function upstreamOf(name: string, byName: ReadonlyMap<string, PipelineRecord>): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    const record = byName.get(n);
    if (!record || seen.has(n)) return;
    seen.add(n);
    for (const { repo } of inputBranches(record.spec.input)) visit(repo);
  };
  visit(name);
  return seen;
}

function sameCommits(a: CommitPointer[], b: CommitPointer[]): boolean {
  const key = (list: CommitPointer[]) =>
    list
      .map((c) => `${c.repo}@${c.branch}=${c.id}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}

/** What every process of the job starts from: a minimal base, the spec's env and declared secrets (step-env.ts), then VIGIL_ROOT. */
function baseEnv(store: Store, record: PipelineRecord): Record<string, string> {
  return { ...stepEnvironment(process.env, record.spec), ...podEnvironment(record), VIGIL_ROOT: store.root };
}

async function runPipeline(store: Store, record: PipelineRecord, opts: RunOptions): Promise<PipelineOutcome> {
  const { spec } = record;
  const root = store.root;
  const branches = inputBranches(spec.input);
  const heads = await Promise.all(branches.map((b) => store.headCommit(b.repo, b.branch)));
  const inputCommits: CommitPointer[] = branches.flatMap((b, i) => (heads[i] ? [{ ...b, id: heads[i]!.id }] : []));
  const { last, lastSuccess } = await latestJobs(root, spec.name);
  if (inputCommits.length === 0) return { pipeline: spec.name, job: null, last };
  // As on Pachyderm, a job runs for new input commits or a new pipeline version, not again for a
  // failed one (update the pipeline or commit new input); a job killed with its run is redone.
  if (last && last.state !== 'JOB_KILLED' && last.pipelineVersion === record.version && sameCommits(last.inputCommits, inputCommits)) {
    return { pipeline: spec.name, job: null, last };
  }

  const now = new Date().toISOString();
  const job: JobRecord = {
    pipeline: spec.name,
    id: randomUUID().replace(/-/g, ''),
    pipelineVersion: record.version,
    state: 'JOB_RUNNING',
    inputCommits,
    dataProcessed: 0,
    dataSkipped: 0,
    dataFailed: 0,
    dataRecovered: 0,
    dataTotal: 0,
    created: now,
    started: now,
    pid: process.pid,
  };
  const trees = new DatumTrees(store);
  const results: DatumResult[] = [];
  let plan: JobPlan | undefined;
  const makePlan = async (): Promise<Datum[]> => {
    plan = await planJob(store, trees, record, lastSuccess, branches, heads);
    const { run, expired } = await setAsideExpired(store, plan.toProcess);
    plan.toProcess = run;
    if (expired.length > 0) job.dataExpired = expired.length;
    job.dataTotal = plan.total;
    job.dataSkipped = plan.total - plan.toProcess.length;
    await startJob(root, job);
    opts.progress?.jobStarted(job, plan.toProcess.length);
    return plan.toProcess;
  };

  const { fatal, stopped } = await executeJob(store, record, job, makePlan, opts, (result) => {
    results.push(result);
    if (result.state === 'SUCCESS') job.dataProcessed++;
    else if (result.state === 'FAILED') job.dataFailed++;
    else job.dataRecovered++;
    opts.progress?.datumDone(job, result);
  });

  const end = { record, job, plan: plan!, results, base: lastSuccess };
  const failure = opts.signal?.aborted ? { state: 'JOB_KILLED' as const, reason: 'interrupted' } : jobFailure(results, fatal ?? stopped);
  const outcome = failure ?? (await commitJob(store, trees, end));
  Object.assign(job, outcome, outcome.state === 'JOB_SUCCESS' ? {} : await keepFailedJob(trees, end));
  job.finished = new Date().toISOString();
  await finishJob(root, job);
  opts.progress?.jobFinished(job);
  return { pipeline: spec.name, job, last };
}

/** Runs the planned datums with the job's timeout and the caller's signal; returns why the job could not finish, if so. */
async function executeJob(
  store: Store,
  record: PipelineRecord,
  job: JobRecord,
  plan: () => Promise<Datum[]>,
  opts: RunOptions,
  onResult: (result: DatumResult) => void,
): Promise<{ fatal?: string; stopped?: string }> {
  const { spec } = record;
  const controller = new AbortController();
  const onAbort = () => controller.abort(new Error('interrupted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const limit = spec.jobTimeoutMs;
  const timer =
    limit === undefined
      ? undefined
      : setTimeout(() => controller.abort(new Error(`job timed out after ${limit / 1000}s (jobTimeout)`)), limit);
  const log = await JobLog.open(store.root, spec.name, job.id);
  const workDir = join(ppsDir(store.root), 'work', job.id);
  try {
    const { fatal } = await processDatums(
      { store, spec, jobId: job.id, workDir, env: baseEnv(store, record), log, signal: controller.signal, onResult, workers: opts.workers },
      plan,
    );
    const stopped = controller.signal.aborted ? (controller.signal.reason as Error).message : undefined;
    return { ...(fatal ? { fatal } : {}), ...(stopped ? { stopped } : {}) };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    await log.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Why the job failed before its output, or null: the step could not run or the job was stopped, or a datum failed. */
function jobFailure(results: DatumResult[], stopped: string | undefined): { state: 'JOB_FAILURE'; reason: string } | null {
  if (stopped) return { state: 'JOB_FAILURE', reason: stopped };
  const failed = results.filter((d) => d.state === 'FAILED').sort((a, b) => (a.datum.id < b.datum.id ? -1 : 1));
  if (failed.length > 0) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more datums failed)` : '';
    return { state: 'JOB_FAILURE', reason: `datum ${failed[0]!.datum.id} failed: ${failed[0]!.reason}${more}` };
  }
  return null;
}
