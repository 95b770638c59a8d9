/**
 * Frame to alert with nobody at a keyboard: `vigil serve` runs the real pipelines of pipelines/
 * while 4 cameras each upload an after-hours frame with a person (astronaut.png as a JPEG) every
 * second for 60 s; each frame's latency is from its 201 to its email's file in the outbox (rule
 * 200 with cooldown 0, so every frame is an incident of its own). The baseline, in the same run:
 * the way before `vigil serve`, `vigil put file` then `vigil run`, per frame.
 */
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { listJobs } from '../src/engine/pps/job-records.js';
import { packageRoot } from '../src/pfs/package-root.js';
import { addToken } from '../src/serve/devices.js';
import { tempDir, vigilOk } from '../test/helpers/cli.js';
import { afterHoursPolicy } from '../test/helpers/after-hours.js';
import { commitFiles } from '../test/helpers/engine.js';
import { frameName, sendFrame, startServer } from '../test/helpers/serve.js';
import type { Bench, BenchResult } from './bench.js';

const CAMERAS = ['cam1', 'cam2', 'cam3', 'cam4'];
const SECONDS = 60;
const STAGES = ['validated', 'detections', 'matches', 'alerts'];

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : Number.NaN;
}

/** When each email (by incident id) reached the outbox, from its file's mtime. */
async function emailsIn(outbox: string): Promise<Map<string, number>> {
  const files = (await readdir(outbox).catch(() => [])).filter((f) => f.endsWith('.eml'));
  const times = await Promise.all(files.map(async (f) => [f.split('.')[0]!, (await stat(join(outbox, f))).mtimeMs] as const));
  return new Map(times);
}

async function waitForEmails(outbox: string, ids: string[], ms: number): Promise<Map<string, number>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const emails = await emailsIn(outbox);
    if (ids.every((id) => emails.has(id)) || Date.now() > deadline) return emails;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const incidentOf = (camera: string, frame: string) => `u1-${camera}-r200-${frame.replace(/\.jpg$/, '')}`;

export const bench: Bench = {
  name: 'frame-to-alert',
  describe: `vigil serve with the real pipelines, ${CAMERAS.length} cameras at 1 frame/s for ${SECONDS} s: seconds from the 201 to the email in the outbox (target p50 <= 3)`,
  async run(): Promise<BenchResult> {
    const root = await tempDir('vigil-bench-alert-');
    await vigilOk(['init'], { root });
    const policy = await afterHoursPolicy(CAMERAS);
    policy['/rules.yaml'] = policy['/rules.yaml']!.replace(/(id: 200[\s\S]*?cooldown: )5m/, '$10');
    await commitFiles(root, 'rules', policy);
    const tokens = new Map<string, string>();
    for (const camera of CAMERAS) tokens.set(camera, (await addToken(root, `u1-${camera}`)).token);
    const frame = await sharp(join(packageRoot(), 'test', 'fixtures', 'astronaut.png'))
      .jpeg({ quality: 90 })
      .toBuffer();
    const outbox = join(root, 'outbox');

    const server = await startServer(root);
    const latencies: number[] = [];
    let missing = 0;
    let loadStart = 0;
    try {
      // Warm-up, not measured: the first frame of each camera starts the steps and loads the detector.
      const warm = await Promise.all(
        CAMERAS.map(async (c) =>
          incidentOf(c, (await sendFrame(server.url, tokens.get(c)!, `u1-${c}/${frameName(SECONDS + 30)}`, frame)).json.path.split('/')[2]),
        ),
      );
      await waitForEmails(outbox, warm, 180_000);

      loadStart = Date.now();
      const acks = new Map<string, number>();
      await Promise.all(
        CAMERAS.map(async (camera, i) => {
          await new Promise((r) => setTimeout(r, (i * 1000) / CAMERAS.length));
          for (let s = 0; s < SECONDS; s++) {
            const next = loadStart + (i * 1000) / CAMERAS.length + s * 1000;
            await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
            const name = frameName(0);
            const sent = await sendFrame(server.url, tokens.get(camera)!, `u1-${camera}/${name}`, frame);
            if (sent.status === 201) acks.set(incidentOf(camera, name), Date.now());
          }
        }),
      );
      const emails = await waitForEmails(outbox, [...acks.keys()], 120_000);
      for (const [id, acked] of acks) {
        const delivered = emails.get(id);
        if (delivered === undefined) missing++;
        else latencies.push((delivered - acked) / 1000);
      }
    } finally {
      await server.stop();
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
    const jobs = (await listJobs(root, STAGES)).filter((j) => Date.parse(j.created) >= loadStart);
    const stageSeconds = STAGES.map((s) => {
      const mine = jobs.filter((j) => j.pipeline === s && j.finished);
      return {
        stage: s,
        jobs: mine.length,
        mean: mine.reduce((a, j) => a + (Date.parse(j.finished!) - Date.parse(j.started)) / 1000, 0) / Math.max(1, mine.length),
      };
    });
    const inJobs = stageSeconds.reduce((a, s) => a + s.mean, 0);

    // The baseline: put one frame and run the pipelines by hand, three times.
    const byHand: number[] = [];
    const file = join(await tempDir('vigil-bench-frame-'), 'frame.jpg');
    await writeFile(file, frame);
    for (let k = 0; k < 3; k++) {
      const name = frameName(0);
      await vigilOk(['put', 'file', `raw@master:/u1-cam1/${name}`, '-f', file], { root });
      const put = Date.now();
      await vigilOk(['run'], { root });
      const id = incidentOf('cam1', name);
      const delivered = (await waitForEmails(outbox, [id], 5000)).get(id);
      if (delivered !== undefined) byHand.push((delivered - put) / 1000);
    }
    byHand.sort((a, b) => a - b);
    const baseline = percentile(byHand, 50);
    await Promise.all([root, dirname(file)].map((dir) => rm(dir, { recursive: true, force: true })));
    return {
      name: 'frame-to-alert',
      value: p50,
      unit: 's',
      baseline,
      target: '<=3',
      targetOn: 'value',
      notes: [
        `${latencies.length} emails from ${latencies.length + missing} frames acknowledged (${missing} without an email within 120 s of the end)`,
        `frame to alert: p50 ${p50.toFixed(2)} s, p99 ${percentile(latencies, 99).toFixed(2)} s, mean ${mean.toFixed(2)} s, max ${latencies.at(-1)?.toFixed(2)} s`,
        `share of the mean latency: ${stageSeconds.map((s) => `${s.stage} ${((100 * s.mean) / mean).toFixed(0)}% (${s.jobs} jobs, ${s.mean.toFixed(2)} s each)`).join(', ')}, group commit, debounce and waiting for a stage's job in progress ${((100 * (mean - inJobs)) / mean).toFixed(0)}%`,
        `baseline, vigil put file then vigil run by hand: ${byHand.map((s) => `${s.toFixed(2)} s`).join(', ')}`,
      ],
    };
  },
};
