import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../pfs/errors.js';
import { makeDatums, type Datum } from '../datum/create.js';
import { processDatums } from '../worker/driver.js';
import type { DatumResult } from '../worker/job-context.js';
import type { WarmWorkers } from '../worker/warm-workers.js';
import {
  finishJob,
  latestJobs,
  markAbandonedJob,
  readDatums,
  saveDatums,
  startJob,
  type CommitPointer,
  type DatumRecord,
  type JobRecord,
} from './job-records.js';
import { acquireLock } from '../store/lock.js';
import { JobLog } from './logs.js';
import { dependencyOrder, inspectPipeline, listPipelines, ppsDir, type PipelineRecord } from './pipelines.js';
import { inputBranches } from './inputs.js';
import { stepEnvironment } from './step-env.js';
import { tickCronInputs } from './ticker.js';
import type { FileEntry, Store } from '../store/store.js';

/**
 * Brings pipelines up to date, upstream first, one job per pipeline whose inputs (or spec)
 * changed since its last job. A job diffs its datums against the last successful job's datum
 * table in memory: a datum whose hash is there is skipped and its output carried over, the
 * others run through the step (worker/driver.ts). The output commit is exactly the carried
 * and the new outputs (so the outputs of datums whose inputs disappeared are gone), its
 * provenance the input commits, its id the job's.
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
  await mkdir(ppsDir(store.root), { recursive: true });
  const release = await acquireLock(join(ppsDir(store.root), 'run.lock'), { waitMs: 0, what: `running the pipelines of ${store.root}` });
  try {
    const records = await listPipelines(store);
    await markAbandonedJob(store.root);
    await rm(join(ppsDir(store.root), 'work'), { recursive: true, force: true });
    const byName = new Map(records.map((r) => [r.name, r]));
    let order = dependencyOrder(records.map((r) => r.spec)).map((s) => byName.get(s.name)!);
    if (opts.pipeline) {
      await inspectPipeline(store, opts.pipeline);
      const wanted = upstreamOf(opts.pipeline, byName);
      order = order.filter((r) => wanted.has(r.name));
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

/** The pipeline and every pipeline whose output it reads, directly or not. */
function upstreamOf(name: string, byName: Map<string, PipelineRecord>): Set<string> {
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
  return { ...stepEnvironment(process.env, record.spec), VIGIL_ROOT: store.root };
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
  const table: DatumRecord[] = [];
  // Every datum; the skipped ones go straight into the table, their outputs carried over.
  const plan = (async (): Promise<Datum[]> => {
    const trees = new Map<string, { commit: string; files: FileEntry[] }>();
    for (const [i, b] of branches.entries()) {
      const head = heads[i];
      if (head) trees.set(`${b.repo}@${b.branch}`, { commit: head.id, files: await store.listFiles(b.repo, head.id) });
    }
    const datums = makeDatums(spec.input, (repo, branch) => trees.get(`${repo}@${branch}`) ?? null, record.salt);
    // Skippable: what the last successful job processed or carried (a recovered datum's output was dropped: it runs again).
    const previous = new Map<string, DatumRecord>();
    if (lastSuccess && spec.reprocessSpec !== 'every_job') {
      for (const d of await readDatums(root, spec.name, lastSuccess.id))
        if (d.state === 'SUCCESS' || d.state === 'SKIPPED') previous.set(d.hash, d);
    }
    const toProcess: Datum[] = [];
    for (const datum of datums) {
      const prev = previous.get(datum.hash);
      if (prev) table.push({ id: datum.id, hash: datum.hash, state: 'SKIPPED', inputs: datum.inputs, outputs: prev.outputs });
      else toProcess.push(datum);
    }
    job.dataTotal = datums.length;
    job.dataSkipped = table.length;
    await startJob(root, job);
    opts.progress?.jobStarted(job, toProcess.length);
    return toProcess;
  })();
  plan.catch(() => {}); // processDatums awaits it and throws its error; until then it must not count as unhandled

  const { fatal, stopped } = await executeJob(store, record, job, plan, opts, (result) => {
    const { datum, state, outputs, reason, tries } = result;
    table.push({ id: datum.id, hash: datum.hash, state, inputs: datum.inputs, outputs, ...(reason ? { reason } : {}), tries });
    if (state === 'SUCCESS') job.dataProcessed++;
    else if (state === 'FAILED') job.dataFailed++;
    else job.dataRecovered++;
    opts.progress?.datumDone(job, result);
  });

  table.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const failure = opts.signal?.aborted ? { state: 'JOB_KILLED' as const, reason: 'interrupted' } : jobFailure(table, fatal ?? stopped);
  // The datum table does not depend on the commit: both wait on the disk at once.
  const tableSaved = saveDatums(root, job, table);
  tableSaved.catch(() => {}); // awaited below
  Object.assign(job, failure ?? (await commitOutput(store, record, job, table)));
  job.finished = new Date().toISOString();
  await tableSaved;
  await finishJob(root, job);
  opts.progress?.jobFinished(job);
  return { pipeline: spec.name, job, last };
}

/** Runs the planned datums with the job's timeout and the caller's signal; returns why the job could not finish, if so. */
async function executeJob(
  store: Store,
  record: PipelineRecord,
  job: JobRecord,
  plan: Promise<Datum[]>,
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

/** The job's output commit: exactly the carried and the new outputs. An output tree the store refuses fails the job. */
async function commitOutput(store: Store, record: PipelineRecord, job: JobRecord, table: DatumRecord[]): Promise<Partial<JobRecord>> {
  const { name, outputBranch } = record.spec;
  try {
    const info = await store.commit(
      name,
      outputBranch,
      { put: table.flatMap((d) => d.outputs), replace: true },
      {
        provenance: job.inputCommits.map((c) => ({ repo: c.repo, id: c.id })),
        description: `output of job ${job.id}`,
        started: new Date(job.started),
        id: job.id,
      },
    );
    return { state: 'JOB_SUCCESS', outputCommit: { repo: name, branch: outputBranch, id: info.id } };
  } catch (e) {
    // E.g. one datum wrote /a and another /a/b: a path cannot be a file and a folder.
    if (e instanceof VigilError) return { state: 'JOB_FAILURE', reason: `the output cannot be committed: ${e.message}` };
    throw e;
  }
}

/**
 * Why the job failed, or null: the step could not run or the job was stopped, a datum failed,
 * or two datums (processed or carried over) wrote one path, where neither output may win silently.
 */
function jobFailure(table: DatumRecord[], stopped: string | undefined): { state: 'JOB_FAILURE'; reason: string } | null {
  if (stopped) return { state: 'JOB_FAILURE', reason: stopped };
  const failed = table.filter((d) => d.state === 'FAILED');
  if (failed.length > 0) {
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more datums failed)` : '';
    return { state: 'JOB_FAILURE', reason: `datum ${failed[0]!.id} failed: ${failed[0]!.reason}${more}` };
  }
  const writer = new Map<string, string>();
  for (const datum of table) {
    for (const file of datum.outputs) {
      const other = writer.get(file.path);
      if (other !== undefined) {
        return { state: 'JOB_FAILURE', reason: `output path ${file.path} was written by two datums: ${other} and ${datum.id}` };
      }
      writer.set(file.path, datum.id);
    }
  }
  return null;
}
