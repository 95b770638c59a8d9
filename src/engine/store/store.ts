import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { VigilError } from '../../pfs/errors.js';
import { atomicWriteFile, fsyncPath, removeStaleTmpFiles, tmpPathFor, writeNewFile } from '../../pfs/durable.js';
import { sha256 as sha256Of } from '../../pfs/files.js';
import { namingDamage, objectFault, StoreDamageError } from './damage.js';
import { acquireLock } from './lock.js';
import { checkBranchName, checkRepoName, parseAncestry } from './names.js';
import type { Mst } from './mst.js';
import { ObjectNodes, ObjectStore, type ObjectSource } from './objects.js';
import { mapLimit } from './parallel.js';
import { storeWriteError } from './write-errors.js';
import { applyChange, FileTree, fileTrees, type FileEntry, type FileValue, type TreeChange } from './tree.js';
import { type ExpiredObject, ExpiredObjectError, ExpiryRegistry } from './expiry.js';

export type { FileChange, FileEntry, TreeChange } from './tree.js';
export { FileTree } from './tree.js';
export type { ObjectSource } from './objects.js';

export interface CommitRef {
  repo: string;
  id: string;
}

export interface CommitInfo {
  repo: string;
  id: string;
  branch: string;
  parent: string | null;
  /** ISO 8601. */
  started: string;
  finished: string;
  /** Total size of the commit's files. */
  sizeBytes: number;
  /** How many files the commit holds. */
  fileCount: number;
  /** The input commits this commit was computed from (empty for a user's commit). */
  provenance: CommitRef[];
  /** A pipeline's output commit: the commit of the pipeline's spec that made it (Pachyderm's spec repo, named as the pipeline). */
  specCommit?: string;
  description?: string;
}

export interface RepoInfo {
  name: string;
  created: string;
  description?: string;
  /** Size of the files at the head of master (0 without commits), as pachctl shows it. */
  sizeBytes: number;
  /** Branches that have commits, sorted. */
  branches: string[];
}

export interface StoreOptions {
  /** How long a write waits for another process's write to finish before failing (ms, default 5000). */
  lockWaitMs?: number;
}

/** A commit as stored: its info plus the root node of its tree (null when empty). */
export interface CommitRecord extends CommitInfo {
  root: string | null;
}

interface RepoRecord {
  name: string;
  created: string;
  description?: string;
}

/** Format 1 kept each commit's whole tree as one manifest object; migrate.ts converts it. */
export const STORE_FORMAT = 2;
const DEFAULT_BRANCH = 'master';
export const COMMIT_ID = /^[0-9a-f]{32}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const DELETED_PREFIX = '.deleted-';
/** Per store root: the last metadata write queued in this process (see Store.locked). */
const writeQueues = new Map<string, Promise<void>>();

/**
 * The versioned store: repos of immutable commits over content-addressed objects, in one folder.
 *
 *   store.json                      format marker (2), written last when the store is created
 *   objects/<sha[0:2]>/<sha[2:]>    file contents and tree nodes (mst.ts), by sha256 (mode 0444)
 *   repos/<repo>/repo.json          name, created, description
 *   repos/<repo>/commits/<id>.json  one finished commit (CommitRecord): never rewritten
 *   repos/<repo>/branches/<branch>  the branch's head commit id
 *   tmp/                            files being written; leftovers of dead processes go at open
 *   lock                            held by the one process writing metadata
 *
 * A commit becomes durable in two steps: its objects, its tree's new nodes (objects) and its
 * record together (one pass of fsyncs, renames, then folder fsyncs), and then the branch head,
 * replaced atomically by rename, under the lock. A process killed anywhere leaves the head on the
 * old commit or the new one; a record that no head reaches yet is invisible (listCommits walks
 * from heads). Readers take no lock: everything they read is immutable except heads, which
 * change atomically.
 */
export class Store {
  private readonly commitCache = new Map<string, CommitRecord>();
  private readonly trees: Mst<FileValue>;
  /** Objects whose bytes were removed on purpose: retention and erasure (expiry.ts). */
  readonly expiry: ExpiryRegistry;

  private constructor(
    readonly root: string,
    private readonly objects: ObjectStore,
    private readonly lockWaitMs: number,
  ) {
    this.trees = fileTrees(new ObjectNodes(objects));
    this.expiry = new ExpiryRegistry(root, (sha) => objects.path(sha), join(root, 'tmp'));
  }

  /** Opens the store in `root`, creating it if absent and cleaning what a killed process left. */
  static async open(root: string, opts: StoreOptions = {}): Promise<Store> {
    const abs = resolve(root);
    const store = new Store(abs, new ObjectStore(join(abs, 'objects'), join(abs, 'tmp')), opts.lockWaitMs ?? 5000);
    try {
      await store.mapWriteErrors(async () => {
        await store.initLayout();
        await removeStaleTmpFiles(store.tmpDir);
        await store.removeDeletedRepos();
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST')
        throw new VigilError(`the store folder ${abs} is not a folder (or has a file in the way)`);
      throw e;
    }
    return store;
  }

  private get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  private get reposDir(): string {
    return join(this.root, 'repos');
  }

  private repoDir(repo: string): string {
    return join(this.reposDir, repo);
  }

  private async initLayout(): Promise<void> {
    const marker = join(this.root, 'store.json');
    const existing = await readFile(marker, 'utf8').catch(() => null);
    if (existing !== null) {
      checkFormat(this.root, (JSON.parse(existing) as { format?: number }).format);
      return;
    }
    const fanout = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.reposDir, { recursive: true });
    await mapLimit(fanout, 32, (d) => mkdir(join(this.root, 'objects', d), { recursive: true }));
    await fsyncPath(join(this.root, 'objects'));
    await atomicWriteFile(marker, `${JSON.stringify({ format: STORE_FORMAT, created: new Date().toISOString() })}\n`, {
      tmpDir: this.tmpDir,
    });
  }

  /** Finishes deletions a killed process started (deleteRepo renames a repo away before removing it). */
  private async removeDeletedRepos(): Promise<void> {
    const names = await readdir(this.reposDir);
    await Promise.all(
      names.filter((n) => n.startsWith(DELETED_PREFIX)).map((n) => rm(join(this.reposDir, n), { recursive: true, force: true })),
    );
  }

  /**
   * Runs a metadata write under the store lock, so that two processes never interleave. Writers
   * in this process queue in memory first, rather than polling the lock file against each other.
   */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const before = writeQueues.get(this.root) ?? Promise.resolve();
    let done!: () => void;
    const mine = before.then(() => new Promise<void>((resolve) => (done = resolve)));
    writeQueues.set(this.root, mine);
    await before;
    try {
      return await this.mapWriteErrors(async () => {
        const release = await acquireLock(join(this.root, 'lock'), { waitMs: this.lockWaitMs, what: `the store ${this.root}` });
        try {
          return await fn();
        } finally {
          await release();
        }
      });
    } finally {
      done();
      if (writeQueues.get(this.root) === mine) writeQueues.delete(this.root);
    }
  }

  /** A full or read-only disk is the user's to fix: say so plainly. Whatever failed was not committed. */
  private async mapWriteErrors<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.writeError(e);
    }
  }

  private writeError(e: unknown): unknown {
    return storeWriteError(this.root, e, 'nothing was committed');
  }

  // ---- repos ----

  async createRepo(name: string, opts: { description?: string } = {}): Promise<RepoInfo> {
    checkRepoName(name);
    await this.locked(async () => {
      if (await this.readRepoRecord(name)) throw new VigilError(`repo "${name}" already exists`);
      const dir = this.repoDir(name);
      await mkdir(join(dir, 'commits'), { recursive: true });
      await mkdir(join(dir, 'branches'), { recursive: true });
      await fsyncPath(this.reposDir);
      const record: RepoRecord = {
        name,
        created: new Date().toISOString(),
        ...(opts.description ? { description: opts.description } : {}),
      };
      await atomicWriteFile(join(dir, 'repo.json'), `${JSON.stringify(record, null, 2)}\n`, { tmpDir: this.tmpDir });
    });
    return this.inspectRepo(name);
  }

  async listRepos(): Promise<RepoInfo[]> {
    const names = (await this.repoNames()).sort();
    const infos = await Promise.all(names.map((n) => this.inspectRepo(n).catch(() => null))); // deleted meanwhile
    return infos.filter((i): i is RepoInfo => i !== null);
  }

  async inspectRepo(name: string): Promise<RepoInfo> {
    const record = await this.requireRepo(name);
    const branches = await this.branchNames(name);
    const master = await this.headRecord(name, DEFAULT_BRANCH);
    return { ...record, sizeBytes: master?.sizeBytes ?? 0, branches };
  }

  /** Removes the repo and its commits (objects stay: other commits may share them). */
  async deleteRepo(name: string): Promise<void> {
    await this.requireRepo(name);
    await this.locked(async () => {
      await this.requireRepo(name);
      const doomed = join(this.reposDir, `${DELETED_PREFIX}${name}.${randomBytes(4).toString('hex')}`);
      await rename(this.repoDir(name), doomed); // gone at once for readers; a kill here is finished at open
      await fsyncPath(this.reposDir);
      await rm(doomed, { recursive: true, force: true });
    });
    for (const key of this.commitCache.keys()) if (key.startsWith(`${name}/`)) this.commitCache.delete(key);
  }

  private async repoNames(): Promise<string[]> {
    const names = await readdir(this.reposDir);
    const present = await Promise.all(names.map(async (n) => !n.startsWith('.') && (await this.readRepoRecord(n)) !== null));
    return names.filter((_, i) => present[i]);
  }

  private async readRepoRecord(name: string): Promise<RepoRecord | null> {
    const text = await readTextIfPresent(join(this.repoDir(name), 'repo.json'));
    if (text === null) return null;
    try {
      return JSON.parse(text) as RepoRecord;
    } catch (e) {
      throw new StoreDamageError(`the record of repo ${name} (repos/${name}/repo.json)`, `is damaged: ${oneLine((e as Error).message)}`);
    }
  }

  private async requireRepo(name: string): Promise<RepoRecord> {
    checkRepoName(name);
    const record = await this.readRepoRecord(name);
    if (record) return record;
    const names = (await this.repoNames()).sort();
    throw new VigilError(`repo "${name}" not found; ${names.length ? `repos: ${names.join(', ')}` : 'the store has no repos yet'}`);
  }

  // ---- commits ----

  private async branchNames(repo: string): Promise<string[]> {
    return (await readdir(join(this.repoDir(repo), 'branches')).catch(() => [])).sort();
  }

  private async headRecord(repo: string, branch: string): Promise<CommitRecord | null> {
    checkBranchName(branch);
    const id = await readFile(join(this.repoDir(repo), 'branches', branch), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    return id === null ? null : this.readCommit(repo, id.trim());
  }

  private async readCommit(repo: string, id: string): Promise<CommitRecord> {
    const key = `${repo}/${id}`;
    const cached = this.commitCache.get(key);
    if (cached) return cached;
    const text = COMMIT_ID.test(id) ? await readTextIfPresent(join(this.repoDir(repo), 'commits', `${id}.json`)) : null;
    if (text === null) throw new VigilError(`commit "${id}" not found in repo "${repo}"`);
    const record = parseCommitRecord(text, repo, id);
    this.commitCache.set(key, record);
    return record;
  }

  /** The commit at the head of `branch`; null when the branch has no commits. */
  async headCommit(repo: string, branch = DEFAULT_BRANCH): Promise<CommitInfo | null> {
    await this.requireRepo(repo);
    const head = await this.headRecord(repo, branch);
    return head && toInfo(head);
  }

  /** `ref`: a branch, a commit id, either followed by `^`, `^N` or `~N` to go back to ancestors. */
  async resolveCommit(repo: string, ref: string): Promise<CommitInfo> {
    await this.requireRepo(repo);
    const { base, back } = parseAncestry(ref);
    let commit = await this.baseCommit(repo, base);
    for (let i = 0; i < back; i++) {
      if (!commit.parent) {
        throw new VigilError(
          `${repo}@${ref} goes back past the first commit: ${repo}@${base} has only ${i} commit${i === 1 ? '' : 's'} before it`,
        );
      }
      commit = await this.readCommit(repo, commit.parent);
    }
    return toInfo(commit);
  }

  private async baseCommit(repo: string, base: string): Promise<CommitRecord> {
    if (COMMIT_ID.test(base)) {
      const byId = await this.readCommit(repo, base).catch(() => null);
      if (byId) return byId;
    }
    const branchLike = /^[A-Za-z0-9_-]{1,63}$/.test(base);
    const head = branchLike ? await this.headRecord(repo, base) : null;
    if (head) return head;
    if (COMMIT_ID.test(base)) throw new VigilError(`commit "${base}" not found in repo "${repo}"`);
    if (!branchLike) throw new VigilError(`"${base}" is neither a branch nor a commit id of repo "${repo}"`);
    const branches = await this.branchNames(repo);
    throw new VigilError(
      `repo "${repo}" has no commits on branch "${base}"${branches.length ? `; branches with commits: ${branches.join(', ')}` : ''}`,
    );
  }

  /** Runs `fn` holding the store lock, as every metadata write does (the garbage collector's final check). */
  withStoreLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.locked(fn);
  }

  /**
   * Removes the bytes of these objects for good, keeping every commit's paths and hashes: each
   * is recorded expired (expiry.ts) before its file goes. Returns how many and their bytes.
   */
  expireObjects(shas: Iterable<string>, entry: Omit<ExpiredObject, 'sha256'>): Promise<{ objects: number; bytes: number }> {
    return this.mapWriteErrors(() => this.expiry.expire(shas, entry));
  }

  /** The error for a read of object `sha256` that found no file: why it is gone when it expired, else that it is missing. */
  explainMissing(sha256: string, what: string): Promise<VigilError> {
    return this.objectError(sha256, objectFault(null), what);
  }

  /**
   * Pachyderm's `squash commit` (src/server/pfs/server/server_commit.go, squashCommit): the
   * commit leaves its branch's history, its children now follow its parent; each child holds
   * its whole tree, so no file of a later commit changes. The commits made from it (its
   * subvenance: output commits whose provenance names it) go too with `recursive`, else it is
   * refused; a commit without children (a branch head) cannot be squashed. Returns the commits
   * removed; their objects go at the next garbage collection.
   */
  async squashCommit(repo: string, id: string, opts: { recursive?: boolean } = {}): Promise<CommitRef[]> {
    const commit = await this.resolveCommit(repo, id);
    return this.locked(async () => {
      const all = new Map<string, CommitRecord[]>();
      const recordsOf = async (r: string): Promise<CommitRecord[]> => {
        let list = all.get(r);
        if (!list) {
          const infos = await this.listCommits(r);
          list = await Promise.all(infos.map((c) => this.readCommit(r, c.id)));
          all.set(r, list);
        }
        return list;
      };
      const doomed: CommitRecord[] = [await this.readCommit(repo, commit.id)];
      const repos = await this.repoNames();
      for (let i = 0; i < doomed.length; i++) {
        const c = doomed[i]!;
        for (const r of repos) {
          for (const s of await recordsOf(r)) {
            if (s.provenance.some((p) => p.repo === c.repo && p.id === c.id) && !doomed.includes(s)) doomed.push(s);
          }
        }
      }
      if (doomed.length > 1 && !opts.recursive) {
        const names = doomed.slice(1).map((c) => `${c.repo}@${c.id}`);
        throw new VigilError(
          `cannot squash commit ${repo}@${commit.id} with subvenance without --recursive: ${names.join(', ')} were made from it`,
        );
      }
      for (const c of doomed) {
        const children = (await recordsOf(c.repo)).filter((x) => x.parent === c.id);
        if (children.length === 0)
          throw new VigilError(`cannot squash commit ${c.repo}@${c.id}: it has no children (it is the head of ${c.repo}@${c.branch})`);
      }
      for (const c of doomed) {
        const dir = this.repoDir(c.repo);
        for (const child of (await recordsOf(c.repo)).filter((x) => x.parent === c.id)) {
          const moved: CommitRecord = { ...child, parent: c.parent };
          await atomicWriteFile(join(dir, 'commits', `${child.id}.json`), `${JSON.stringify(moved, null, 2)}\n`, { tmpDir: this.tmpDir });
          this.commitCache.set(`${c.repo}/${child.id}`, moved);
          child.parent = c.parent;
        }
        await rm(join(dir, 'commits', `${c.id}.json`), { force: true });
        this.commitCache.delete(`${c.repo}/${c.id}`);
      }
      await Promise.all([...new Set(doomed.map((c) => join(this.repoDir(c.repo), 'commits')))].map(fsyncPath));
      return doomed.map((c) => ({ repo: c.repo, id: c.id }));
    });
  }

  /** Every commit on a branch of `repo`, newest first. */
  async listCommits(repo: string): Promise<CommitInfo[]> {
    await this.requireRepo(repo);
    const files = (await readdir(join(this.repoDir(repo), 'commits'))).filter((f) => f.endsWith('.json'));
    const records = await mapLimit(files, 64, (f) => this.readCommit(repo, f.slice(0, -'.json'.length)));
    const byId = new Map(records.map((r) => [r.id, r]));
    // Only what a head reaches: a record written by a process killed before it moved the head is not a commit.
    const generation = new Map<string, number>();
    const depth = (id: string): number => {
      let n = generation.get(id);
      if (n === undefined) {
        const parent = byId.get(id)?.parent;
        n = parent ? depth(parent) + 1 : 0;
        generation.set(id, n);
      }
      return n;
    };
    const reachable = new Set<string>();
    for (const branch of await this.branchNames(repo)) {
      for (let c = await this.headRecord(repo, branch); c && !reachable.has(c.id); c = c.parent ? (byId.get(c.parent) ?? null) : null) {
        reachable.add(c.id);
      }
    }
    return [...reachable]
      .map((id) => byId.get(id)!)
      .sort((a, b) => (a.finished !== b.finished ? (a.finished < b.finished ? 1 : -1) : depth(b.id) - depth(a.id)))
      .map(toInfo);
  }

  /** The whole tree of a commit, sorted by path: O(files), for what needs them all; see tree() for lookups and folders. */
  async listFiles(repo: string, commitId: string): Promise<FileEntry[]> {
    return (await this.tree(repo, commitId)).list();
  }

  /** A commit's tree (an empty one for null), to look files up, list a folder or diff against another commit's, each in O(log N). */
  async tree(repo: string, commitId: string | null): Promise<FileTree> {
    await this.requireRepo(repo);
    if (commitId === null) return new FileTree(this.trees, null, 0, 0, repo);
    const record = await this.readCommit(repo, commitId);
    return new FileTree(this.trees, record.root, record.fileCount, record.sizeBytes, `${repo}@${commitId}`);
  }

  /** The file at `path` in a commit, or null (also when `path` is a folder). */
  async fileAt(repo: string, commitId: string, path: string): Promise<FileEntry | null> {
    return (await this.tree(repo, commitId)).get(path);
  }

  /** Drops objects added with `batch: true` that no commit will name, because the commit meant to was refused. */
  discardObjects(shas: Iterable<string>): Promise<void> {
    return this.objects.discard(shas);
  }

  /** Node storage over this store's objects for other trees (a pipeline's datum state); see flushNodes. */
  nodeStorage(): ObjectNodes {
    return new ObjectNodes(this.objects);
  }

  /** Makes tree nodes written through nodeStorage() durable (Persisted.written), before a record names their root. */
  flushNodes(written: string[]): Promise<void> {
    return this.mapWriteErrors(() => this.objects.flush(written));
  }

  // ---- objects ----

  /** The immutable blob on disk: read it, hard-link or copy it, never write it; check it first (checkObject). */
  objectPath(sha256: string): string {
    return this.objects.path(sha256);
  }

  /**
   * Re-hashes the object before anything reads it: a StoreDamageError naming `where` (the file
   * that holds it, `repo@commit:/path`) when its bytes no longer hash to its name or it is missing.
   */
  async checkObject(sha256: string, where: string): Promise<void> {
    const fault = await this.objects.fault(sha256);
    if (fault) throw await this.objectError(sha256, fault, where);
  }

  /** The error for a read of object `sha256` that found `fault`: why it is gone when it expired, else the damage. */
  private async objectError(sha256: string, fault: string, where: string): Promise<VigilError> {
    const expired = fault === objectFault(null) ? await this.expiry.get(sha256) : null;
    return expired ? new ExpiredObjectError(where, expired) : new StoreDamageError(`object ${sha256}`, fault, where);
  }

  /** checkObject, synchronously (see ObjectStore.faultSync). */
  checkObjectSync(sha256: string, where: string): void {
    const fault = this.objects.faultSync(sha256);
    if (fault) throw new StoreDamageError(`object ${sha256}`, fault, where);
  }

  /** The object's bytes, checked against its sha256 (a StoreDamageError naming `where` if they are damaged). */
  async readObject(sha256: string, where: string): Promise<Buffer> {
    const bytes = await readFile(this.objects.currentPath(sha256)).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw await this.objectError(sha256, objectFault(null), where);
      throw e;
    });
    const actual = sha256Of(bytes);
    if (actual !== sha256) throw await this.objectError(sha256, objectFault(actual), where);
    return bytes;
  }

  /**
   * Stores a file (by path), bytes or a stream once by content; durable on return. With
   * `batch: true` the object is made visible by the next commit of this Store that names it,
   * which does it for all its objects at once: much faster for many files (see ObjectStore).
   */
  addObject(source: ObjectSource, opts: { batch?: boolean } = {}): Promise<{ sha256: string; size: number }> {
    return this.mapWriteErrors(() => this.objects.add(source, opts));
  }

  /**
   * addObject(bytes, { batch: true }) done synchronously, for small outputs on a path where each
   * thread-pool round trip counts (a worker between two datums); see ObjectStore.addBatchSync.
   */
  addObjectBatchSync(bytes: Uint8Array): { sha256: string; size: number } {
    try {
      return this.objects.addBatchSync(bytes);
    } catch (e) {
      throw this.writeError(e);
    }
  }

  /**
   * Makes one commit on `branch` (created by its first commit) and moves the branch head to it,
   * atomically: on any error, or if the process dies, the branch stays where it was.
   */
  async commit(
    repo: string,
    branch: string,
    change: TreeChange,
    opts: {
      provenance?: CommitRef[];
      /** For a pipeline's output commit: its spec's commit (see CommitInfo.specCommit). */
      specCommit?: string;
      description?: string;
      started?: Date;
      /** The new commit's id, chosen beforehand (a pipeline job's, which its step saw as PACH_OUTPUT_COMMIT_ID); 32 hex digits. */
      id?: string;
      /** The commit of this repo whose tree the change applies to (a job's previous output), instead of the branch head's. */
      onto?: string;
    } = {},
  ): Promise<CommitInfo> {
    checkBranchName(branch);
    if (opts.id !== undefined && !COMMIT_ID.test(opts.id)) throw new Error(`commit id "${opts.id}" is not 32 hex digits`);
    const started = (opts.started ?? new Date()).toISOString();
    await this.requireRepo(repo);
    const putShas = (change.put ?? []).map((e) => e.sha256);
    const missing = await this.objects.missing(putShas);
    if (missing.length) {
      throw new Error(
        `commit to ${repo}@${branch}: ${missing.length} object(s) not in the store (e.g. ${missing[0]}); add them with addObject first`,
      );
    }
    if (opts.id !== undefined) await this.checkIdUnused(repo, opts.id);
    const onto = opts.onto !== undefined ? await this.readCommit(repo, opts.onto) : undefined;
    const id = opts.id ?? randomUUID().replace(/-/g, '');
    const dir = this.repoDir(repo);
    const recordPath = join(dir, 'commits', `${id}.json`);
    const branchPath = join(dir, 'branches', branch);
    /**
     * Makes the commit durable on `parent`, all but the head's move: the change's objects, the
     * tree's new nodes and the record, in one flush (objects need no lock: content-addressed,
     * renamed into place whole; a record no head reaches is no commit yet).
     */
    const place = async (parent: CommitRecord | null, shas: string[]): Promise<CommitRecord> => {
      const tree = this.makeTree(repo, branch, onto ?? parent, change);
      const record: CommitRecord = {
        repo,
        id,
        branch,
        parent: parent?.id ?? null,
        started,
        finished: new Date().toISOString(),
        sizeBytes: tree.weight,
        fileCount: tree.count,
        provenance: (opts.provenance ?? []).map((p) => ({ repo: p.repo, id: p.id })),
        ...(opts.specCommit ? { specCommit: opts.specCommit } : {}),
        ...(opts.description ? { description: opts.description } : {}),
        root: tree.hash,
      };
      const tmp = tmpPathFor(recordPath, this.tmpDir);
      try {
        await writeNewFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { sync: false });
        await this.objects.flush([...shas, ...tree.written], [{ tmp, path: recordPath }]);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      return record;
    };
    // The new head's file is written and fsynced beside the flush; under the lock only the head
    // moves (a rename and its folder's fsync), unless another writer moved it meanwhile: then
    // the commit is placed again on the new head, under the same id.
    const branchTmp = tmpPathFor(branchPath, this.tmpDir);
    let moved = false;
    try {
      let [record] = await this.mapWriteErrors(() =>
        Promise.all([this.headRecord(repo, branch).then((head) => place(head, putShas)), writeNewFile(branchTmp, `${id}\n`)]),
      );
      return await this.locked(async () => {
        await this.requireRepo(repo);
        for (const p of opts.provenance ?? []) {
          await this.requireRepo(p.repo);
          await this.readCommit(p.repo, p.id);
        }
        const head = await this.headRecord(repo, branch);
        if ((head?.id ?? null) !== record.parent) record = await place(head, []);
        await rename(branchTmp, branchPath);
        moved = true;
        await fsyncPath(join(dir, 'branches'));
        this.commitCache.set(`${repo}/${id}`, record);
        return toInfo(record);
      });
    } catch (e) {
      // Failed or refused before the head moved: the record no head reaches goes too.
      if (!moved) await Promise.all([rm(branchTmp, { force: true }), rm(recordPath, { force: true })]);
      throw e;
    }
  }

  /** The tree of `base` (a commit of `repo`, or none) with `change` applied; its new nodes are pending objects. */
  private makeTree(repo: string, branch: string, base: CommitRecord | null, change: TreeChange) {
    try {
      return namingDamage(`${repo}@${base?.id ?? branch}`, () => applyChange(this.trees, base?.root ?? null, change, `${repo}@${branch}`));
    } catch (e) {
      throw this.writeError(e);
    }
  }

  /**
   * Points `branch` (created if absent) at an existing commit of the repo, named by `ref` as
   * resolveCommit takes it: `pachctl create branch repo@branch --head <ref>`. No commit is made;
   * readers of the branch see its new head as they would a new commit. Returns that commit.
   */
  async setBranchHead(repo: string, branch: string, ref: string): Promise<CommitInfo> {
    checkBranchName(branch);
    const target = await this.resolveCommit(repo, ref);
    return this.locked(async () => {
      await this.requireRepo(repo); // deleted meanwhile
      await atomicWriteFile(join(this.repoDir(repo), 'branches', branch), `${target.id}\n`, { tmpDir: this.tmpDir });
      return target;
    });
  }

  /**
   * A chosen commit id must not name a commit already made: commits are immutable. A record no
   * head reaches (left by a process killed before it moved the head) may be replaced: that is
   * the retry of the same commit.
   */
  private async checkIdUnused(repo: string, id: string): Promise<void> {
    if ((await readTextIfPresent(join(this.repoDir(repo), 'commits', `${id}.json`))) === null) return;
    if ((await this.listCommits(repo)).some((c) => c.id === id))
      throw new Error(`commit ${repo}@${id} already exists; commits are immutable`);
    this.commitCache.delete(`${repo}/${id}`);
  }
}

/** A parser's message on one line (JSON.parse quotes the text it met, line breaks included). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A file's text, or null when it does not exist. */
async function readTextIfPresent(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  });
}

/**
 * A commit record's text as its record, checked for the fields a reader relies on: a record that
 * does not parse, or names another commit, or a parent or root that is no id, is damaged.
 */
export function parseCommitRecord(text: string, repo: string, id: string): CommitRecord {
  const damaged = (why: string) =>
    new StoreDamageError(`the record of commit ${id} in repo ${repo} (repos/${repo}/commits/${id}.json)`, `is damaged: ${why}`);
  let record: CommitRecord;
  try {
    record = JSON.parse(text) as CommitRecord;
  } catch (e) {
    throw damaged(oneLine((e as Error).message));
  }
  if (typeof record !== 'object' || record === null) throw damaged('it is no JSON object');
  if (record.id !== id || record.repo !== repo) throw damaged(`it names commit ${record.repo}@${record.id}`);
  if (record.parent !== null && !(typeof record.parent === 'string' && COMMIT_ID.test(record.parent))) {
    throw damaged(`its parent ${JSON.stringify(record.parent)} is no commit id`);
  }
  if (record.root !== null && !(typeof record.root === 'string' && SHA256.test(record.root))) {
    throw damaged(`its tree root ${JSON.stringify(record.root)} is no sha256`);
  }
  for (const field of ['fileCount', 'sizeBytes'] as const) {
    if (!Number.isSafeInteger(record[field]) || record[field] < 0)
      throw damaged(`its ${field} ${JSON.stringify(record[field])} is no count`);
  }
  if (typeof record.branch !== 'string' || typeof record.started !== 'string' || typeof record.finished !== 'string') {
    throw damaged('its branch, started or finished is missing');
  }
  if (!Array.isArray(record.provenance)) throw damaged('its provenance is missing');
  return record;
}

function toInfo(record: CommitRecord): CommitInfo {
  const { root: _root, ...info } = record;
  return info;
}

/** Refuses a store of another format, pointing at `vigil migrate` for an older one. */
export function checkFormat(root: string, format: number | undefined): void {
  if (format === STORE_FORMAT) return;
  if (format === 1) {
    throw new VigilError(
      `the store ${root} was written by an older vigil (format 1); run \`vigil migrate --root ${root}\` to upgrade it in place`,
    );
  }
  throw new VigilError(`the store ${root} has format ${format}; this vigil reads format ${STORE_FORMAT}`);
}
