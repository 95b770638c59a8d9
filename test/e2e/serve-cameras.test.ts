import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { newStore } from '../helpers/engine.js';
import { startServer } from '../helpers/serve.js';

/** The frames of raw@master in a camera's folder. */
async function framesOf(root: string, camera: string): Promise<string[]> {
  const store = await Store.open(root);
  const head = await store.headCommit('raw').catch(() => null);
  return (head ? await store.listFiles('raw', head.id) : []).map((f) => f.path).filter((p) => p.startsWith(`/${camera}/`));
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An HTTP server on 127.0.0.1 that can be stopped (connections cut) and started again on its port. */
class LocalServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly handler: Parameters<typeof createServer>[1]) {}
  async start(): Promise<void> {
    const server = createServer(this.handler);
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

test('pulled cameras: HTTP snapshots and an MJPEG stream made with ffmpeg; a camera that stops answering is reported and retried', {
  timeout: 180_000,
}, async () => {
  const jpeg = await readFile(join(packageRoot(), 'test', 'fixtures', 'rocket.jpg'));
  const snapshot = new LocalServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(jpeg));
  const streams = new Set<ChildProcess>();
  // A live MJPEG camera: ffmpeg's test pattern, 10 frames/s, as multipart/x-mixed-replace.
  const mjpeg = new LocalServer((_req, res) => {
    const ffmpeg = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=10',
        '-f',
        'mpjpeg',
        '-q:v',
        '5',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    streams.add(ffmpeg);
    res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace;boundary=ffmpeg' });
    ffmpeg.stdout.pipe(res);
    res.on('close', () => ffmpeg.kill('SIGKILL'));
  });
  await snapshot.start();
  await mjpeg.start();
  const root = await newStore();
  const cameras = join(await tempDir('vigil-cameras-'), 'cameras.yaml');
  await writeFile(
    cameras,
    `cameras:\n  - id: u1-door\n    url: http://127.0.0.1:${snapshot.port}/snapshot.jpg\n    fps: 2\n  - id: u1-yard\n    url: http://127.0.0.1:${mjpeg.port}/stream\n    kind: stream\n    fps: 2\n`,
  );
  const server = await startServer(root, ['--no-pipelines', '--cameras', cameras]);
  try {
    await until(
      '3 snapshots and 3 stream frames in raw',
      60_000,
      async () => (await framesOf(root, 'u1-door')).length >= 3 && (await framesOf(root, 'u1-yard')).length >= 3,
    );
    const yard = await framesOf(root, 'u1-yard');
    const store = await Store.open(root);
    const head = (await store.headCommit('raw'))!;
    const first = (await store.listFiles('raw', head.id)).find((f) => f.path === yard[0])!;
    assert.deepEqual(
      (await readFile(store.objectPath(first.sha256))).subarray(0, 3),
      Buffer.from([0xff, 0xd8, 0xff]),
      'a JPEG from the stream',
    );

    await snapshot.stop();
    await server.waitForLog(/camera u1-door is not answering \(.+\); trying again in 1 s/, 30_000);
    await server.waitForLog(/camera u1-door is not answering \(.+\); trying again in 2 s/, 30_000);
    const { samples } = parsePrometheus(await (await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text());
    assert.equal(sampleValue(samples, 'vigil_camera_up', { camera: 'u1-door' }), 0);
    assert.equal(sampleValue(samples, 'vigil_camera_up', { camera: 'u1-yard' }), 1);
    const before = (await framesOf(root, 'u1-door')).length;
    await snapshot.start();
    await server.waitForLog(/camera u1-door answers again/, 60_000);
    await until('new snapshots after the camera came back', 30_000, async () => (await framesOf(root, 'u1-door')).length > before);
  } finally {
    assert.equal(await server.stop(), 0, server.log());
    await snapshot.stop();
    await mjpeg.stop();
    for (const s of streams) s.kill('SIGKILL');
  }
});

test('vigil collect --from-video: an mp4 made with ffmpeg, sampled at 2 frames/s from its creation_time or --start', {
  timeout: 120_000,
}, async () => {
  const root = await newStore();
  const dir = await tempDir('vigil-video-');
  const clip = join(dir, 'clip.mp4');
  const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 600_000);
  execFileSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-t',
      '3',
      '-c:v',
      'mpeg4',
      '-metadata',
      `creation_time=${start.toISOString()}`,
      clip,
    ],
    { timeout: 60_000 },
  );

  const out = await vigilOk(['collect', '--from-video', clip, '--fps', '2', '--camera', 'u1-cam1'], { root });
  assert.match(out, new RegExp(`6 frames stored in raw@master:/u1-cam1/ from ${start.toISOString()}, 0 already there, 0 refused`));
  const expected = [0, 500, 1000, 1500, 2000, 2500].map((ms) => `/u1-cam1/${formatTimestamp(new Date(start.getTime() + ms))}.jpg`);
  assert.deepEqual(await framesOf(root, 'u1-cam1'), expected.sort());
  assert.match(
    await vigilOk(['collect', '--from-video', clip, '--fps', '2', '--camera', 'u1-cam1'], { root }),
    /0 frames stored .* 6 already there/,
  );

  const later = new Date(start.getTime() + 60_000);
  await vigilOk(['collect', '--from-video', clip, '--fps', '1', '--camera', 'u1-cam2', '--start', later.toISOString()], { root });
  assert.deepEqual(
    await framesOf(root, 'u1-cam2'),
    [0, 1000, 2000].map((ms) => `/u1-cam2/${formatTimestamp(new Date(later.getTime() + ms))}.jpg`).sort(),
  );
});
