/**
 * Garbage collection of a big store: 1,000,000 objects (`--objects N` for a smaller run), half of
 * them named by a commit's tree, half by nothing, all written before the collection starts (its
 * grace period 0: `vigil gc` keeps at least a minute, which the bench would have to wait out). The figure is
 * the seconds `vigil gc`'s collection takes in a fresh process (gc-collect.ts), the baseline the
 * seconds that process takes only to list every object with its mtime (readdir and lstat, what
 * any sweep must do); and the process's peak memory, which must stay under 1 GB.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectNodes, ObjectStore } from '../src/engine/store/objects.js';
import { Store } from '../src/engine/store/store.js';
import { fileTrees } from '../src/engine/store/tree.js';
import { sha256 } from '../src/pfs/files.js';
import { tempDir } from '../test/helpers/cli.js';
import type { Bench, BenchResult } from './bench.js';

const DEFAULT_OBJECTS = 1_000_000;
const MEMORY_LIMIT_MB = 1024;

function objectCount(): number {
  const i = process.argv.indexOf('--objects');
  if (i < 0) return DEFAULT_OBJECTS;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 2) throw new Error(`--objects ${process.argv[i + 1]}: give a whole number of objects, 2 or more`);
  return n;
}

/** The store: `n` objects written straight into objects/, the even ones named by one commit of repo `frames`. */
export async function fixture(root: string, n: number): Promise<void> {
  const store = await Store.open(root);
  await store.createRepo('frames');
  const objectsDir = join(root, 'objects');
  const named: { key: string; value: { sha256: string; size: number } }[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = Buffer.from(`object ${i}\n`);
    const sha = sha256(bytes);
    writeFileSync(join(objectsDir, sha.slice(0, 2), sha.slice(2)), bytes, { mode: 0o444 });
    if (i % 2 === 0)
      named.push({ key: `/u${i % 100}-cam1/${String(i).padStart(9, '0')}.jpg`, value: { sha256: sha, size: bytes.byteLength } });
  }
  named.sort((a, b) => (a.key < b.key ? -1 : 1));
  const objects = new ObjectStore(objectsDir, join(root, 'tmp'));
  const tree = fileTrees(new ObjectNodes(objects)).buildSync(named);
  await objects.flush(tree.written);
  const id = 'b'.repeat(32);
  const now = new Date().toISOString();
  mkdirSync(join(root, 'repos', 'frames', 'commits'), { recursive: true });
  const record = {
    repo: 'frames',
    id,
    branch: 'master',
    parent: null,
    started: now,
    finished: now,
    sizeBytes: tree.weight,
    fileCount: tree.count,
    provenance: [],
    root: tree.hash,
  };
  await writeFile(join(root, 'repos', 'frames', 'commits', `${id}.json`), JSON.stringify(record));
  await writeFile(join(root, 'repos', 'frames', 'branches', 'master'), `${id}\n`);
}

interface Measured {
  seconds: number;
  maxRssBytes: number;
  report?: { objects: number; deleted: number; live: number; bytesFreed: number };
  listed?: number;
}

function measure(root: string, mode: 'list' | 'collect'): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'gc-collect.js'), root, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Measured) : reject(new Error(`gc-collect ${mode} exited ${code}`)),
    );
  });
}

export const bench: Bench = {
  name: 'gc',
  describe: 'vigil gc over 1,000,000 objects, half unreferenced: seconds against listing them, and peak memory',
  async run(): Promise<BenchResult[]> {
    const n = objectCount();
    const root = await tempDir('vigil-bench-gc-');
    try {
      const built = performance.now();
      await fixture(root, n);
      const buildSeconds = (performance.now() - built) / 1000;
      const listing = await measure(root, 'list');
      const collected = await measure(root, 'collect');
      const r = collected.report!;
      const notes = [
        `store of ${n} objects (${n - Math.ceil(n / 2)} unreferenced) built in ${buildSeconds.toFixed(1)} s`,
        `listing every object with its mtime: ${listing.seconds.toFixed(2)} s (${listing.listed} objects)`,
        `gc: ${collected.seconds.toFixed(2)} s, deleted ${r.deleted} of ${r.objects} objects (${r.bytesFreed} bytes), ${r.live} in use`,
        `peak memory: gc ${(collected.maxRssBytes / 2 ** 20).toFixed(0)} MB, listing ${(listing.maxRssBytes / 2 ** 20).toFixed(0)} MB`,
      ];
      if (r.deleted !== n - Math.ceil(n / 2))
        throw new Error(`gc deleted ${r.deleted} objects, not the ${n - Math.ceil(n / 2)} unreferenced`);
      return [
        // Deleting is a journaled metadata write (three per object: rename away, stat, unlink), many times a lstat.
        { name: 'gc', value: collected.seconds, unit: 's', baseline: listing.seconds, target: '<=20', targetOn: 'ratio', notes },
        {
          name: 'gc-memory',
          value: collected.maxRssBytes / 2 ** 20,
          unit: 'MB',
          baseline: listing.maxRssBytes / 2 ** 20,
          target: `<${MEMORY_LIMIT_MB}`,
          targetOn: 'value',
        },
      ];
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};
