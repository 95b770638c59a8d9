import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../pfs/errors.js';
import { atomicWriteFile } from '../../pfs/durable.js';
import { readJsonFile } from '../../pfs/files.js';
import type { DatumInput } from '../datum/create.js';
import { ppsDir } from './pipelines.js';
import type { FileEntry } from '../store/store.js';
import { commitJson } from '../store/pfs-json.js';

/**
 * Job and datum records, kept per pipeline under `<root>/pps/jobs/<pipeline>/`: `<job>.json`
 * (the job), `<job>.datums.json` (its datum table, written once when the job ends: the next
 * job diffs against it in memory) and `latest.json` (the last job, and the last successful one);
 * `<root>/pps/running.json` names the job in progress.
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
  created: string;
  started: string;
  finished?: string;
  /** The `vigil run` process that ran it. */
  pid: number;
}

export interface DatumRecord {
  id: string;
  hash: string;
  state: DatumState;
  inputs: DatumInput[];
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

/** The job a `vigil run` is running (one at a time: the run lock), so that a killed run's job is found without a scan. */
function runningPath(root: string): string {
  return join(ppsDir(root), 'running.json');
}

/** Records a job that starts running. */
export async function startJob(root: string, job: JobRecord): Promise<void> {
  await saveJob(root, job);
  await atomicWriteFile(runningPath(root), `${JSON.stringify({ pipeline: job.pipeline, id: job.id })}\n`);
}

/** Writes the job's datum table (one datum a line); finishJob must wait for it. */
export async function saveDatums(root: string, job: JobRecord, datums: DatumRecord[]): Promise<void> {
  await atomicWriteFile(
    join(jobsDir(root, job.pipeline), `${job.id}.datums.json`),
    `[\n${datums.map((d) => JSON.stringify(d)).join(',\n')}\n]\n`,
  );
}

/**
 * Writes the finished job, then moves the `latest` pointers. Its datum table must be saved
 * first: a crash anywhere leaves either the older job current or this one complete.
 */
export async function finishJob(root: string, job: JobRecord): Promise<void> {
  const dir = jobsDir(root, job.pipeline);
  await saveJob(root, job);
  const latest = (await readJsonFile<Latest>(join(dir, 'latest.json'))) ?? { last: null, lastSuccess: null };
  await atomicWriteFile(
    join(dir, 'latest.json'),
    `${JSON.stringify({ last: job.id, lastSuccess: job.state === 'JOB_SUCCESS' ? job.id : latest.lastSuccess })}\n`,
  );
  await rm(runningPath(root), { force: true });
}

/** The pipeline's last finished job and last successful job. */
export async function latestJobs(root: string, pipeline: string): Promise<{ last: JobRecord | null; lastSuccess: JobRecord | null }> {
  const latest = await readJsonFile<Latest>(join(jobsDir(root, pipeline), 'latest.json'));
  const read = (id: string | null | undefined) => (id ? readJob(root, pipeline, id) : null);
  return { last: await read(latest?.last), lastSuccess: await read(latest?.lastSuccess) };
}

export async function readDatums(root: string, pipeline: string, jobId: string): Promise<DatumRecord[]> {
  return (await readJsonFile<DatumRecord[]>(join(jobsDir(root, pipeline), `${jobId}.datums.json`))) ?? [];
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

/** A job left RUNNING belongs to a run that died (the caller holds the run lock): it was killed. */
export async function markAbandonedJob(root: string): Promise<void> {
  const running = await readJsonFile<{ pipeline: string; id: string }>(runningPath(root));
  if (!running) return;
  const job = await readJsonFile<JobRecord>(join(jobsDir(root, running.pipeline), `${running.id}.json`));
  if (job?.state === 'JOB_RUNNING') {
    await saveJob(root, {
      ...job,
      state: 'JOB_KILLED',
      reason: 'the vigil process running it was stopped',
      finished: new Date().toISOString(),
    });
  }
  await rm(runningPath(root), { force: true });
}

const PROJECT = { name: 'default' };

function pointerJson(c: CommitPointer) {
  return commitJson({ repo: c.repo, id: c.id }, c.branch);
}

/** A job as Pachyderm's JobInfo in JSON (counts as numbers rather than protojson's int64 strings). */
export function jobInfoJson(job: JobRecord): Record<string, unknown> {
  return {
    job: { pipeline: { name: job.pipeline, project: PROJECT }, id: job.id },
    pipelineVersion: job.pipelineVersion,
    ...(job.outputCommit ? { outputCommit: pointerJson(job.outputCommit) } : {}),
    dataProcessed: job.dataProcessed,
    dataSkipped: job.dataSkipped,
    dataTotal: job.dataTotal,
    dataFailed: job.dataFailed,
    dataRecovered: job.dataRecovered,
    state: job.state,
    ...(job.reason ? { reason: job.reason } : {}),
    created: job.created,
    started: job.started,
    ...(job.finished ? { finished: job.finished } : {}),
    // Vigil's addition: on Pachyderm these are the output commit's provenance, which a failed job lacks here.
    inputCommits: job.inputCommits.map(pointerJson),
  };
}

/** A datum as Pachyderm's DatumInfo in JSON: `data` lists its input files. `reason` is Vigil's addition. */
export function datumInfoJson(job: JobRecord, datum: DatumRecord): Record<string, unknown> {
  return {
    datum: { job: { pipeline: { name: job.pipeline, project: PROJECT }, id: job.id }, id: datum.id },
    state: datum.state,
    data: datum.inputs.flatMap((input) =>
      input.files.map((f) => ({
        file: { commit: commitJson({ repo: input.repo, id: input.commit }, input.branch), path: f.path },
        fileType: 'FILE',
        sizeBytes: f.size,
        hash: Buffer.from(f.sha256, 'hex').toString('base64'),
      })),
    ),
    ...(datum.reason ? { reason: datum.reason } : {}),
  };
}
