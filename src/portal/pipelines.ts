/**
 * What the pipelines page shows of the engine's job records: each pipeline's last jobs, the one
 * running and how far it is, the last failure with its failed datums' reasons, and the lag from
 * a frame's arrival (the commit of raw that brought it) to a pipeline's job that processed it.
 * Job records are read once each (a finished job never changes) and kept; a server running for
 * weeks makes many.
 */
import { REPOS } from '../contract/repos.js';
import { jobIds, readDatums, readJob, type JobRecord } from '../engine/pps/job-records.js';
import { dependencyOrder, listPipelines } from '../engine/pps/pipelines.js';
import type { Store } from '../engine/store/store.js';

/** A job the server is running now, as its scheduler reports it (counts move as datums finish). */
export interface LiveJob {
  job: JobRecord;
  toProcess: number;
}

export interface FailedDatum {
  id: string;
  reason: string;
  inputs: string[];
}

export interface PipelineStatus {
  name: string;
  description: string;
  /** Newest first. */
  jobs: JobRecord[];
  running: LiveJob | null;
  lastFailure: { job: JobRecord; datums: FailedDatum[] } | null;
  /** Of the last successful job that processed datums: from the newest raw commit it descends from to the job's end. */
  lag: { ms: number; job: JobRecord; raw: string } | null;
}

export const JOBS_SHOWN = 8;

export class JobHistory {
  private readonly jobs = new Map<string, Map<string, JobRecord>>();

  constructor(private readonly store: Store) {}

  /** Every job of `pipeline`, newest first: new records read, running ones read again. */
  async all(pipeline: string): Promise<JobRecord[]> {
    const known = this.jobs.get(pipeline) ?? new Map<string, JobRecord>();
    this.jobs.set(pipeline, known);
    for (const id of await jobIds(this.store.root, pipeline)) {
      const held = known.get(id);
      if (held && held.state !== 'JOB_RUNNING') continue;
      const job = await readJob(this.store.root, pipeline, id);
      if (job) known.set(id, job);
    }
    return [...known.values()].sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  private async job(pipeline: string, id: string): Promise<JobRecord | null> {
    return this.jobs.get(pipeline)?.get(id) ?? readJob(this.store.root, pipeline, id);
  }

  /** The newest raw commit `job` descends from, through the jobs of the pipelines between (their ids are their output commits). */
  async rawCommitOf(job: JobRecord, pipelines: Set<string>, depth = 0): Promise<{ id: string; finished: number } | null> {
    let newest: { id: string; finished: number } | null = null;
    for (const input of job.inputCommits) {
      let found: { id: string; finished: number } | null = null;
      if (input.repo === REPOS.raw) {
        const commit = await this.store.resolveCommit(REPOS.raw, input.id).catch(() => null);
        found = commit ? { id: commit.id, finished: Date.parse(commit.finished) } : null;
      } else if (pipelines.has(input.repo) && depth < 16) {
        const upstream = await this.job(input.repo, input.id);
        found = upstream ? await this.rawCommitOf(upstream, pipelines, depth + 1) : null;
      }
      if (found && (!newest || found.finished > newest.finished)) newest = found;
    }
    return newest;
  }
}

/** Every pipeline, upstream first, with its jobs, progress, last failure and lag. */
export async function pipelineStatuses(
  store: Store,
  history: JobHistory,
  live: (pipeline: string) => LiveJob | null,
): Promise<PipelineStatus[]> {
  const records = await listPipelines(store);
  const names = new Set(records.map((r) => r.name));
  const byName = new Map(records.map((r) => [r.name, r]));
  const ordered = dependencyOrder(records.map((r) => r.spec)).map((s) => byName.get(s.name)!);
  return Promise.all(
    ordered.map(async (record): Promise<PipelineStatus> => {
      const jobs = await history.all(record.name);
      const runningRecord = jobs.find((j) => j.state === 'JOB_RUNNING');
      const running =
        live(record.name) ??
        (runningRecord ? { job: runningRecord, toProcess: runningRecord.dataTotal - runningRecord.dataSkipped } : null);
      const failed = jobs.find((j) => j.state === 'JOB_FAILURE');
      const lastFailure = failed
        ? {
            job: failed,
            datums: readDatums(store, failed)
              .filter((d) => d.state === 'FAILED')
              .slice(0, 20)
              .map((d) => ({ id: d.id, reason: d.reason ?? '', inputs: d.inputs.map((i) => `${i.repo}@${i.commit}:${i.path}`) })),
          }
        : null;
      const done = jobs.find((j) => j.state === 'JOB_SUCCESS' && j.dataProcessed > 0 && j.finished);
      const raw = done ? await history.rawCommitOf(done, names) : null;
      return {
        name: record.name,
        description: record.spec.description ?? '',
        jobs: jobs.slice(0, JOBS_SHOWN),
        running,
        lastFailure,
        lag: done && raw ? { ms: Date.parse(done.finished!) - raw.finished, job: done, raw: raw.id } : null,
      };
    }),
  );
}
