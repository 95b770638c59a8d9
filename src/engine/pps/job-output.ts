/**
 * The end of a job: what it leaves in the store. A successful job commits its output as the
 * previous output commit's tree minus the outputs of the datums gone or processed again, plus
 * the new outputs (O(changes × log N)), refusing an output path two datums wrote; then it
 * stores the pipeline's datum state (datum-state.ts). A failed job makes no output commit; its
 * datum state is kept for `list datum` (what it processed, failed, and skipped), never planned from.
 */
import { VigilError } from '../../pfs/errors.js';
import type { DatumMatch } from '../datum/create.js';
import type { MstEdit } from '../store/mst.js';
import type { FileEntry, Store } from '../store/store.js';
import type { DatumResult } from '../worker/job-context.js';
import { type DatumTrees, type StoredDatum, storedInput } from './datum-state.js';
import type { JobPlan } from './job-plan.js';
import type { JobRecord } from './job-records.js';
import { type PipelineRecord, specCommitOf } from './pipelines.js';

export interface JobEnd {
  record: PipelineRecord;
  job: JobRecord;
  plan: JobPlan;
  results: DatumResult[];
  /** The last successful job, whose state and output this job's build on. */
  base: JobRecord | null;
}

/** Commits the output of a job whose datums all succeeded (or were recovered); an output the store refuses fails it. */
export async function commitJob(store: Store, trees: DatumTrees, end: JobEnd): Promise<Partial<JobRecord>> {
  const { record, job, plan, results, base } = end;
  const { name, outputBranch } = record.spec;
  const state = base?.datums;
  const datums = trees.datums.edit(state?.datums ?? null);
  const writers = trees.outputs.edit(state?.outputs ?? null);

  // The outputs of the datums gone or processed again leave the output commit.
  const deleted = new Set<string>();
  for (const id of [...plan.removed, ...results.map((r) => r.datum.id)]) {
    const old = datums.get(id);
    for (const output of old?.outputs ?? []) {
      if (writers.get(output.path) !== id) continue;
      writers.delete(output.path);
      deleted.add(output.path);
    }
  }
  for (const id of plan.removed) datums.delete(id);

  // A path may have one writer: among the new outputs, and against the carried ones.
  const put: FileEntry[] = [];
  const byId = [...results].sort((a, b) => (a.datum.id < b.datum.id ? -1 : 1));
  const written = new Map<string, DatumResult>();
  for (const result of byId) {
    for (const output of result.outputs) {
      const other = written.get(output.path)?.datum ?? carried(datums, writers, output.path);
      if (other) return { state: 'JOB_FAILURE', reason: twoWriters(output.path, other, result.datum) };
      written.set(output.path, result);
      put.push(output);
    }
  }
  writers.putAll([...written].map(([path, result]) => ({ key: path, value: result.datum.id })));
  datums.putAll(results.map((r) => ({ key: r.datum.id, value: stored(r, job.id) })));

  const onto = state && base.outputCommit ? base.outputCommit.id : undefined;
  // The datum state is flushed while the output is committed: the job record names both, and
  // only finishJob, after both, makes it current.
  const [committed, roots] = await Promise.all([
    store
      .commit(name, outputBranch, onto ? { put, delete: [...deleted] } : { put, replace: true }, {
        provenance: job.inputCommits.map((c) => ({ repo: c.repo, id: c.id })),
        specCommit: specCommitOf(record),
        description: `output of job ${job.id}`,
        started: new Date(job.started),
        id: job.id,
        ...(onto ? { onto } : {}),
      })
      .then(
        (info) => ({ info }),
        (e: unknown) => {
          // E.g. one datum wrote /a and another /a/b: a path cannot be a file and a folder.
          if (e instanceof VigilError) return { refused: `the output cannot be committed: ${e.message}` };
          throw e;
        },
      ),
    trees.persist({ datums, outputs: writers, keys: plan.keys }),
  ]);
  if ('refused' in committed) return { state: 'JOB_FAILURE', reason: committed.refused };
  const outputCommit = { repo: name, branch: outputBranch, id: committed.info.id };
  const recovered = results.filter((r) => r.state === 'RECOVERED').map((r) => r.datum.id);
  return { state: 'JOB_SUCCESS', outputCommit, datums: roots, ...(recovered.length ? { recoveredDatums: recovered.sort() } : {}) };
}

/** The datum state of a job that did not finish: what it processed, failed or skipped, as `list datum` shows it. */
export async function keepFailedJob(trees: DatumTrees, end: JobEnd): Promise<Partial<JobRecord>> {
  const { job, plan, results, base } = end;
  const datums = trees.datums.edit(base?.datums?.datums ?? null);
  for (const id of plan.removed) datums.delete(id);
  // Datums it never got to are in neither state.
  const done = new Set(results.map((r) => r.datum.id));
  for (const datum of plan.toProcess) if (!done.has(datum.id)) datums.delete(datum.id);
  datums.putAll(results.map((r) => ({ key: r.datum.id, value: stored(r, job.id) })));
  return { datums: await trees.persist({ datums }) };
}

function stored(result: DatumResult, job: string): StoredDatum {
  const { datum, state, outputs, reason, tries } = result;
  return { hash: datum.hash, inputs: datum.inputs.map(storedInput), outputs, job, state, ...(reason ? { reason } : {}), tries };
}

/** The datum a carried output path belongs to, if some datum's output still holds it. */
function carried(
  datums: MstEdit<StoredDatum>,
  writers: MstEdit<string>,
  path: string,
): { id: string; inputs: Pick<DatumMatch, 'repo' | 'path'>[] } | undefined {
  const id = writers.get(path);
  if (id === undefined) return undefined;
  const datum = datums.get(id);
  return { id, inputs: datum?.inputs ?? [] };
}

/** Names both datums by id and by the input paths a person can act on, in id order. */
function twoWriters(path: string, ...datums: { id: string; inputs: Pick<DatumMatch, 'repo' | 'path'>[] }[]): string {
  const [a, b] = datums.sort((x, y) => (x.id < y.id ? -1 : 1));
  const named = (d: typeof a) => `${d!.id} (from ${d!.inputs.map((i) => `${i.repo}:${i.path}`).join(' x ')})`;
  return `output path ${path} was written by two datums: ${named(a)} and ${named(b)}`;
}
