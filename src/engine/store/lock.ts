import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { VigilError } from '../../pfs/errors.js';
import { createFileOnce, processAlive } from '../../pfs/durable.js';

/** What a lock file holds: who took it, so that others can say who is busy and spot a dead holder. */
interface LockOwner {
  pid: number;
  host: string;
  since: string;
  token: string;
}

export interface LockOptions {
  /** How long to wait for a live holder before failing (ms). */
  waitMs?: number;
  /** What the lock guards, for the error message, e.g. `the store /x`. */
  what?: string;
}

/** A lock file still empty, or a breaker still there, after this long was left by a process that died. */
const STALE_MS = 10_000;

/**
 * Takes the exclusive lock `path` (a file created with O_EXCL) and returns its release. A lock
 * whose holder died on this machine is taken over; a live holder is waited for up to `waitMs`,
 * then a VigilError names it. Locks are not re-entrant: holders keep them for short critical
 * sections.
 */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + (opts.waitMs ?? 5000);
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (await tryCreate(path, me)) return () => release(path, me.token);
    const owner = await readOwner(path);
    if (owner && isDead(owner)) {
      await breakStaleLock(path, owner.token);
      continue;
    }
    if (!owner && (await ageMs(path)) > STALE_MS) {
      // Unreadable for that long: its creator died between creating and writing it.
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner ? `vigil process ${owner.pid} on ${owner.host} (since ${owner.since})` : 'another vigil process';
      throw new VigilError(
        `${opts.what ?? path} is busy: ${who} holds the lock ${path}; try again when it finishes` +
          (owner && owner.host !== me.host ? `, or delete ${path} if that process is gone` : ''),
      );
    }
    await sleep(delay);
  }
}

/**
 * Creates the lock file with its owner already in it (see createFileOnce), so that a lock file is
 * never seen empty, even when its creator is killed half-way: an empty one could not be told from
 * one being written.
 */
function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  return createFileOnce(path, JSON.stringify(owner), { sync: false });
}

/** The lock's owner; null while it is being created or just went away (the caller retries). */
async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

function isDead(owner: LockOwner): boolean {
  return owner.host === hostname() && !processAlive(owner.pid);
}

/**
 * Removes a stale lock without racing another process that does the same: only the holder of
 * `<path>.break` may remove it, and only if it still holds the stale owner's token (otherwise a
 * live process may have taken the lock in between).
 */
async function breakStaleLock(path: string, staleToken: string): Promise<void> {
  const breaker = `${path}.break`;
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: staleToken };
  if (!(await tryCreate(breaker, me))) {
    if ((await ageMs(breaker)) > STALE_MS) await rm(breaker, { force: true });
    return;
  }
  try {
    if ((await readOwner(path))?.token === staleToken) await rm(path, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

/** How long ago the file was last written; 0 when it is gone. */
function ageMs(path: string): Promise<number> {
  return stat(path).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
}

async function release(path: string, token: string): Promise<void> {
  if ((await readOwner(path))?.token === token) await rm(path, { force: true });
}
