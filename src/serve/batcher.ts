import type { CommitInfo, FileEntry, Store } from '../engine/store/store.js';
import type { FileTree } from '../engine/store/tree.js';
import { Refusal } from './errors.js';
import { compareWithStored } from './ingest-core.js';

export interface BatcherOptions {
  /** How long the first file of a batch waits for others before the batch is committed, ms. */
  intervalMs: number;
  /** A batch this big is committed at once. */
  maxFiles: number;
  /**
   * How many puts are on their way (taken in, not yet put). When none is, a batch is committed
   * at once rather than waiting `intervalMs` for frames that are not coming.
   */
  arriving?: () => number;
}

/** What a put came to: the commit that holds the file, and whether this put stored it (false: the same bytes were there). */
export interface PutResult {
  commit: string;
  stored: boolean;
}

export type CommitObserver = (commit: CommitInfo, files: number, seconds: number) => void;

interface Waiter {
  resolve(result: PutResult): void;
  reject(e: unknown): void;
}

interface PendingPut {
  entry: FileEntry;
  waiters: Waiter[];
}

/**
 * Group commit: the one writer of a repo@branch in this process. Files put while a commit is
 * being written go together into the next one as soon as it ends; with none being written, those
 * within `intervalMs` of the first do (one flush of all their objects), or those put until no
 * other is on its way. Each put resolves only once its commit is durable (the branch head
 * moved), so an acknowledged file survives any kill. Commits are written one at a time.
 *
 * It looks each path up in the head's tree (O(log N), whatever the camera's history), so a
 * resend of the same bytes is answered without storing anything and another file at a taken
 * path is refused (409). When another process moved the head meanwhile (`vigil put file`), it
 * takes the new head's tree before committing and judges the batch again.
 */
export class CommitBatcher {
  /** The tree at `head`. */
  private stored!: FileTree;
  private pending = new Map<string, PendingPut>();
  /** The puts of the commit being written: taken, not yet at the head. */
  private committing = new Map<string, PendingPut>();
  private head: string | null = null;
  /** The commit being written, and those queued behind it: one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly store: Store,
    readonly repo: string,
    readonly branch: string,
    private readonly opts: BatcherOptions,
    private readonly observe: CommitObserver,
  ) {}

  static async open(
    store: Store,
    repo: string,
    branch: string,
    opts: BatcherOptions,
    observe: CommitObserver = () => {},
  ): Promise<CommitBatcher> {
    const batcher = new CommitBatcher(store, repo, branch, opts, observe);
    await batcher.reload();
    return batcher;
  }

  /** Files waiting for their commit or in the commit being written. */
  get waiting(): number {
    return this.pending.size + this.committing.size;
  }

  /** The head this batcher last saw or made. */
  get headCommit(): string | null {
    return this.head;
  }

  private async reload(): Promise<void> {
    const head = await this.store.headCommit(this.repo, this.branch);
    await this.moveTo(head?.id ?? null);
  }

  private async moveTo(head: string | null): Promise<void> {
    this.stored = await this.store.tree(this.repo, head);
    this.head = head;
  }

  /** The sha256 of the file at `path` at the head, if any. */
  private storedSha(path: string): string | undefined {
    return this.stored.get(path)?.sha256;
  }

  /**
   * Checks a file before its bytes are stored: throws a conflict for another file at the path,
   * returns 'duplicate' for the same bytes (stored or pending), 'new' otherwise.
   */
  check(path: string, sha256: string): 'new' | 'duplicate' {
    const existing = compareWithStored(this.waitingPut(path)?.entry.sha256 ?? this.storedSha(path), sha256);
    if (existing === 'conflict') throw conflict(this.repo, this.branch, path);
    return existing;
  }

  /** Puts a file whose object is in the store (added with batch: true); resolves once it is committed. */
  put(entry: FileEntry): Promise<PutResult> {
    if (this.closed) return Promise.reject(new Refusal('shutting_down', 'the server is stopping; nothing was stored: send again later'));
    let existing: 'new' | 'duplicate';
    try {
      existing = this.check(entry.path, entry.sha256);
    } catch (e) {
      return Promise.reject(e);
    }
    const pending = this.waitingPut(entry.path);
    if (existing === 'duplicate' && !pending) {
      return Promise.resolve({ commit: this.head!, stored: false });
    }
    return new Promise<PutResult>((resolve, reject) => {
      if (pending) {
        // The same bytes wait for the commit already: this put is a resend of that one.
        pending.waiters.push({ resolve: (r) => resolve({ ...r, stored: false }), reject });
        return;
      }
      this.pending.set(entry.path, { entry, waiters: [{ resolve, reject }] });
      this.schedule();
    });
  }

  /** The put of `path` waiting for its commit or in the commit being written. */
  private waitingPut(path: string): PendingPut | undefined {
    return this.pending.get(path) ?? this.committing.get(path);
  }

  /** Removes files (or folders) in a commit of their own, after every put before it. Resolves with that commit's id. */
  async delete(paths: string[]): Promise<string> {
    await this.flush();
    let id = '';
    await this.exclusive(async () => {
      if (this.head !== (await this.store.headCommit(this.repo, this.branch))?.id) await this.reload();
      const info = await this.store.commit(this.repo, this.branch, { delete: paths }, { description: 'deleted through vigil serve' });
      await this.reload();
      id = info.id;
    });
    return id;
  }

  /** Commits what is pending now and waits for it. */
  async flush(): Promise<void> {
    this.commitPending();
    await this.chain;
  }

  /** Refuses new puts, commits the pending ones and waits for every commit. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /**
   * While a commit is written, puts wait for it to end and then go together at once: they have
   * waited long enough. With no commit being written, the first put waits `intervalMs` for
   * others, or until they make a full batch or none is on its way.
   */
  private schedule(): void {
    if (this.writing) return;
    if (this.pending.size >= this.opts.maxFiles || this.opts.arriving?.() === 0) {
      this.commitPending();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.commitPending();
      }, this.opts.intervalMs);
    }
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Takes the pending puts as one batch and commits it after the commits before it; then the puts that arrived meanwhile. */
  private commitPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    for (const put of batch) this.committing.set(put.entry.path, put);
    this.pending.clear();
    this.writing = true;
    void this.exclusive(() => this.commitBatch(batch)).finally(() => {
      this.writing = false;
      this.commitPending();
    });
  }

  private async commitBatch(batch: PendingPut[]): Promise<void> {
    const started = performance.now();
    const taken = batch;
    try {
      const head = await this.store.headCommit(this.repo, this.branch);
      if ((head?.id ?? null) !== this.head) batch = await this.rejudge(batch);
      if (batch.length === 0) return;
      const info = await this.store.commit(
        this.repo,
        this.branch,
        { put: batch.map((p) => p.entry) },
        { description: `${batch.length} frame${batch.length === 1 ? '' : 's'} through vigil serve` },
      );
      await this.moveTo(info.id);
      this.observe(info, batch.length, (performance.now() - started) / 1000);
      for (const { waiters } of batch) for (const w of waiters) w.resolve({ commit: info.id, stored: true });
    } catch (e) {
      for (const { waiters } of batch) for (const w of waiters) w.reject(e);
    } finally {
      for (const { entry } of taken) this.committing.delete(entry.path);
    }
  }

  /** The head moved under us: reload its tree and answer the puts it already decides. */
  private async rejudge(batch: PendingPut[]): Promise<PendingPut[]> {
    await this.reload();
    const keep: PendingPut[] = [];
    for (const put of batch) {
      const existing = compareWithStored(this.storedSha(put.entry.path), put.entry.sha256);
      if (existing === 'new') keep.push(put);
      else if (existing === 'duplicate') for (const w of put.waiters) w.resolve({ commit: this.head!, stored: false });
      else for (const w of put.waiters) w.reject(conflict(this.repo, this.branch, put.entry.path));
    }
    return keep;
  }
}

function conflict(repo: string, branch: string, path: string): Refusal {
  return new Refusal('conflict', `${repo}@${branch}:${path} already holds another frame; a frame is never replaced (nothing was stored)`);
}
