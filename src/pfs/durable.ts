import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Temporary files are named `.tmp-<name>.<pid>.<random>`: the pid lets a later process tell a
 * leftover of a killed writer (remove it) from the work in progress of a live one (keep it).
 */
const TMP_PREFIX = '.tmp-';
const TMP_PID = /\.(\d+)\.[0-9a-f]{12}$/;

/** A fresh temporary path for `target`, in `tmpDir` (default: beside the target; must be the same filesystem). */
export function tmpPathFor(target: string, tmpDir = dirname(target)): string {
  return join(tmpDir, `${TMP_PREFIX}${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** Whether a process with this id runs on this machine (a zombie counts as running until reaped). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary files in `dir` that processes no longer running left behind; returns how many. */
export async function removeStaleTmpFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  const stale = names.filter((name) => {
    const pid = name.startsWith(TMP_PREFIX) ? TMP_PID.exec(name)?.[1] : undefined;
    return pid !== undefined && !processAlive(Number(pid));
  });
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
  return stale.length;
}

/** fsyncs a file or folder that already exists (another handle's writes included). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `path` (it must not exist) holding `data`; fsyncs it unless `sync` is false. */
export async function writeNewFile(path: string, data: string | Uint8Array, opts: { mode?: number; sync?: boolean } = {}): Promise<void> {
  const handle = await open(path, 'wx', opts.mode ?? 0o666);
  try {
    await handle.writeFile(data);
    if (opts.sync !== false) await handle.sync();
  } finally {
    await handle.close();
  }
}

let syncfsWorks = process.platform === 'linux';

/**
 * Flushes every written file of the filesystem holding `path` to disk with syncfs(2), through
 * coreutils' `sync -f` (Node has no binding): one flush instead of one fsync per file, which is
 * what a batch of thousands of small files needs. Like fsync, syncfs waits for the data and
 * metadata to reach the disk and reports write errors (Linux 5.8+); PostgreSQL offers the same
 * at startup (recovery_init_sync_method=syncfs). Returns false where it is unavailable, and the
 * caller fsyncs file by file.
 */
export async function syncFilesystem(path: string): Promise<boolean> {
  if (!syncfsWorks) return false;
  const ok = await new Promise<boolean>((resolve) => {
    execFile('sync', ['-f', path], (error) => resolve(!error));
  });
  if (!ok) syncfsWorks = false;
  return ok;
}

/**
 * Replaces `path` with `data` so that after a crash at any moment the file holds either its old
 * content or the new one, never a mix: write a temporary file, fsync it, rename it over the
 * target (atomic on POSIX), then fsync the folder so that the rename itself survives a power
 * loss. Creates the parent folders. `tmpDir` (same filesystem) keeps temporary files in one
 * folder that the owner cleans with removeStaleTmpFiles.
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array, opts: { tmpDir?: string } = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = tmpPathFor(path, opts.tmpDir);
  try {
    await writeNewFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncPath(dir);
}

/**
 * Creates `path` holding `data` unless it exists, and says whether this call created it. The data
 * is written beside it, then hard-linked into place: link(2) fails when the name is taken, on
 * local disks and NFS alike, so the file is never seen half-written and the first writer wins.
 * Unless `sync` is false, the data and the folder's new entry are fsynced.
 */
export async function createFileOnce(path: string, data: string | Uint8Array, opts: { sync?: boolean } = {}): Promise<boolean> {
  const tmp = tmpPathFor(path);
  await writeNewFile(tmp, data, opts);
  let created = true;
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    created = false;
  } finally {
    await rm(tmp, { force: true });
  }
  if (opts.sync !== false) await fsyncPath(dirname(path));
  return created;
}
