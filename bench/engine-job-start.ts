/**
 * The engine's job start beside large inputs: a no-op pipeline (glob /*\/*, datum batching) that
 * has processed 10,000 and 100,000 frames gets one more; the whole `vigil run` (listing, hashing,
 * planning, the one datum, the output commit and the datum state) must not grow with the inputs.
 * Peak memory is that of the run and its step processes together. Also makeDatums over 10,000
 * files, the full plan a job falls back to (test/unit/engine-datums.test.ts checks what it makes).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDatums } from '../src/engine/datum/create.js';
import { Store } from '../src/engine/store/store.js';
import { packageRoot } from '../src/pfs/package-root.js';
import { tempDir } from '../test/helpers/cli.js';
import type { Bench, BenchResult } from './bench.js';
import { timedVigil } from './engine-fixture.js';

const SIZES = [10_000, 100_000] as const;
const CAMERAS = 1000;
const MEMORY_TARGET_MB = 1024;
const NOOP_STEP = join(packageRoot(), 'dist', 'bench', 'noop-step.js');

function framePath(i: number): string {
  const camera = i % CAMERAS;
  return `/u${camera % 100}-cam${Math.floor(camera / 100)}/20261126T${String(Math.floor(i / CAMERAS)).padStart(6, '0')}Z.jpg`;
}

/** A store with `n` frames in raw, a no-op pipeline over them, and its first (full) job done. */
async function fixture(root: string, n: number): Promise<number> {
  const store = await Store.open(root);
  await store.createRepo('raw');
  const objects: { sha256: string; size: number }[] = [];
  for (let i = 0; i < 1000; i++) objects.push(await store.addObject(Buffer.from(`frame ${i}\n`), { batch: true }));
  await store.commit('raw', 'master', { put: Array.from({ length: n }, (_, i) => ({ path: framePath(i), ...objects[i % 1000]! })) });
  const spec = join(root, 'noop.json');
  await writeFile(
    spec,
    JSON.stringify({
      pipeline: { name: 'noop' },
      input: { pfs: { repo: 'raw', glob: '/*/*' } },
      transform: { cmd: ['node', NOOP_STEP], datumBatching: true },
    }),
  );
  await timedVigil(['create', 'pipeline', '-f', spec], root);
  const first = await timedVigil(['run'], root);
  if (!new RegExp(`JOB_SUCCESS: ${n} processed`).test(first.stdout)) throw new Error(`unexpected first run:\n${first.stdout}`);
  return first.ms / 1000;
}

/** Resident memory of `pid` and its descendants, from /proc. */
async function treeRss(pid: number): Promise<number> {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    // Fields after the command (which may hold spaces): state, ppid, ... rss is field 24.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(name), Number(fields[1]));
    rss.set(Number(name), Number(fields[21]) * 4096);
  }
  let total = 0;
  for (const [p] of rss) {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parents.get(q)) {
      if (q === pid) {
        total += rss.get(p)!;
        break;
      }
    }
  }
  return total;
}

/** `vigil run` timed, its process tree's peak resident memory sampled every 20 ms. */
async function measuredRun(root: string): Promise<{ ms: number; peakMb: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'run', '--root', root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      peak = Math.max(peak, await treeRss(child.pid!));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = performance.now() - started;
  running = false;
  await sampling;
  if (code !== 0) throw new Error(`vigil run exited ${code}\n${stdout}${stderr}`);
  return { ms, peakMb: peak / 1024 / 1024, stdout };
}

export const bench: Bench = {
  name: 'engine-job-start',
  describe: `vigil run of a no-op pipeline after one new file beside ${SIZES.map((n) => n.toLocaleString('en')).join(' and ')} processed ones`,
  async run(): Promise<BenchResult[]> {
    const work = await tempDir('vigil-bench-start-');
    try {
      const runs: { n: number; firstS: number; ms: number[]; peakMb: number }[] = [];
      for (const n of SIZES) runs.push({ n, firstS: await fixture(join(work, `store-${n}`), n), ms: [], peakMb: 0 });
      // Alternated, best of 2: a shared machine's load moves between runs, not within a pair.
      for (let t = 0; t < 2; t++) {
        for (const r of runs) {
          const root = join(work, `store-${r.n}`);
          const store = await Store.open(root);
          const put = [{ path: `/u1-cam1/20261201T00000${t}Z.jpg`, ...(await store.addObject(Buffer.from(`new frame ${t}\n`))) }];
          await store.commit('raw', 'master', { put });
          const run = await measuredRun(root);
          if (!new RegExp(`JOB_SUCCESS: 1 processed, ${r.n + t} skipped`).test(run.stdout)) {
            throw new Error(`expected 1 processed, ${r.n + t} skipped:\n${run.stdout}`);
          }
          r.ms.push(run.ms);
          r.peakMb = Math.max(r.peakMb, run.peakMb);
        }
      }
      const best = (r: (typeof runs)[number]) => Math.min(...r.ms) / 1000;
      const [small, big] = runs as [(typeof runs)[number], (typeof runs)[number]];

      const files = Array.from({ length: 10_000 }, (_, i) => {
        const path = framePath(i);
        return { path, sha256: createHash('sha256').update(path).digest('hex'), size: 1 };
      }).sort((a, b) => (a.path < b.path ? -1 : 1));
      const started = performance.now();
      const datums = makeDatums({ pfs: { name: 'raw', repo: 'raw', branch: 'master', glob: '/*/*' } }, () => ({ commit: 'c', files }), '');
      const makeMs = performance.now() - started;
      if (datums.length !== 10_000) throw new Error(`makeDatums made ${datums.length} datums`);

      return [
        {
          name: 'engine-job-start',
          value: best(big),
          unit: 's',
          baseline: best(small),
          target: '<=1.5',
          targetOn: 'ratio',
          notes: runs.map(
            (r) =>
              `${r.n.toLocaleString('en')} frames: vigil run after one new frame ${r.ms.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s ` +
              `(best ${best(r).toFixed(2)}), peak memory ${r.peakMb.toFixed(0)} MB (run and step); the first, full job took ${r.firstS.toFixed(1)} s`,
          ),
        },
        {
          name: 'engine-job-start-memory',
          value: big.peakMb,
          unit: 'MB',
          baseline: small.peakMb,
          target: `<${MEMORY_TARGET_MB}`,
          targetOn: 'value',
          notes: [`peak resident memory of vigil run and its step, beside ${big.n.toLocaleString('en')} frames`],
        },
        {
          name: 'engine-make-datums',
          value: makeMs,
          unit: 'ms',
          baseline: 0,
          target: '<2000',
          targetOn: 'value',
          notes: ['makeDatums over 10,000 files (glob /*/*): the full plan a job falls back to'],
        },
      ];
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
