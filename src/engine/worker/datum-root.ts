import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Datum } from '../datum/create.js';
import type { Remover } from './remover.js';
import type { FileEntry, Store } from '../store/store.js';

/**
 * Outputs up to this size are stored synchronously, a short hold on the event loop; larger ones
 * are streamed, so that other workers' NextDatum calls are not held up.
 */
const SYNC_STORE_MAX = 1024 * 1024;

/**
 * One worker's stand-in for `/pfs` (its PFS_ROOT): the current datum's files under
 * `<dir>/<input name>/<repo path>`, hard links to the store's immutable objects (a copy where
 * links fail), `out/` for what the step writes, `.env` for the datum's variables. Moving to the
 * next datum changes only what differs, so consecutive datums in one folder cost one unlink and
 * one link, not a tree rebuild.
 *
 * These per-datum calls are synchronous on purpose: each is one small metadata syscall, and they
 * sit on the critical path between two NextDatum calls, where a round trip through libuv's
 * thread pool costs more than the syscall itself.
 */
export class DatumRoot {
  /** Linked file → the object it shows (sha256, or '' for an emptyFiles placeholder). */
  private shown = new Map<string, string>();
  /** Folders it created below `dir`, besides out/. */
  private dirs = new Set<string>();
  /** How many out/ folders takeOut has handed over: names the next one. */
  private taken = 0;
  /** The current datum's emptyFiles placeholders → the file each stands for. */
  private placeholders = new Map<string, { sha256: string; size: number }>();
  /** A handed-over out/ folder → the placeholders of its datum (see collect). */
  private takenPlaceholders = new Map<string, Map<string, { sha256: string; size: number }>>();

  private constructor(
    /** The folder (the step's PFS_ROOT). */
    readonly dir: string,
    private readonly store: Store,
    private readonly remover: Remover,
  ) {}

  /** A datum root at `dir`, emptied first; collected outputs are removed by `remover`, off the event loop. */
  static async create(dir: string, store: Store, remover: Remover): Promise<DatumRoot> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'out'), { recursive: true });
    return new DatumRoot(dir, store, remover);
  }

  get outDir(): string {
    return join(this.dir, 'out');
  }

  /** The path `<name>` points at for this input: `$PFS_ROOT/<name><path>` (`$PFS_ROOT/<name>` for `/`). */
  inputPath(name: string, repoPath: string): string {
    return repoPath === '/' ? join(this.dir, name) : join(this.dir, name, repoPath);
  }

  /**
   * Shows `datum`'s files (and nothing else) in the folder, and writes `.env`. Returns null, or
   * why a file or folder of an input could not be made (a name too long for the filesystem, say),
   * naming it as `<input>:<repo path>`: that datum fails, never the job.
   */
  show(datum: Datum, envLines: string[]): string | null {
    const next = new Map<string, string>();
    const neededDirs = new Set<string>();
    this.placeholders = new Map();
    for (const input of datum.inputs) {
      const base = join(this.dir, input.name);
      neededDirs.add(base);
      for (const file of input.files) {
        const target = join(base, file.path);
        next.set(target, input.emptyFiles ? '' : file.sha256);
        if (input.emptyFiles) this.placeholders.set(target, { sha256: file.sha256, size: file.size });
        for (let dir = dirname(target); dir !== base && !neededDirs.has(dir); dir = dirname(dir)) neededDirs.add(dir);
      }
    }
    for (const [path, object] of this.shown) {
      if (next.get(path) !== object) {
        unlinkIfPresent(path);
        this.shown.delete(path);
      }
    }
    // Deepest first, so that a parent is empty when its turn comes.
    const stale = [...this.dirs].filter((d) => !neededDirs.has(d));
    for (const dir of stale.sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(dir);
      } catch {
        rmSync(dir, { recursive: true, force: true }); // the step left something in an input folder
      }
      this.dirs.delete(dir);
    }
    let making = '';
    try {
      for (const dir of neededDirs) {
        if (!this.dirs.has(dir)) {
          making = dir;
          mkdirSync(dir, { recursive: true });
          this.dirs.add(dir);
        }
      }
      for (const [path, object] of next) {
        if (this.shown.has(path)) continue;
        making = path;
        this.place(path, object);
        this.shown.set(path, object);
      }
    } catch (e) {
      const [input, ...repoPath] = relative(this.dir, making).split(sep);
      return `cannot lay out ${input}:/${repoPath.join('/')} for the step: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    // Unlink, then create: rewriting a file in place makes ext4 (auto_da_alloc) flush it to disk on close.
    const envFile = join(this.dir, '.env');
    unlinkIfPresent(envFile);
    writeFileSync(envFile, `${envLines.join('\n')}\n`, { flag: 'wx' });
    return null;
  }

  /** A read-only view of one object: a hard link (the store's objects are read-only), else a read-only copy. */
  private place(path: string, sha256: string): void {
    if (sha256 === '') {
      writeFileSync(path, '', { mode: 0o444 });
      return;
    }
    const object = this.store.objectPath(sha256);
    try {
      linkSync(object, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw e;
      copyFileSync(object, path);
      chmodSync(path, 0o444);
    }
  }

  /**
   * Moves every file the step wrote under out/ into the store and empties out/; returns them as
   * repo files (see takeOut and collect).
   */
  async collectOutputs(): Promise<FileEntry[]> {
    const taken = this.takeOut();
    return taken ? this.collect(taken) : [];
  }

  /**
   * Hands the finished datum's out/ over for collecting and gives the step an empty one: one
   * rename and one mkdir, so that the step may go on with the next datum while `collect` stores
   * this one's files. Returns the folder to collect, or null when the datum wrote nothing (most
   * datums of a no-op or skipping step: one readdir is then the whole cost). The folder lies
   * beside `dir`, never under it, where the step cannot see or touch it.
   */
  takeOut(): string | null {
    if (readdirSync(this.outDir).length === 0) return null;
    const taken = `${this.dir}.out-${++this.taken}`;
    renameSync(this.outDir, taken);
    if (this.placeholders.size > 0) this.takenPlaceholders.set(taken, this.placeholders);
    mkdirSync(this.outDir);
    return taken;
  }

  /**
   * Stores every file under `taken` (a folder from takeOut) as a repo file, then has the folder
   * removed in the background (see Remover). Objects are batched: the job's output commit makes
   * them durable all at once, before its record names them. Small files are stored
   * synchronously, like `show`: a few cheap syscalls each, where thread-pool round trips would
   * cost more CPU than the work itself.
   */
  async collect(taken: string): Promise<FileEntry[]> {
    const files: FileEntry[] = [];
    const placeholders = this.takenPlaceholders.get(taken);
    this.takenPlaceholders.delete(taken);
    const walk = async (dir: string, repoDir: string): Promise<void> => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const repoPath = `${repoDir}/${entry.name}`;
        if (entry.isDirectory()) await walk(path, repoPath);
        // A link to an emptyFiles placeholder stores the file it stands for, as Pachyderm copies
        // the input file (worker/datum/datum.go, handleSymlinks).
        else if (entry.isSymbolicLink() && placeholders?.has(resolve(dir, readlinkSync(path))))
          files.push({ path: repoPath, ...placeholders.get(resolve(dir, readlinkSync(path)))! });
        // Files and symlinks (a step may link an input into out/, as on Pachyderm); the object is what they point at.
        else if (entry.isFile() || entry.isSymbolicLink()) files.push({ path: repoPath, ...(await this.storeFile(path)) });
      }
    };
    try {
      await walk(taken, '');
    } finally {
      this.remover.remove(taken);
    }
    return files;
  }

  private async storeFile(path: string): Promise<{ sha256: string; size: number }> {
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isFile() && info.size <= SYNC_STORE_MAX) return this.store.addObjectBatchSync(readFileSync(path));
    // Large, or not a regular file (a link to nothing or to a folder): addObject streams the one
    // and names the trouble with the other.
    return this.store.addObject(path, { batch: true });
  }

  /** Empties out/ (after a failed try, whose output is dropped). */
  async clearOut(): Promise<void> {
    const names = await readdir(this.outDir);
    await Promise.all(names.map((n) => rm(join(this.outDir, n), { recursive: true, force: true })));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
