/**
 * Garbage collection of the store's objects: a mark and sweep that runs beside writers.
 *
 * Mark: every commit record of every repo (reachable from a branch or not: a commit in flight
 * writes its record before it moves its head), every tree node below them, and what the callers
 * add (a pipeline's datum state: pps/gc-roots.ts). Sweep: an object neither marked nor younger
 * than the grace period is deleted.
 *
 * Why it is safe while `vigil run`, the collector or a commit writes:
 * - A writer's new objects wait in tmp/ (never swept) until its commit flushes them, which also
 *   sets their mtime to now; the commit record follows within the store lock's wait, far inside
 *   the grace period (objects.ts).
 * - A writer that reuses stored bytes claims them first (a hard link in tmp/), and its flush
 *   renames the link back into place: the bytes survive a sweep that came between.
 * - Under the store lock, once, the collector marks the records written since it started (the
 *   sweep's final check); then it deletes without the lock, each object by renaming it away,
 *   reading its mtime again and deleting it only if no flush touched it meanwhile (else it is
 *   put back).
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { tmpPathFor } from '../../pfs/durable.js';
import { mapLimit } from './parallel.js';
import { fileTrees } from './tree.js';
import type { Store } from './store.js';

export interface GcOptions {
  /** Objects modified less than this long before the collection started are kept (ms). */
  graceMs: number;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
  /** What else names objects: each adds to `live` what records modified at or after `sinceMs` (0: all) reach. */
  marks?: Mark[];
}

/** Adds the objects (and tree nodes) a kind of record reaches to `live`; only records modified at or after `sinceMs`. */
export type Mark = (store: Store, live: Set<string>, sinceMs: number) => Promise<void>;

export interface GcReport {
  /** Objects on disk when the sweep listed them. */
  objects: number;
  /** Marked: named by a commit, a tree or another record. */
  live: number;
  /** Unmarked but younger than the grace period. */
  young: number;
  /** Deleted (or, in a dry run, that would be). */
  deleted: number;
  bytesFreed: number;
  /** Unmarked objects a writer touched during the sweep: put back. */
  revived: number;
  seconds: number;
}

/** The smallest grace period: more than the store lock's wait between a commit's flush and its record. */
export const MIN_GRACE_MS = 60_000;

export async function collectGarbage(store: Store, opts: GcOptions): Promise<GcReport> {
  const started = Date.now();
  const cutoff = started - opts.graceMs;
  const marks = [markCommits, ...(opts.marks ?? [])];
  const live = new Set<string>();
  for (const mark of marks) await mark(store, live, 0);

  const objectsDir = join(store.root, 'objects');
  const candidates: string[] = [];
  let objects = 0;
  let young = 0;
  let liveOnDisk = 0;
  for (const fan of fanoutDirs(objectsDir)) {
    for (const name of readdirSync(join(objectsDir, fan))) {
      objects++;
      const sha = fan + name;
      if (live.has(sha)) {
        liveOnDisk++;
        continue;
      }
      const info = lstatSync(join(objectsDir, fan, name), { throwIfNoEntry: false });
      if (!info) continue;
      if (info.mtimeMs >= cutoff) young++;
      else candidates.push(sha);
    }
    await yieldToEventLoop(); // inside `vigil serve`, the collector's requests go on between folders
  }

  // The final check: what was committed while we listed.
  await store.withStoreLock(async () => {
    for (const mark of marks) await mark(store, live, started);
  });

  const report: GcReport = { objects, live: liveOnDisk, young, deleted: 0, bytesFreed: 0, revived: 0, seconds: 0 };
  const tmpDir = join(store.root, 'tmp');
  const doomed = candidates.filter((sha) => !live.has(sha));
  report.live += candidates.length - doomed.length;
  // Many at once: a deletion mostly waits on the filesystem's journal, and waits overlap.
  await mapLimit(doomed, SWEEP_PARALLEL, async (sha) => {
    const path = store.objectPath(sha);
    if (!opts.dryRun) return sweepOne(path, tmpDir, cutoff, report);
    const info = await lstat(path).catch(() => null);
    if (info) {
      report.deleted++;
      report.bytesFreed += info.size;
    }
  });
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

const SWEEP_PARALLEL = 32;

/** Deletes one object unless a writer touched it since it was listed (then it goes back). */
async function sweepOne(path: string, tmpDir: string, cutoff: number, report: GcReport): Promise<void> {
  const doomed = tmpPathFor('gc', tmpDir);
  try {
    await rename(path, doomed);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const info = await stat(doomed);
  if (info.mtimeMs >= cutoff) {
    await rename(doomed, path); // the same bytes, had a writer stored them again meanwhile
    report.revived++;
    return;
  }
  await unlink(doomed);
  report.deleted++;
  report.bytesFreed += info.size;
}

function fanoutDirs(objectsDir: string): string[] {
  return readdirSync(objectsDir)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .sort();
}

/** Every commit record of every repo: its tree's nodes and files. */
const markCommits: Mark = async (store, live, sinceMs) => {
  const trees = fileTrees(store.nodeStorage());
  const reposDir = join(store.root, 'repos');
  for (const repo of readdirSync(reposDir)) {
    if (repo.startsWith('.')) continue; // a repo being deleted
    const commitsDir = join(reposDir, repo, 'commits');
    const files = jsonFiles(commitsDir);
    for (const name of files) {
      const path = join(commitsDir, name);
      if (!modifiedSince(path, sinceMs)) continue;
      const record = readJson<{ root?: string | null }>(path);
      if (record?.root) trees.walkNodes(record.root, live, (v) => live.add(v.sha256));
    }
    await yieldToEventLoop();
  }
};

/** A JSON file, or null when it is gone (deleted meanwhile) or half-written by a killed process. */
export function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The .json files of a folder (none when it is gone: a repo deleted meanwhile). */
export function jsonFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Whether a record's file was modified at or after `sinceMs` (every record when 0). */
export function modifiedSince(path: string, sinceMs: number): boolean {
  return sinceMs === 0 || (lstatSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= sinceMs;
}
