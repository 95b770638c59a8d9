import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, linkSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VigilError } from '../../pfs/errors.js';
import { sha256 as sha256Of } from '../../pfs/files.js';
import { fsyncPath, syncFilesystem, tmpPathFor, writeNewFile } from '../../pfs/durable.js';
import { objectFault, StoreDamageError } from './damage.js';
import type { NodeStorage } from './mst.js';
import { mapLimit } from './parallel.js';

/** Sources up to this size are read whole; larger ones (and streams) are hashed while copied. */
const READ_WHOLE_MAX = 16 * 1024 * 1024;
/** fsyncs and renames in flight at once: enough for the disk to merge them into few journal commits. */
const IO_PARALLEL = 32;
/** At least this many files (or folders) are flushed with one syncfs rather than one fsync each. */
const SYNCFS_MIN = 64;
/** How much of an object a check reads at a time. */
const CHUNK_BYTES = 1024 * 1024;
/** The synchronous check's buffer, one per process (the check never yields while it holds it), made on first use. */
let chunk: Buffer | undefined;

export type ObjectSource = string | Uint8Array | AsyncIterable<Uint8Array>;

/**
 * Content-addressed blobs: `objects/<sha256[0:2]>/<sha256[2:]>`, written once, never modified
 * (mode 0444). A blob appears under its name only once its bytes are on disk, so "the object
 * exists" always means "the object is complete"; writers never need to check the content.
 *
 * Adding an object writes and fsyncs a temporary file, renames it into place and fsyncs its
 * folder. With `batch: true` all of that waits for flush(), which a commit calls for all its
 * objects at once: the files are flushed together (one syncfs for a big batch, else parallel
 * fsyncs), then renamed, then their folders flushed the same way, instead of two journal
 * commits per file.
 *
 * Garbage collection (gc/collect.ts) may delete an object no commit names, so a writer never
 * trusts that an object it saw stays: adding bytes that are already stored *claims* the object,
 * a hard link to it in the tmp folder, and flush() renames that link back into place (restoring
 * the object had the collector removed it meanwhile). flush() also sets every object's mtime to
 * now: the collector spares objects younger than its grace period, which covers the moment
 * between a flush and the commit record that names the objects.
 */
export class ObjectStore {
  /** sha256 → its file (written, or a claim's link) in the tmp folder, not renamed into place yet. */
  private readonly pending = new Map<string, string>();
  /** The pending files that are claims' links (claimSync): after their rename, the link may stay. */
  private readonly claimed = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  path(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2));
  }

  /** Where the object's bytes are now: its place, or its temporary file while it waits for a flush. */
  currentPath(sha256: string): string {
    return this.pending.get(sha256) ?? this.path(sha256);
  }

  async add(source: ObjectSource, opts: { batch?: boolean } = {}): Promise<{ sha256: string; size: number }> {
    const batch = opts.batch === true;
    if (typeof source === 'string') {
      const path = source;
      const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
        throw sourceError(path, e);
      });
      if (info.isDirectory()) throw new VigilError(`"${path}" is a folder, not a file`);
      if (!info.isFile()) throw new VigilError(`"${path}" is not a regular file`);
      if (info.size > READ_WHOLE_MAX) return this.addStream(readStream(path), batch);
      source = await readFile(path).catch((e: NodeJS.ErrnoException) => {
        throw sourceError(path, e);
      });
    }
    if (source instanceof Uint8Array) return this.addBytes(source, batch);
    return this.addStream(source, batch);
  }

  /**
   * add() for bytes in a batch, done synchronously: hash, and write the temporary file unless
   * the object is pending or stored (then claimed). For callers on a latency-critical path with
   * small files (a worker storing a datum's outputs), where a thread-pool round trip per syscall
   * costs more than the syscalls themselves. Durable, like any batched object, once a commit has
   * flushed it.
   */
  addBatchSync(bytes: Uint8Array): { sha256: string; size: number } {
    const sha256 = sha256Of(bytes);
    const result = { sha256, size: bytes.byteLength };
    if (this.pending.has(sha256) || this.claimSync(sha256)) return result;
    const tmp = tmpPathFor(sha256, this.tmpDir);
    try {
      writeFileSync(tmp, bytes, { flag: 'wx', mode: 0o444 });
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    this.pending.set(sha256, tmp);
    return result;
  }

  private async addBytes(bytes: Uint8Array, batch: boolean): Promise<{ sha256: string; size: number }> {
    const sha256 = sha256Of(bytes);
    const result = { sha256, size: bytes.byteLength };
    if (await this.has(sha256)) {
      if (!batch) await this.flush([sha256]);
      return result;
    }
    const tmp = tmpPathFor(sha256, this.tmpDir);
    try {
      await writeNewFile(tmp, bytes, { mode: 0o444, sync: !batch });
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    await this.settle(sha256, tmp, batch);
    return result;
  }

  private async addStream(chunks: AsyncIterable<Uint8Array>, batch: boolean): Promise<{ sha256: string; size: number }> {
    const tmp = tmpPathFor('stream', this.tmpDir);
    const hash = createHash('sha256');
    let size = 0;
    const handle = await open(tmp, 'wx', 0o444);
    try {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.byteLength;
        await handle.write(chunk);
      }
      if (!batch) await handle.sync();
    } catch (e) {
      await handle.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await handle.close();
    const sha256 = hash.digest('hex');
    await this.settle(sha256, tmp, batch);
    return { sha256, size };
  }

  /** Makes a written tmp file the object: at once (it is fsynced), or at the next flush in a batch. */
  private async settle(sha256: string, tmp: string, batch: boolean): Promise<void> {
    if (this.pending.has(sha256)) {
      await rm(tmp, { force: true }); // a concurrent add of the same bytes won
      return;
    }
    this.pending.set(sha256, tmp);
    if (!batch) await this.flush([sha256]);
  }

  /**
   * Claims a stored object for this process's next flush: a hard link in the tmp folder, which
   * keeps the bytes whatever the collector does. False when the object is not stored. On a
   * filesystem without hard links the object is only checked.
   */
  private claimSync(sha256: string): boolean {
    const tmp = tmpPathFor(sha256, this.tmpDir);
    try {
      linkSync(this.path(sha256), tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP') return existsSync(this.path(sha256));
      throw e;
    }
    this.pending.set(sha256, tmp);
    this.claimed.add(sha256);
    return true;
  }

  /** Drops pending objects that no commit will name (a refused commit's): their files or claims' links go from the tmp folder. */
  async discard(shas: Iterable<string>): Promise<void> {
    for (const sha of new Set(shas)) {
      const tmp = this.pending.get(sha);
      if (tmp === undefined) continue;
      this.pending.delete(sha);
      this.claimed.delete(sha);
      await rm(tmp, { force: true });
    }
  }

  /** Whether the object is pending here or stored (then claimed: see claimSync). */
  async has(sha256: string): Promise<boolean> {
    if (this.pending.has(sha256)) return true;
    // New bytes, the common case, cost one stat here rather than a failed link in the thread pool.
    if (!existsSync(this.path(sha256))) return false;
    const tmp = tmpPathFor(sha256, this.tmpDir);
    try {
      await link(this.path(sha256), tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP')
        return stat(this.path(sha256)).then(
          () => true,
          () => false,
        );
      throw e;
    }
    if (this.pending.has(sha256)) {
      await rm(tmp, { force: true });
    } else {
      this.pending.set(sha256, tmp);
      this.claimed.add(sha256);
    }
    return true;
  }

  /** The objects of `shas` that are neither stored nor pending here. */
  async missing(shas: Iterable<string>): Promise<string[]> {
    const unique = [...new Set(shas)];
    const present = await mapLimit(unique, 64, (sha) => this.has(sha));
    return unique.filter((_, i) => !present[i]);
  }

  /**
   * What is wrong with the object, re-hashed from its bytes: null when they hash to its name,
   * else its fault (objectFault). Synchronous, for a worker between two datums (job-context.ts takeDatum).
   */
  faultSync(sha256: string): string | null {
    let fd: number;
    try {
      fd = openSync(this.currentPath(sha256), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return objectFault(null);
      throw e;
    }
    const hash = createHash('sha256');
    chunk ??= Buffer.allocUnsafe(CHUNK_BYTES);
    const buf = chunk;
    try {
      for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    return verdict(sha256, hash.digest('hex'));
  }

  /** faultSync without holding the event loop: the reads stream through the thread pool. */
  async fault(sha256: string): Promise<string | null> {
    const hash = createHash('sha256');
    try {
      for await (const part of createReadStream(this.currentPath(sha256), { highWaterMark: CHUNK_BYTES })) hash.update(part as Buffer);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return objectFault(null);
      throw e;
    }
    return verdict(sha256, hash.digest('hex'));
  }

  /**
   * Makes the objects of `shas` visible and durable: flush the pending ones' files, mark them
   * new (mtime: see the class), rename them into place, then fsync every folder holding one.
   * `files`, written (not fsynced) in the tmp folder, go into place in the same passes: a commit
   * record naming the objects costs no barrier of its own. Once this returns, a record naming
   * the objects may be written, or a branch may name the record.
   */
  async flush(shas: Iterable<string>, files: readonly PlacedFile[] = []): Promise<void> {
    const toRename = [...new Set(shas)].filter((sha) => this.pending.has(sha));
    if (toRename.length === 0 && files.length === 0) return;
    await this.syncAll([...toRename.map((sha) => this.pending.get(sha)!), ...files.map((f) => f.tmp)]);
    const now = new Date();
    await mapLimit(toRename, IO_PARALLEL, async (sha) => {
      const tmp = this.pending.get(sha)!;
      try {
        await utimes(tmp, now, now);
        await rename(tmp, this.path(sha));
      } catch (e) {
        // Another flush of this process renamed it first.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync(this.path(sha))) throw e;
      }
      // A claim's link to the very file it replaces stays after the rename (rename does nothing then).
      if (this.claimed.has(sha)) await rm(tmp, { force: true });
    });
    await mapLimit(files, IO_PARALLEL, (f) => rename(f.tmp, f.path));
    await this.syncAll([...new Set([...toRename.map((sha) => dirname(this.path(sha))), ...files.map((f) => dirname(f.path))])]);
    for (const sha of toRename) {
      this.pending.delete(sha);
      this.claimed.delete(sha);
    }
  }

  /** fsyncs files or folders of the store: many with one syncfs, a few each on its own. */
  private async syncAll(paths: string[]): Promise<void> {
    if (paths.length < SYNCFS_MIN || !(await syncFilesystem(this.tmpDir))) await mapLimit(paths, IO_PARALLEL, fsyncPath);
  }
}

/** A file written in the tmp folder that a flush puts at `path` with the objects (a commit record). */
export interface PlacedFile {
  tmp: string;
  path: string;
}

/** null when an object's bytes hash to its name, else its fault. */
function verdict(sha256: string, actual: string): string | null {
  return actual === sha256 ? null : objectFault(actual);
}

async function* readStream(path: string): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  } catch (e) {
    throw sourceError(path, e as NodeJS.ErrnoException);
  }
}

function sourceError(path: string, e: NodeJS.ErrnoException): Error {
  if (e.code === 'ENOENT') return new VigilError(`file "${path}" does not exist`);
  if (e.code === 'EACCES' || e.code === 'EPERM') return new VigilError(`cannot read "${path}": permission denied`);
  if (e.code === 'EISDIR') return new VigilError(`"${path}" is a folder, not a file`);
  return e;
}

/**
 * Tree nodes (mst.ts) kept as objects, written in a batch: whoever names a tree's root in a
 * record flushes its new nodes (Persisted.written) first.
 */
export class ObjectNodes implements NodeStorage {
  constructor(private readonly objects: ObjectStore) {}

  read(hash: string): Uint8Array {
    try {
      return readFileSync(this.objects.currentPath(hash));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreDamageError(`tree node ${hash}`, objectFault(null));
      throw e;
    }
  }

  write(bytes: Uint8Array): string {
    return this.objects.addBatchSync(bytes).sha256;
  }
}
