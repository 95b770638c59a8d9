/**
 * `vigil migrate`, for job records: a format 1 job kept its whole datum table in
 * `<job>.datums.json`, every input's files listed; a format 2 job names the roots of its datum
 * state (datum-state.ts). Each table becomes that state, job by job in the order they ran, its
 * hashes recomputed the current way when the table's were made with the pipeline's current salt
 * (so the next job skips what the last one did); the job record is rewritten atomically, then the
 * table removed. A job already converted is skipped. Join and group key indexes are not rebuilt
 * here: a pipeline's first job after the migration plans in full, and skips all it can.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from '../../pfs/durable.js';
import { readJsonFile, sha256 } from '../../pfs/files.js';
import { contentOf, datumHash, type DatumMatch } from '../datum/create.js';
import { Mst, type Entry } from '../store/mst.js';
import type { MigrationContext } from '../store/migrate.js';
import { type FileEntry, fileTreeRoot } from '../store/tree.js';
import { datumCodec, type StoredDatum, type StoredInput, writerCodec } from './datum-state.js';
import type { JobRecord } from './job-records.js';
import { ppsDir, type PipelineRecord } from './pipelines.js';

/** A datum as a format 1 table kept it. */
interface Format1Datum {
  id: string;
  hash: string;
  state: 'SUCCESS' | 'SKIPPED' | 'FAILED' | 'RECOVERED';
  inputs: (Omit<DatumMatch, 'type' | 'size' | 'digest' | 'files'> & { files: FileEntry[] })[];
  outputs: FileEntry[];
  reason?: string;
  tries?: number;
}

export async function migrateJobRecords(ctx: MigrationContext): Promise<void> {
  const jobsRoot = join(ppsDir(ctx.root), 'jobs');
  const pipelines = await readdir(jobsRoot).catch(() => [] as string[]);
  const datums = new Mst(ctx.nodes, datumCodec);
  const writers = new Mst(ctx.nodes, writerCodec);
  for (const pipeline of pipelines.sort()) {
    const record = await readJsonFile<PipelineRecord>(join(ppsDir(ctx.root), 'pipelines', `${pipeline}.json`));
    const dir = join(jobsRoot, pipeline);
    const jobs: JobRecord[] = [];
    for (const name of await readdir(dir)) {
      if (!/^[0-9a-f]+\.json$/.test(name)) continue;
      const job = await readJsonFile<JobRecord>(join(dir, name));
      if (job) jobs.push(job);
    }
    jobs.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
    let previous: string | null = null;
    let converted = 0;
    for (const job of jobs) {
      const table = join(dir, `${job.id}.datums.json`);
      if (job.datums) {
        previous = job.datums.datums;
        await rm(table, { force: true });
        continue;
      }
      const rows = await readJsonFile<Format1Datum[]>(table);
      if (!rows) continue; // a job stopped before it ended kept no table
      const entries: Entry<StoredDatum>[] = [];
      const outputs = new Map<string, string>();
      for (const row of rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
        const earlier: StoredDatum | undefined = row.state === 'SKIPPED' && previous ? datums.get(previous, row.id) : undefined;
        entries.push({ key: row.id, value: converted1(row, job.id, record?.salt, earlier) });
        for (const o of row.outputs) outputs.set(o.path, row.id);
      }
      const paths = [...outputs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const built = datums.buildSync(entries);
      const writersBuilt = writers.buildSync(paths.map((key) => ({ key, value: outputs.get(key)! })));
      await ctx.flush([...built.written, ...writersBuilt.written]);
      const roots = { datums: built.hash, outputs: writersBuilt.hash, keys: null };
      const recovered = rows.filter((r) => r.state === 'RECOVERED').map((r) => r.id);
      const next: JobRecord = { ...job, datums: roots, ...(recovered.length ? { recoveredDatums: recovered } : {}) };
      await atomicWriteFile(join(dir, `${job.id}.json`), `${JSON.stringify(next, null, 2)}\n`);
      await rm(table, { force: true });
      previous = roots.datums;
      converted++;
    }
    ctx.say(`${pipeline}: ${converted} job${converted === 1 ? '' : 's'} converted`);
  }
}

/** A format 1 row as the datum state keeps it; a skipped row keeps the job that processed it (from the job before). */
function converted1(row: Format1Datum, job: string, salt: string | undefined, earlier: StoredDatum | undefined): StoredDatum {
  const inputs: StoredInput[] = row.inputs.map(({ files, commit: _commit, ...input }) => {
    const content =
      input.path === '/' ? { type: 'dir' as const, size: sizeOf(files), digest: fileTreeRoot(files)! } : contentOf(input.path, files);
    const { files: _files, ...match } = { ...input, ...content };
    return match;
  });
  const skipped = row.state === 'SKIPPED';
  const state = row.state === 'SKIPPED' ? 'SUCCESS' : row.state;
  return {
    // Made with another salt, a hash matches no datum now: the datum runs again, as it would have.
    hash: salt !== undefined && format1Hash(row, salt) === row.hash ? datumHash(row.id, inputs, salt) : row.hash,
    inputs,
    outputs: row.outputs,
    job: skipped ? (earlier?.job ?? '') : job,
    state,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.tries ? { tries: row.tries } : {}),
  };
}

function sizeOf(files: FileEntry[]): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/** The datum hash format 1 used: the id, the salt, then every file's path and sha256. */
function format1Hash(row: Format1Datum, salt: string): string {
  let s = `${row.id}\0${salt.length}:${salt}`;
  for (const input of row.inputs) {
    s += '\n';
    for (const file of input.files) s += `${file.path}\0${file.sha256}\0`;
  }
  return sha256(s);
}
