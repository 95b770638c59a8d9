import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { mapLimit } from '../src/engine/store/parallel.js';
import { packageRoot } from '../src/pfs/package-root.js';
import { resolveConfig } from '../steps/validate/config.js';
import { encodeJpeg, readDimensions, standardise } from '../steps/validate/image.js';
import { tempDir, vigilOk } from '../test/helpers/cli.js';
import { jobsOf } from '../test/helpers/validate.js';
import type { Bench, BenchResult } from './bench.js';

const FRAMES = 1000;
const FIXTURES = ['motorcycle_left.png', 'astronaut.png'];
/** The engine runs one worker per core (no parallelismSpec); the bare loop runs as many lanes. */
const LANES = availableParallelism();
/** Each side runs this many times, alternating, and keeps its best: a shared machine's load comes and goes. */
const ROUNDS = 2;

/** 1,000 frames, the 741x500 and 512x512 fixtures in turn, in 10 camera folders: `raw` as a camera fleet fills it. */
async function layFrames(dir: string): Promise<string[]> {
  const fixtures = await Promise.all(FIXTURES.map((f) => readFile(join(packageRoot(), 'test', 'fixtures', f))));
  const start = Date.UTC(2026, 10, 26, 4, 0, 0);
  const paths = Array.from({ length: FRAMES }, (_, i) => {
    const ts = new Date(start + i * 1000).toISOString().replace(/[-:]/g, '').replace('.000Z', 'Z');
    return `/u1-cam${i % 10}/${ts}.png`;
  });
  await mapLimit(paths, 16, async (path, i) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), fixtures[i % fixtures.length]);
  });
  return paths;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** The baseline: the step's sharp work (header, decode and standardise, JPEG encode) on each file, read and written plainly. */
async function bareLoop(frames: string, out: string, paths: string[]): Promise<void> {
  const config = resolveConfig({}, 'defaults');
  await mapLimit(paths, LANES, async (path) => {
    const bytes = await readFile(join(frames, path));
    await readDimensions(bytes);
    const image = await standardise(bytes, config);
    if ('error' in image) throw new Error(`bench validate: ${path}: ${image.error}`);
    await mkdir(dirname(join(out, path)), { recursive: true });
    await writeFile(join(out, path.replace(/\.png$/, '.jpg')), await encodeJpeg(image, config.jpegQuality));
  });
}

/** Seconds of `vigil run validated` over the frames, in a store of its own; checks that it processed every frame. */
async function throughEngine(root: string, frames: string): Promise<number> {
  const opts = { root };
  await vigilOk(['create', 'repo', 'raw'], opts);
  await vigilOk(['put', 'file', '-r', 'raw@master:/', '-f', frames], opts);
  await vigilOk(['create', 'pipeline', '-f', join(packageRoot(), 'pipelines', 'validated.yaml')], opts);
  const seconds = await timed(() => vigilOk(['run', 'validated'], opts));
  const jobs = jobsOf(await vigilOk(['list', 'job', '--raw'], opts), 'validated');
  if (jobs.length !== 1 || jobs[0].processed !== FRAMES) {
    throw new Error(`bench validate: expected one job of ${FRAMES} datums, got ${JSON.stringify(jobs)}`);
  }
  return seconds;
}

export const bench: Bench = {
  name: 'validate',
  describe: `frames/s of the validate step through the engine (vigil run) on ${FRAMES} copies of the 741x500 and 512x512 fixtures; baseline: a bare loop doing the same sharp work on the same files, ${LANES} at a time, no engine; best of ${ROUNDS} alternating runs each`,
  async run(): Promise<BenchResult> {
    const work = await tempDir('vigil-bench-validate-');
    try {
      const frames = join(work, 'frames');
      const paths = await layFrames(frames);
      const bareRuns: number[] = [];
      const engineRuns: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        bareRuns.push(await timed(() => bareLoop(frames, join(work, `bare${round}`), paths)));
        engineRuns.push(await throughEngine(join(work, `store${round}`), frames));
      }
      const show = (runs: number[]) => runs.map((s) => `${s.toFixed(1)} s`).join(', ');
      return {
        name: 'validate',
        value: FRAMES / Math.min(...engineRuns),
        unit: 'frames/s',
        baseline: FRAMES / Math.min(...bareRuns),
        target: '>=0.8',
        targetOn: 'ratio',
        notes: [
          `engine: ${FRAMES} frames in ${show(engineRuns)} (vigil run validated, ${LANES} workers)`,
          `bare loop: ${FRAMES} frames in ${show(bareRuns)} (${LANES} lanes)`,
        ],
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
