import { sha256File } from '../pfs/files.js';
import { VigilError } from '../pfs/errors.js';
import { StoreDamageError } from '../engine/store/damage.js';
import { datumWriting, readJob, type DatumRecord, type JobRecord } from '../engine/pps/job-records.js';
import { listPipelines } from '../engine/pps/pipelines.js';
import type { CommitInfo, FileEntry, FileTree, Store } from '../engine/store/store.js';

/** The value cached under `key`, made on first use. */
export function memo<K, V>(cache: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  let value = cache.get(key);
  if (!value) {
    value = make();
    cache.set(key, value);
  }
  return value;
}

/**
 * What a trace reads of the embedded engine, each thing once: commits, trees, the hashes of
 * stored objects, repo heads, pipelines, and the jobs and datums that wrote files.
 */
export class StoreView {
  private readonly commits = new Map<string, Promise<CommitInfo | null>>();
  private readonly trees = new Map<string, Promise<FileTree>>();
  private readonly hashes = new Map<string, Promise<string | null>>();
  private readonly jobs = new Map<string, Promise<JobRecord | null>>();
  private pipelines?: Promise<Set<string>>;

  constructor(readonly store: Store) {}

  /** The commit whose id is `id`; a branch name or `^` in a record is no commit (it moves), so it counts as missing. */
  commit(repo: string, id: string): Promise<CommitInfo | null> {
    return memo(this.commits, `${repo}@${id}`, () =>
      this.store.resolveCommit(repo, id).then(
        (info) => (info.id === id ? info : null),
        (e: unknown) => {
          if (e instanceof VigilError && !(e instanceof StoreDamageError)) return null;
          throw e;
        },
      ),
    );
  }

  /** A commit's tree: look a file up, or list a folder, reading only the nodes on the way. */
  tree(repo: string, id: string): Promise<FileTree> {
    return memo(this.trees, `${repo}@${id}`, () => this.store.tree(repo, id));
  }

  /** Where the store keeps an object's bytes, for a reader that needs a file (DuckDB): check it first (objectHash). */
  objectPath(object: string): string {
    return this.store.objectPath(object);
  }

  /** The bytes of the object, checked against its sha256: a StoreDamageError naming `where` when damaged or missing. */
  readObject(object: string, where: string): Promise<Buffer> {
    return this.store.readObject(object, where);
  }

  /** The sha256 of the object's bytes as they are now (objects are named by the hash they had when stored). */
  objectHash(object: string): Promise<string | null> {
    return memo(this.hashes, object, () =>
      sha256File(this.store.objectPath(object)).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return null;
        throw e;
      }),
    );
  }

  /** The head of `repo`'s master; null when the repo does not exist (yet) or has no commits. */
  head(repo: string): Promise<CommitInfo | null> {
    return this.store.headCommit(repo).catch((e: unknown) => {
      if (e instanceof VigilError && !(e instanceof StoreDamageError)) return null;
      throw e;
    });
  }

  /** Whether `repo` is a pipeline's output repo (its commits come from jobs). */
  async isPipeline(repo: string): Promise<boolean> {
    this.pipelines ??= listPipelines(this.store).then((records) => new Set(records.map((r) => r.name)));
    return (await this.pipelines).has(repo);
  }

  /** The job of `pipeline` whose id is `id` (the id of the output commit it made): its record, read once. */
  async job(pipeline: string, id: string): Promise<JobRecord | undefined> {
    if (!/^[0-9a-f]+$/.test(id)) return undefined; // a commit id, never a path
    return (await memo(this.jobs, `${pipeline}@${id}`, () => readJob(this.store.root, pipeline, id))) ?? undefined;
  }

  /** The job's datum that wrote (or carried over) the output `path`. */
  datumWriting(job: JobRecord, path: string): DatumRecord | undefined {
    return datumWriting(this.store, job, path);
  }

  /** The files of a datum input's match: the file itself, or a folder's files. */
  async matchFiles(input: { repo: string; commit: string; path: string }): Promise<FileEntry[]> {
    const tree = await this.tree(input.repo, input.commit);
    const file = tree.get(input.path);
    return file ? [file] : tree.list(input.path);
  }
}
