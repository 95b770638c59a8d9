/**
 * A commit's cost beside a large repo: `vigil put file` (the real CLI, a fresh process) of one
 * new frame into a repo of 10,000 and of 1,000,000 files laid out as a camera repo
 * (/<user>-<device>/<ts>.jpg over 1,000 cameras), and the bytes that commit adds to the store
 * besides the frame itself. Also the whole-tree read (listFiles of 10,000 files in a fresh
 * process) that test/e2e/store.test.ts checks for correctness.
 */
import { lstat, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Store } from '../src/engine/store/store.js';
import { tempDir } from '../test/helpers/cli.js';
import type { Bench, BenchResult } from './bench.js';
import { timedVigil } from './engine-fixture.js';

const SIZES = [10_000, 1_000_000] as const;
const CAMERAS = 1000;
/** Distinct frame contents: a big repo's files share objects, so that the fixture is quick to make. */
const CONTENTS = 1000;
const TRIES = 5;
const BYTES_TARGET = 64 * 1024;

function framePath(i: number): string {
  const camera = i % CAMERAS;
  const t = Math.floor(i / CAMERAS);
  const day = String(1 + (Math.floor(t / 1440) % 28)).padStart(2, '0');
  const minute = t % 1440;
  return `/u${camera % 100}-cam${Math.floor(camera / 100)}/202611${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}${String(minute % 60).padStart(2, '0')}00Z.jpg`;
}

/** A store whose repo `frames` holds `n` files, made in one commit through the Store API. */
async function fixture(root: string, n: number): Promise<number> {
  const started = performance.now();
  const store = await Store.open(root);
  await store.createRepo('frames');
  const objects: { sha256: string; size: number }[] = [];
  for (let i = 0; i < CONTENTS; i++) objects.push(await store.addObject(Buffer.from(`frame bytes ${i}\n`.repeat(40)), { batch: true }));
  const put = Array.from({ length: n }, (_, i) => ({ path: framePath(i), ...objects[i % CONTENTS]! }));
  await store.commit('frames', 'master', { put });
  return (performance.now() - started) / 1000;
}

/** Every file under `dir` with its size. */
async function sizes(dir: string, into = new Map<string, number>()): Promise<Map<string, number>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await sizes(path, into);
    else into.set(path, (await lstat(path)).size);
  }
  return into;
}

/** The bytes a change added to objects/ and repos/: new files, and files that grew. */
function added(before: Map<string, number>, after: Map<string, number>, except: string): number {
  let bytes = 0;
  for (const [path, size] of after) if (path !== except) bytes += Math.max(0, size - (before.get(path) ?? 0));
  return bytes;
}

async function storeSizes(root: string): Promise<Map<string, number>> {
  const all = await sizes(join(root, 'objects'));
  return sizes(join(root, 'repos'), all);
}

interface Measured {
  n: number;
  buildS: number;
  /** Seconds of each `vigil put file`. */
  putS: number[];
  bytes: number;
  files: number;
}

export const bench: Bench = {
  name: 'store-commit',
  describe: `vigil put file of one frame into a repo of ${SIZES.map((n) => n.toLocaleString('en')).join(' and of ')} files; bytes the commit adds`,
  async run(): Promise<BenchResult[]> {
    const work = await tempDir('vigil-bench-commit-');
    try {
      const measured: Measured[] = [];
      for (const n of SIZES) {
        const root = join(work, `store-${n}`);
        const buildS = await fixture(root, n);
        measured.push({ n, buildS, putS: [], bytes: 0, files: n });
      }
      // Alternated, best of TRIES: a shared machine's load moves between runs, not within a pair.
      for (let t = 0; t < TRIES; t++) {
        for (const m of measured) {
          const root = join(work, `store-${m.n}`);
          const frame = join(work, `frame-${m.n}-${t}.jpg`);
          await writeFile(frame, `a new frame ${m.n} ${t}\n`.repeat(100));
          const before = t === 0 ? await storeSizes(root) : undefined;
          const { ms } = await timedVigil(
            ['put', 'file', `frames@master:/u5-cam5/20261201T0000${String(t).padStart(2, '0')}Z.jpg`, '-f', frame],
            root,
          );
          m.putS.push(ms / 1000);
          m.files++;
          if (before) {
            const store = await Store.open(root);
            const head = (await store.headCommit('frames'))!;
            const file = (await store.fileAt('frames', head.id, '/u5-cam5/20261201T000000Z.jpg'))!;
            m.bytes = added(before, await storeSizes(root), store.objectPath(file.sha256));
            if (head.fileCount !== m.files) throw new Error(`store-commit: the repo holds ${head.fileCount} files, not ${m.files}`);
          }
        }
      }
      const best = (m: Measured) => Math.min(...m.putS);
      const [small, big] = measured as [Measured, Measured];

      const listRoot = join(work, `store-${small.n}`);
      const listed = await timedVigil(['list', 'file', 'frames@master:/u5-cam5'], listRoot);
      const reader = await Store.open(listRoot);
      const started = performance.now();
      const files = await reader.listFiles('frames', (await reader.headCommit('frames'))!.id);
      const listMs = performance.now() - started;

      return [
        {
          name: 'store-commit',
          value: best(big),
          unit: 's',
          baseline: best(small),
          target: '<=1.5',
          targetOn: 'ratio',
          notes: measured.map(
            (m) =>
              `${m.n.toLocaleString('en')} files: vigil put file ${m.putS.map((s) => s.toFixed(3)).join(', ')} s (best ${best(m).toFixed(3)}); ` +
              `${m.bytes.toLocaleString('en')} bytes added besides the frame; fixture made in ${m.buildS.toFixed(1)} s`,
          ),
        },
        {
          name: 'store-commit-bytes',
          value: big.bytes,
          unit: 'bytes',
          baseline: small.bytes,
          target: `<${BYTES_TARGET}`,
          targetOn: 'value',
          notes: [`bytes added to objects/ and repos/ by one commit beside ${big.n.toLocaleString('en')} files, besides the frame`],
        },
        {
          name: 'store-list',
          value: listMs,
          unit: 'ms',
          baseline: listed.ms,
          target: '<100',
          targetOn: 'value',
          notes: [
            `listFiles of ${files.length.toLocaleString('en')} files in a freshly opened store: ${listMs.toFixed(1)} ms`,
            `baseline: a whole \`vigil list file\` of one camera's folder, ${listed.ms.toFixed(0)} ms`,
          ],
        },
      ];
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
