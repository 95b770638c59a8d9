/**
 * `history-flat`: what one new frame costs on a camera with a long history. For a camera with
 * 1,000 and with 50,000 earlier frames (one a minute, ending at the same time of day, so the new
 * frame's own day holds as many frames in both), the whole `vigil run` after one new frame,
 * every real pipeline from validation and detection to the warehouse and the daily report, and
 * each stage's seconds (its job, planning and commit included). Value: the worst stage's ratio,
 * 50,000 over 1,000; a flat cost is 1. Both fixtures are built first, then new frames (a minute
 * apart) go to each store in turn, ROUNDS times, and each stage's median is compared: on a
 * shared machine, two runs far apart in time would compare loads, not histories.
 *
 * The earlier records are a fixture built through the engine, so that every pipeline has the
 * job history a long-running store has: stand-ins for the validate and detect steps
 * (bench/history-standin.ts) write the earlier frames' records, the real match, alert,
 * warehouse and report steps process them, and then the real specs are put back (the same
 * datums, the same salt) before the measured run.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parse } from 'yaml';
import { formatTimestamp } from '../src/contract/frame-path.js';
import { Store } from '../src/engine/store/store.js';
import { parseJsonStream } from '../src/pfs/json-stream.js';
import { packageRoot } from '../src/pfs/package-root.js';
import type { Bench } from './bench.js';
import { timedVigil } from './engine-fixture.js';

const SIZES = [1_000, 50_000] as const;
/** New frames measured on each store, alternately. */
const ROUNDS = 3;
const CAMERA = 'u1-cam1';
/** The new frame: 23:10 on a Wednesday in New York, when rule 200 (a person after hours) applies. */
const NEW_FRAME_AT = Date.UTC(2026, 10, 26, 4, 10);
const STAGES = ['validated', 'detections', 'matches', 'alerts', 'deliveries', 'warehouse', 'reports'] as const;
const STANDINS = { validated: 'validate', detections: 'detect' } as const;

/** JobInfo as `vigil list job --raw` prints it (pachctl's protojson: 64-bit counts as strings, 0 left out). */
interface JobInfo {
  job: { pipeline: { name: string } };
  state: string;
  created: string;
  finished?: string;
  data_processed?: string;
  data_skipped?: string;
}

/** Each stage's latest job. */
async function latestJobs(root: string): Promise<Map<string, JobInfo>> {
  const { stdout } = await timedVigil(['list', 'job', '--raw'], root);
  const jobs = new Map<string, JobInfo>();
  const stream = parseJsonStream(stdout, (message) => {
    throw new Error(`bench history: vigil list job --raw: ${message}`);
  }) as JobInfo[];
  for (const job of stream) {
    if (!jobs.has(job.job.pipeline.name)) jobs.set(job.job.pipeline.name, job);
  }
  return jobs;
}

/** The spec of pipelines/<name>.yaml with a stand-in step in place of the real one, as a file to `vigil update pipeline -f`. */
async function standinSpec(root: string, name: keyof typeof STANDINS): Promise<string> {
  const spec = parse(await readFile(join(packageRoot(), 'pipelines', `${name}.yaml`), 'utf8'));
  spec.transform.cmd = [process.execPath, join(packageRoot(), 'dist', 'bench', 'history-standin.js'), STANDINS[name]];
  const file = join(root, `${name}.standin.json`);
  await writeFile(file, JSON.stringify(spec));
  return file;
}

/** A store whose camera has `earlier` frames, one a minute up to a minute before the new frame, through every pipeline. */
async function fixture(earlier: number): Promise<{ root: string; seconds: number }> {
  const started = performance.now();
  const root = await mkdtemp(join(tmpdir(), `vigil-bench-history-${earlier}-`));
  await timedVigil(['init'], root);
  await timedVigil(['put', 'file', '-r', 'rules@master:/', '-f', join(packageRoot(), 'demo', 'rules')], root);
  const store = await Store.open(root);
  // Every earlier frame is the same tiny JPEG: the stand-ins never decode it, and its bytes are stored once.
  const tiny = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
    .jpeg()
    .toBuffer();
  const frame = await store.addObject(tiny);
  const put = Array.from({ length: earlier }, (_, i) => ({
    path: `/${CAMERA}/${formatTimestamp(new Date(NEW_FRAME_AT - (earlier - i) * 60_000))}.jpg`,
    ...frame,
  }));
  await store.commit('raw', 'master', { put });
  for (const name of Object.keys(STANDINS) as Array<keyof typeof STANDINS>) {
    await timedVigil(['update', 'pipeline', '-f', await standinSpec(root, name)], root);
  }
  await timedVigil(['run'], root);
  for (const name of Object.keys(STANDINS)) {
    await timedVigil(['update', 'pipeline', '-f', join(packageRoot(), 'pipelines', `${name}.yaml`)], root);
  }
  // The real specs' first jobs skip every datum; run them now, so that the measured run has only the new frame.
  await timedVigil(['run'], root);
  return { root, seconds: (performance.now() - started) / 1000 };
}

type Measured = { wall: number; stages: Map<string, { seconds: number; processed: number; skipped: number }> };

/** Puts a new frame, `round` minutes after the first, and times the whole `vigil run`, and each stage's job. */
async function newFrame(root: string, round: number): Promise<Measured> {
  const photo = join(root, 'new-frame.png');
  await copyFile(join(packageRoot(), 'test', 'fixtures', 'astronaut.png'), photo);
  const at = new Date(NEW_FRAME_AT + round * 60_000);
  await timedVigil(['put', 'file', `raw@master:/${CAMERA}/${formatTimestamp(at)}.png`, '-f', photo], root);
  const before = await latestJobs(root);
  const run = await timedVigil(['run'], root);
  const after = await latestJobs(root);
  const stages = new Map<string, { seconds: number; processed: number; skipped: number }>();
  for (const stage of STAGES) {
    const job = after.get(stage);
    if (!job || job === before.get(stage) || job.created === before.get(stage)?.created || job.state !== 'JOB_SUCCESS' || !job.finished) {
      throw new Error(`bench history: no new successful ${stage} job after the new frame:\n${run.stdout}`);
    }
    stages.set(stage, {
      seconds: (Date.parse(job.finished) - Date.parse(job.created)) / 1000,
      processed: Number(job.data_processed ?? 0),
      skipped: Number(job.data_skipped ?? 0),
    });
  }
  return { wall: run.ms / 1000, stages };
}

export const bench: Bench = {
  name: 'history-flat',
  describe: `the whole vigil run after one new frame on a camera with ${SIZES.join(' and ')} earlier frames, each stage's seconds`,
  async run() {
    const fixtures: Array<{ earlier: number; root: string; seconds: number; runs: Measured[] }> = [];
    try {
      for (const earlier of SIZES) fixtures.push({ earlier, ...(await fixture(earlier)), runs: [] });
      for (let round = 0; round < ROUNDS; round++) {
        for (const f of fixtures) {
          f.runs.push(await newFrame(f.root, round));
          const stages = [...f.runs.at(-1)!.stages].map(([stage, s]) => `${stage} ${s.seconds.toFixed(2)} s`).join(', ');
          process.stderr.write(`history-flat: ${f.earlier} earlier frames, new frame ${round + 1}: ${stages}\n`);
        }
      }
    } finally {
      for (const f of fixtures) await rm(f.root, { recursive: true, force: true });
    }
    const results = fixtures.map((f) => ({ earlier: f.earlier, fixtureSeconds: f.seconds, ...medianRun(f.runs) }));
    const [small, large] = results;
    const ratios = STAGES.map((stage) => ({ stage, ratio: large.stages.get(stage)!.seconds / small.stages.get(stage)!.seconds }));
    const worst = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    const cell = (r: (typeof results)[number], stage: string) => {
      const s = r.stages.get(stage)!;
      return `${s.seconds.toFixed(2)} s (${s.processed} processed, ${s.skipped} skipped)`;
    };
    return {
      name: 'history-flat',
      value: worst.ratio,
      unit: 'ratio',
      baseline: 1,
      target: '<=1.2',
      targetOn: 'value' as const,
      notes: [
        ...results.map((r) => `fixture of ${r.earlier} earlier frames built in ${r.fixtureSeconds.toFixed(0)} s`),
        ...STAGES.map(
          (stage, i) =>
            `${stage.padEnd(10)}  ${SIZES[0]}: ${cell(small, stage)}  ${SIZES[1]}: ${cell(large, stage)}  ratio ${ratios[i].ratio.toFixed(2)}`,
        ),
        `medians of ${ROUNDS} new frames each, measured alternately`,
        `whole vigil run: ${small.wall.toFixed(2)} s at ${SIZES[0]}, ${large.wall.toFixed(2)} s at ${SIZES[1]}`,
        `worst stage: ${worst.stage}, ${worst.ratio.toFixed(2)} times as long at ${SIZES[1]}`,
      ],
    };
  },
};

/** Each stage's median over the runs (with that run's counts), and the median wall time. */
function medianRun(runs: Measured[]): Measured {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const stages = new Map<string, { seconds: number; processed: number; skipped: number }>();
  for (const stage of STAGES) {
    const seconds = median(runs.map((r) => r.stages.get(stage)!.seconds));
    stages.set(stage, runs.map((r) => r.stages.get(stage)!).find((s) => s.seconds === seconds)!);
  }
  return { wall: median(runs.map((r) => r.wall)), stages };
}
