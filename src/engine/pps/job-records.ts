import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../pfs/errors.js';
import { atomicWriteFile } from '../../pfs/durable.js';
import { readJsonFile } from '../../pfs/files.js';
import type { DatumMatch } from '../datum/create.js';
import { ppsDir } from './pipelines.js';
import type { FileEntry, Store } from '../store/store.js';
import { commitJson, int64Field, protoTime } from '../store/pfs-json.js';
import { type DatumRoots, DatumTrees, type StoredDatum } from './datum-state.js';

/**
 * Job records, kept per pipeline under `<root>/pps/jobs/<pipeline>/`: `<job>.json` (the job,
 * naming the roots of the datum state it left: datum-state.ts) and `latest.json` (the last job,
 * and the last successful one); `<root>/pps/running/<pipeline>.json` names a job in progress. Datums are
 * read through readDatums and datumWriting, from the state a job names.
 */

/** Pachyderm's JobState names. */
export type JobState = 'JOB_RUNNING' | 'JOB_FAILURE' | 'JOB_SUCCESS' | 'JOB_KILLED';

/** Pachyderm's DatumState names (STARTING and UNKNOWN are never stored). */
export type DatumState = 'SUCCESS' | 'SKIPPED' | 'FAILED' | 'RECOVERED';

export interface CommitPointer {
  repo: string;
  branch: string;
  id: string;
}

export interface JobRecord {
  pipeline: string;
  /** Also the id of the output commit (Pachyderm's global id). */
  id: string;
  pipelineVersion: number;
  state: JobState;
  reason?: string;
  /** The head of every input branch the job read (its output commit's provenance). */
  inputCommits: CommitPointer[];
  /** Set once the output commit exists; a failed job makes none. */
  outputCommit?: CommitPointer;
  dataProcessed: number;
  dataSkipped: number;
  dataFailed: number;
  dataRecovered: number;
  dataTotal: number;
  /** Datums planned again whose input bytes expired: not run, their earlier outputs kept (counted in dataSkipped too). */
  dataExpired?: number;
  created: string;
  started: string;
  finished?: string;
  /** The `vigil run` process that ran it. */
  pid: number;
  /** The datum state the job left (absent for a job stopped before it ended). */
  datums?: DatumRoots;
  /** Datums this job recovered: the next job runs them again. */
  recoveredDatums?: string[];
}

/** A datum of a job, as `list datum` shows it. */
export interface DatumRecord {
  id: string;
  hash: string;
  /** SKIPPED when another job processed it: its output was carried over. */
  state: DatumState;
  /** Each input's match, at the job's input commit. */
  inputs: Omit<DatumMatch, 'files'>[];
  /** What the datum put in the output repo (carried over while it is skipped). */
  outputs: FileEntry[];
  reason?: string;
  /** How many times the step ran on it in this job. */
  tries?: number;
}

interface Latest {
  last: string | null;
  lastSuccess: string | null;
}

function jobsDir(root: string, pipeline: string): string {
  return join(ppsDir(root), 'jobs', pipeline);
}

async function saveJob(root: string, job: JobRecord): Promise<void> {
  await atomicWriteFile(join(jobsDir(root, job.pipeline), `${job.id}.json`), `${JSON.stringify(job, null, 2)}\n`);
}

/** The folder naming each job in progress, one file per pipeline, so that a killed run's jobs are found without a scan. */
function runningDir(root: string): string {
  return join(ppsDir(root), 'running');
}

function runningPath(root: string, pipeline: string): string {
  return join(runningDir(root), `${pipeline}.json`);
}

/** Where a store written before jobs ran concurrently named its one job in progress. */
function legacyRunningPath(root: string): string {
  return join(ppsDir(root), 'running.json');
}

/** Records a job that starts running. */
export async function startJob(root: string, job: JobRecord): Promise<void> {
  // Written together (their fsyncs share a journal commit): a pointer whose job record is not
  // there is passed over by markAbandonedJobs.
  await Promise.all([
    saveJob(root, job),
    atomicWriteFile(runningPath(root, job.pipeline), `${JSON.stringify({ pipeline: job.pipeline, id: job.id })}\n`),
  ]);
}

/**
 * Writes the finished job, then moves the `latest` pointers. The datum state it names must be
 * durable first: a crash anywhere leaves either the older job current or this one complete.
 */
export async function finishJob(root: string, job: JobRecord): Promise<void> {
  const dir = jobsDir(root, job.pipeline);
  await saveJob(root, job);
  const latest = (await readJsonFile<Latest>(join(dir, 'latest.json'))) ?? { last: null, lastSuccess: null };
  await atomicWriteFile(
    join(dir, 'latest.json'),
    `${JSON.stringify({ last: job.id, lastSuccess: job.state === 'JOB_SUCCESS' ? job.id : latest.lastSuccess })}\n`,
  );
  await rm(runningPath(root, job.pipeline), { force: true });
}

/** The pipeline's last finished job and last successful job. */
export async function latestJobs(root: string, pipeline: string): Promise<{ last: JobRecord | null; lastSuccess: JobRecord | null }> {
  const latest = await readJsonFile<Latest>(join(jobsDir(root, pipeline), 'latest.json'));
  const read = (id: string | null | undefined) => (id ? readJob(root, pipeline, id) : null);
  return { last: await read(latest?.last), lastSuccess: await read(latest?.lastSuccess) };
}

/** Every datum of the job, by id. */
export function readDatums(store: Store, job: JobRecord): DatumRecord[] {
  if (!job.datums) return [];
  const out: DatumRecord[] = [];
  for (const e of new DatumTrees(store).datums.entries(job.datums.datums)) out.push(asDatumRecord(job, e.key, e.value));
  return out;
}

/** The datum of the job that wrote (or carried) the output `path`, if any. */
export function datumWriting(store: Store, job: JobRecord, path: string): DatumRecord | undefined {
  if (!job.datums) return undefined;
  const trees = new DatumTrees(store);
  const id = trees.outputs.get(job.datums.outputs, path);
  const datum = id === undefined ? undefined : trees.datums.get(job.datums.datums, id);
  return datum && asDatumRecord(job, id!, datum);
}

function asDatumRecord(job: JobRecord, id: string, datum: StoredDatum): DatumRecord {
  const commitOf = (repo: string, branch: string) => job.inputCommits.find((c) => c.repo === repo && c.branch === branch)?.id ?? '';
  const inputs = datum.inputs.map((input) => ({ ...input, commit: commitOf(input.repo, input.branch) }));
  const base = { id, hash: datum.hash, inputs, outputs: datum.outputs };
  if (datum.job !== job.id) return { ...base, state: 'SKIPPED' };
  return { ...base, state: datum.state, ...(datum.reason ? { reason: datum.reason } : {}), ...(datum.tries ? { tries: datum.tries } : {}) };
}

/** The ids of every job of `pipeline` (none before its first job), in no order. */
export async function jobIds(root: string, pipeline: string): Promise<string[]> {
  try {
    return (await readdir(jobsDir(root, pipeline))).filter((n) => /^[0-9a-f]+\.json$/.test(n)).map((n) => n.slice(0, -'.json'.length));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** The job `id` of `pipeline` as last written (a running job's record is rewritten when it ends); null when there is none. */
export function readJob(root: string, pipeline: string, id: string): Promise<JobRecord | null> {
  return readJsonFile<JobRecord>(join(jobsDir(root, pipeline), `${id}.json`));
}

/** Every job of the pipelines given, newest first. */
export async function listJobs(root: string, pipelines: string[]): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  for (const pipeline of pipelines) {
    for (const id of await jobIds(root, pipeline)) {
      const job = await readJob(root, pipeline, id);
      if (job) jobs.push(job);
    }
  }
  return jobs.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
}

/** The job `id` (or a unique prefix of it) of `pipeline`. */
export async function inspectJob(root: string, pipeline: string, id: string): Promise<JobRecord> {
  const jobs = await listJobs(root, [pipeline]);
  const hits = jobs.filter((j) => j.id === id || j.id.startsWith(id));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new VigilError(`job id "${id}" is ambiguous in pipeline ${pipeline}; give more of it`);
  throw new VigilError(
    `job ${pipeline}@${id} not found; ${
      jobs.length
        ? `jobs of ${pipeline}: ${jobs
            .slice(0, 5)
            .map((j) => j.id)
            .join(', ')}`
        : `${pipeline} has no jobs yet (run \`vigil run\`)`
    }`,
  );
}

/** Jobs left RUNNING belong to a run that died (the caller holds the run lock and runs none yet): they were killed. */
export async function markAbandonedJobs(root: string): Promise<void> {
  const names = await readdir(runningDir(root)).catch(() => [] as string[]);
  const pointers = [...names.filter((n) => n.endsWith('.json')).map((n) => join(runningDir(root), n)), legacyRunningPath(root)];
  for (const pointer of pointers) {
    const running = await readJsonFile<{ pipeline: string; id: string }>(pointer);
    if (!running) continue;
    const job = await readJsonFile<JobRecord>(join(jobsDir(root, running.pipeline), `${running.id}.json`));
    if (job?.state === 'JOB_RUNNING') {
      await saveJob(root, {
        ...job,
        state: 'JOB_KILLED',
        reason: 'the vigil process running it was stopped',
        finished: new Date().toISOString(),
      });
    }
    await rm(pointer, { force: true });
  }
}

const PROJECT = { name: 'default' };

function pointerJson(c: CommitPointer) {
  return commitJson({ repo: c.repo, id: c.id }, c.branch);
}

/** A job as `pachctl inspect job --raw` prints JobInfo (see store/pfs-json.ts for the rules). */
export function jobInfoJson(job: JobRecord): Record<string, unknown> {
  return {
    job: { pipeline: { project: PROJECT, name: job.pipeline }, id: job.id },
    ...int64Field('pipeline_version', job.pipelineVersion),
    ...(job.outputCommit ? { output_commit: pointerJson(job.outputCommit) } : {}),
    ...int64Field('data_processed', job.dataProcessed),
    ...int64Field('data_skipped', job.dataSkipped),
    ...int64Field('data_total', job.dataTotal),
    ...int64Field('data_failed', job.dataFailed),
    ...int64Field('data_recovered', job.dataRecovered),
    state: job.state,
    ...(job.reason ? { reason: job.reason } : {}),
    created: protoTime(job.created),
    started: protoTime(job.started),
    ...(job.finished ? { finished: protoTime(job.finished) } : {}),
    // Vigil's addition: on Pachyderm these are the output commit's provenance, which a failed job lacks here.
    input_commits: job.inputCommits.map(pointerJson),
  };
}

/** Where a datum input's match is, as Pachyderm writes it: a folder ends in `/`. */
export function matchPath(input: Pick<DatumMatch, 'path' | 'type'>): string {
  return input.type === 'dir' && input.path !== '/' ? `${input.path}/` : input.path;
}

/**
 * A datum as Pachyderm's DatumInfo in JSON: `data` holds one FileInfo per input, its glob's
 * match (a folder for `/` or a folder match), as Pachyderm's convertDatumMetaToInfo makes it
 * (src/server/pps/server/api_server.go). `reason` is Vigil's addition.
 */
export function datumInfoJson(job: JobRecord, datum: DatumRecord): Record<string, unknown> {
  return {
    datum: { job: { pipeline: { project: PROJECT, name: job.pipeline }, id: job.id }, id: datum.id },
    state: datum.state,
    data: datum.inputs.map((input) => ({
      file: { commit: commitJson({ repo: input.repo, id: input.commit }, input.branch), path: matchPath(input) },
      file_type: input.type === 'dir' ? 'DIR' : 'FILE',
      ...int64Field('size_bytes', input.size),
      hash: Buffer.from(input.digest, 'hex').toString('base64'),
    })),
    ...(datum.reason ? { reason: datum.reason } : {}),
  };
}
