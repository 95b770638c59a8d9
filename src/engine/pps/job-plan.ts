/**
 * A job's plan: which datums to run, which are gone, how many the job has. From the diffs of its
 * input trees against what the last successful job read (datum/incremental.ts) when it can, so
 * that a job's start costs what changed, not the size of its inputs; from whole trees (makeDatums)
 * for a first job, a new pipeline version, `reprocessSpec: every_job`, or an input shape the
 * incremental planner does not follow. Either way a datum whose hash the datum state holds with
 * SUCCESS is skipped, and the state's RECOVERED datums run again.
 */
import { type Datum, type DatumInput, type HeadTree, makeDatums, type PlannedDatum } from '../datum/create.js';
import { type BranchTrees, type KeyMember, keyIndexEntries, NotIncremental, planChanges } from '../datum/incremental.js';
import type { MstEdit } from '../store/mst.js';
import type { CommitInfo, FileEntry, FileTree, Store } from '../store/store.js';
import { VigilError } from '../../pfs/errors.js';
import type { DatumTrees } from './datum-state.js';
import type { JobRecord } from './job-records.js';
import type { PipelineRecord } from './pipelines.js';

export interface JobPlan {
  /** The datums to run, with their files. */
  toProcess: Datum[];
  /** Ids of the base state's datums that are gone (their outputs go with them). */
  removed: string[];
  /** How many datums the job has: processed and skipped. */
  total: number;
  /** The key index for the job's output state. */
  keys: MstEdit<KeyMember>;
}

/** Plans the job of `record` over the heads of its input branches, against `base` (the last successful job). */
export async function planJob(
  store: Store,
  trees: DatumTrees,
  record: PipelineRecord,
  base: JobRecord | null,
  branches: { repo: string; branch: string }[],
  heads: (CommitInfo | null)[],
): Promise<JobPlan> {
  const { spec } = record;
  const afters = new Map<string, { tree: FileTree; commit: string }>();
  for (const [i, b] of branches.entries()) {
    afters.set(`${b.repo}@${b.branch}`, { tree: await store.tree(b.repo, heads[i]?.id ?? null), commit: heads[i]?.id ?? '' });
  }
  const everyJob = spec.reprocessSpec === 'every_job';
  const state = base?.datums;
  const planned =
    state && !everyJob && base.pipelineVersion === record.version
      ? await fromDiffs(store, trees, record, base, afters).catch((e: unknown) => {
          if (e instanceof NotIncremental) return null;
          throw e;
        })
      : null;
  const { changed, removed, keys, total } = planned ?? fromWholeTrees(trees, record, base, afters);

  const toProcess: PlannedDatum[] = [];
  for (const datum of changed) {
    const known = state ? trees.datums.get(state.datums, datum.id) : undefined;
    if (everyJob || !known || known.hash !== datum.hash || known.state !== 'SUCCESS') toProcess.push(datum);
  }
  // Recovered datums run again, changed or not.
  if (state && !everyJob) {
    const seen = new Set([...changed.map((d) => d.id), ...removed]);
    for (const id of base.recoveredDatums ?? []) {
      const known = seen.has(id) ? undefined : trees.datums.get(state.datums, id);
      if (!known) continue;
      const inputs = known.inputs.map((input) => ({ ...input, commit: afters.get(`${input.repo}@${input.branch}`)?.commit ?? '' }));
      toProcess.push({ id, hash: known.hash, inputs });
    }
  }
  const files = new FileLists(afters);
  return { toProcess: toProcess.map((d) => files.withFiles(d)), removed, total, keys };
}

interface Candidates {
  /** Datums that are new or may have changed (every datum, planned in full). */
  changed: PlannedDatum[];
  removed: string[];
  keys: MstEdit<KeyMember>;
  total: number;
}

async function fromDiffs(
  store: Store,
  trees: DatumTrees,
  record: PipelineRecord,
  base: JobRecord,
  afters: Map<string, { tree: FileTree; commit: string }>,
): Promise<Candidates> {
  const state = base.datums!;
  const befores = new Map<string, FileTree>();
  for (const key of afters.keys()) {
    const [repo, branch] = key.split('@') as [string, string];
    const read = base.inputCommits.find((c) => c.repo === repo && c.branch === branch);
    // A base commit gone (its repo deleted and made again) leaves nothing to diff against.
    const before = await store.tree(repo, read?.id ?? null).catch((e: unknown) => {
      if (e instanceof VigilError) throw new NotIncremental(e.message);
      throw e;
    });
    befores.set(key, before);
  }
  const keys = trees.keys.edit(state.keys);
  const { changed, removed } = planChanges(
    record.spec.input,
    record.salt,
    (repo, branch): BranchTrees => {
      const key = `${repo}@${branch}`;
      return { before: befores.get(key)!, after: afters.get(key)!.tree, commit: afters.get(key)!.commit };
    },
    keys,
  );
  let total = trees.datums.summary(state.datums).count - removed.length;
  for (const datum of changed) if (trees.datums.get(state.datums, datum.id) === undefined) total++;
  return { changed, removed, keys, total };
}

function fromWholeTrees(
  trees: DatumTrees,
  record: PipelineRecord,
  base: JobRecord | null,
  afters: Map<string, { tree: FileTree; commit: string }>,
): Candidates {
  const lists = new Map<string, { commit: string; files: FileEntry[]; root: string | null } | null>();
  for (const [key, after] of afters) {
    lists.set(key, after.commit ? { commit: after.commit, files: after.tree.list(), root: after.tree.root } : null);
  }
  const head: HeadTree = (repo, branch) => lists.get(`${repo}@${branch}`) ?? null;
  const datums = makeDatums(record.spec.input, head, record.salt);
  const keys = trees.keys.edit(null);
  keys.replace(keyIndexEntries(record.spec.input, head));
  const now = new Set(datums.map((d) => d.id));
  const removed: string[] = [];
  if (base?.datums) for (const e of trees.datums.entries(base.datums.datums)) if (!now.has(e.key)) removed.push(e.key);
  return { changed: datums, removed, keys, total: datums.length };
}

/** The files of each datum input to lay out, read once per match from the input commit's tree. */
class FileLists {
  private readonly lists = new Map<string, FileEntry[]>();

  constructor(private readonly afters: Map<string, { tree: FileTree; commit: string }>) {}

  withFiles(datum: PlannedDatum): Datum {
    const inputs: DatumInput[] = datum.inputs.map((input) => ({ ...input, files: input.files ?? this.filesOf(input) }));
    return { ...datum, inputs };
  }

  private filesOf(input: PlannedDatum['inputs'][number]): FileEntry[] {
    if (input.type === 'file') return [{ path: input.path, sha256: input.digest, size: input.size }];
    const key = `${input.repo}@${input.branch}:${input.path}`;
    let files = this.lists.get(key);
    if (!files) {
      files = this.afters.get(`${input.repo}@${input.branch}`)!.tree.list(input.path);
      this.lists.set(key, files);
    }
    return files;
  }
}
