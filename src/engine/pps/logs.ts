import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { protoTime } from '../store/pfs-json.js';
import { ppsDir } from './pipelines.js';

/**
 * What steps print, one JSON line per line of output in `<root>/pps/logs/<pipeline>/<job>.jsonl`,
 * tagged with the datum being processed, as Pachyderm's LogMessage is. Appended without fsync:
 * logs are for reading, not for recovery.
 */
export interface LogEntry {
  pipelineName: string;
  jobId: string;
  workerId: string;
  /** Absent for lines a batched step prints between datums. */
  datumId?: string;
  user: true;
  ts: string;
  message: string;
}

function logPath(root: string, pipeline: string, jobId: string): string {
  return join(ppsDir(root), 'logs', pipeline, `${jobId}.jsonl`);
}

export class JobLog {
  private stream: WriteStream | null = null;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly pipeline: string,
    private readonly jobId: string,
  ) {}

  static async open(root: string, pipeline: string, jobId: string): Promise<JobLog> {
    const path = logPath(root, pipeline, jobId);
    await mkdir(dirname(path), { recursive: true });
    return new JobLog(path, pipeline, jobId);
  }

  write(workerId: string, datumId: string | undefined, message: string): void {
    if (this.closed) return; // the last words of a step killed as its job ended
    // Opened on the first line: most jobs of a quiet step never log one.
    this.stream ??= createWriteStream(this.path, { flags: 'a' });
    const entry: LogEntry = {
      pipelineName: this.pipeline,
      jobId: this.jobId,
      workerId,
      ...(datumId ? { datumId } : {}),
      user: true,
      ts: new Date().toISOString(),
      message,
    };
    this.stream.write(`${JSON.stringify(entry)}\n`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const stream = this.stream;
    if (stream) await new Promise<void>((resolve, reject) => stream.on('error', reject).end(resolve));
  }
}

/** The job's log lines, optionally only those of one datum. */
export async function readJobLog(root: string, pipeline: string, jobId: string, datumId?: string): Promise<LogEntry[]> {
  let text: string;
  try {
    text = await readFile(logPath(root, pipeline, jobId), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const entries = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogEntry);
  return datumId ? entries.filter((e) => e.datumId === datumId || e.datumId?.startsWith(datumId)) : entries;
}

/** A log line as `pachctl logs --raw` prints LogMessage: proto field names, zero values left out. */
export function logMessageJson(e: LogEntry): Record<string, unknown> {
  return {
    project_name: 'default',
    pipeline_name: e.pipelineName,
    job_id: e.jobId,
    worker_id: e.workerId,
    ...(e.datumId ? { datum_id: e.datumId } : {}),
    user: e.user,
    ts: protoTime(e.ts),
    message: e.message,
  };
}
