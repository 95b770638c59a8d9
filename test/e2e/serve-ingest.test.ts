import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import sharp from 'sharp';
import { validatorFor } from '../../specs/index.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { commitFiles, newStore } from '../helpers/engine.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { addDevice, frameName, sendFrame, startServer, type Served } from '../helpers/serve.js';

const fixture = (name: string) => readFile(join(packageRoot(), 'test', 'fixtures', name));
/** The validate stage's limits for these servers: maxBytes lowered so that a big frame is cheap to make. */
const MAX_BYTES = 150_000;

async function rawFiles(root: string): Promise<Record<string, string>> {
  const store = await Store.open(root);
  const head = await store.headCommit('raw');
  return Object.fromEntries((head ? await store.listFiles('raw', head.id) : []).map((f) => [f.path, f.sha256]));
}

async function validateConfig(): Promise<string> {
  const file = join(await tempDir('vigil-config-'), 'validate.yaml');
  await writeFile(file, `maxBytes: ${MAX_BYTES}\n`);
  return file;
}

describe('vigil serve: frames over HTTP', () => {
  let root: string;
  let server: Served;
  let token1: string;
  let token2: string;

  before(async () => {
    root = await tempDir();
    await commitFiles(root, 'rules', {
      '/subscriptions.yaml': 'users:\n  - id: u1\n    devices:\n      - id: cam1\n        timezone: Asia/Tokyo\n        rules: []\n',
    });
    token1 = await addDevice(root, 'u1-cam1');
    token2 = await addDevice(root, 'u2-cam1');
    server = await startServer(root, ['--no-pipelines'], { VIGIL_VALIDATE_CONFIG: await validateConfig() });
  });

  after(async () => {
    assert.equal(await server?.stop(), 0, server?.log());
  });

  test('every refusal has its status and a JSON reason, and stores nothing', async () => {
    const jpeg = await fixture('rocket.jpg');
    const big = Buffer.concat([jpeg, Buffer.alloc(MAX_BYTES)]);
    const ts = frameName(5);
    const isError = validatorFor('api-error');
    const cases: Array<[string, Promise<{ status: number; json: any; headers: Headers }>, number, string, RegExp]> = [
      ['no token', sendFrame(server.url, null, `u1-cam1/${ts}`, jpeg), 401, 'unauthorized', /no device token/],
      ['wrong token', sendFrame(server.url, 'vgl_wrong', `u1-cam1/${ts}`, jpeg), 401, 'unauthorized', /wrong or revoked/],
      [
        "another camera's folder",
        sendFrame(server.url, token2, `u1-cam1/${ts}`, jpeg),
        403,
        'forbidden',
        /u2-cam1's and writes only \/u2-cam1\//,
      ],
      ['no timestamp', sendFrame(server.url, token1, 'u1-cam1/noon.jpg', jpeg), 400, 'bad_path', /not a UTC timestamp/],
      ['not a real date', sendFrame(server.url, token1, 'u1-cam1/20260230T120000Z.jpg', jpeg), 400, 'bad_path', /not a real date/],
      [
        'an extension no frame has',
        sendFrame(server.url, token1, `u1-cam1/${frameName(5, 'gif')}`, jpeg),
        400,
        'bad_path',
        /extension "\.gif"/,
      ],
      [
        'a name too long',
        sendFrame(server.url, token1, `u1-cam1/${'x'.repeat(300)}.jpg`, jpeg),
        400,
        'bad_path',
        /has a name of 304 bytes; a file or folder name is at most 255 bytes/,
      ],
      [
        'nested too deep',
        sendFrame(server.url, token1, `u1-cam1/a/${ts}`, jpeg),
        400,
        'bad_path',
        /PUT \/v1\/frames\/<user>-<device>\/<ts>\.<ext>/,
      ],
      [
        'captured in the future',
        sendFrame(server.url, token1, `u1-cam1/${frameName(-3600)}`, jpeg),
        400,
        'capture_time',
        /in the future; at most 300 s/,
      ],
      [
        'over the size limit',
        sendFrame(server.url, token1, `u1-cam1/${ts}`, big),
        413,
        'too_large',
        new RegExp(`limit of ${MAX_BYTES} bytes`),
      ],
      [
        'no image',
        sendFrame(server.url, token1, `u1-cam1/${ts}`, 'this is no image, only text'),
        415,
        'unsupported_format',
        /no known image format/,
      ],
      [
        'a GIF',
        sendFrame(server.url, token1, `u1-cam1/${ts}`, Buffer.from('GIF89a....................')),
        415,
        'unsupported_format',
        /GIF, not one of jpeg, png, webp/,
      ],
      ['POST without a capture time', sendFrame(server.url, token1, 'u1-cam1', jpeg, {}, 'POST'), 400, 'capture_time', /no capture time/],
      [
        'a capture time without zone',
        sendFrame(server.url, token1, 'u1-cam1', jpeg, { 'x-capture-time': '2026-11-26T04:15:00' }, 'POST'),
        400,
        'capture_time',
        /not a time with its zone/,
      ],
    ];
    for (const [what, answer, status, code, message] of cases) {
      const { status: got, json } = await answer;
      assert.equal(got, status, `${what}: ${JSON.stringify(json)}`);
      assert.ok(isError(json), `${what}: the body is an ApiError: ${JSON.stringify(json)}`);
      assert.equal(json.error.code, code, what);
      assert.match(json.error.message, message, what);
    }
    // A body without Content-Length is counted as it comes and refused once past the limit.
    const chunked = await fetch(`${server.url}/v1/frames/u1-cam1/${ts}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token1}` },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(big));
          controller.close();
        },
      }),
      duplex: 'half',
      signal: AbortSignal.timeout(30_000),
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.equal(((await chunked.json()) as any).error.code, 'too_large');
    assert.deepEqual(await rawFiles(root), {}, 'nothing was stored');
  });

  test('a frame is answered 201 with its commit; the same frame again 200, stored once; another frame at its path 409', async () => {
    const jpeg = await fixture('rocket.jpg');
    const path = `u1-cam1/${frameName(10)}`;
    const first = await sendFrame(server.url, token1, path, jpeg);
    assert.equal(first.status, 201, JSON.stringify(first.json));
    assert.ok(validatorFor('frame-receipt')(first.json));
    const store = await Store.open(root);
    assert.equal(first.json.commit, (await store.headCommit('raw'))!.id, 'answered with the commit that holds it, the head');
    const commits = (await store.listCommits('raw')).length;

    const again = await sendFrame(server.url, token1, path, jpeg);
    assert.equal(again.status, 200);
    assert.equal(again.json.stored, false);
    assert.equal(again.json.sha256, first.json.sha256);
    const other = await sendFrame(server.url, token1, path, await fixture('horse.png'));
    assert.equal(other.status, 409);
    assert.equal(other.json.error.code, 'conflict');
    assert.equal((await (await Store.open(root)).listCommits('raw')).length, commits, 'neither the resend nor the conflict made a commit');
    assert.equal((await rawFiles(root))[`/${path}`], first.json.sha256);

    // Frames sent together share a commit.
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sendFrame(server.url, token1, `u1-cam1/${frameName(100 + i)}`, jpeg)),
    );
    assert.deepEqual(
      burst.map((b) => b.status),
      Array(8).fill(201),
    );
    assert.ok(new Set(burst.map((b) => b.json.commit)).size < 8, 'a group commit holds several frames');
  });

  test("the capture time comes from X-Capture-Time, else EXIF: its offset, else the camera's time zone", async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const header = await sendFrame(
      server.url,
      token1,
      'u1-cam1',
      await fixture('horse.png'),
      { 'x-capture-time': now.toISOString() },
      'POST',
    );
    assert.equal(header.status, 201, JSON.stringify(header.json));
    assert.equal(header.json.path, `/u1-cam1/${formatTimestamp(now)}.png`);

    // EXIF wall-clock times: 10 minutes ago as a clock at UTC-05:00 shows it, and as Tokyo's (UTC+9, the camera's zone) shows it.
    const captured = new Date(now.getTime() - 600_000);
    const wall = (offsetHours: number) => {
      const d = new Date(captured.getTime() + offsetHours * 3_600_000);
      return `${d.getUTCFullYear()}:${String(d.getUTCMonth() + 1).padStart(2, '0')}:${String(d.getUTCDate()).padStart(2, '0')} ${d.toISOString().slice(11, 19)}`;
    };
    const astronaut = await fixture('astronaut.png');
    const withOffset = await sharp(astronaut)
      .jpeg()
      .withExif({ IFD2: { DateTimeOriginal: wall(-5), OffsetTimeOriginal: '-05:00' } })
      .toBuffer();
    const exif = await sendFrame(server.url, token1, 'u1-cam1', withOffset, {}, 'POST');
    assert.equal(exif.status, 201, JSON.stringify(exif.json));
    assert.equal(exif.json.capturedAt, captured.toISOString());
    assert.equal(exif.json.path, `/u1-cam1/${formatTimestamp(captured)}.jpg`);

    const zoned = await sharp(astronaut)
      .resize(400)
      .jpeg()
      .withExif({ IFD2: { DateTimeOriginal: wall(9) } })
      .toBuffer();
    const tokyo = await sendFrame(server.url, token1, 'u1-cam1', zoned, {}, 'POST');
    assert.equal(tokyo.status, 409, 'the same capture time as the frame before: its path is taken');
    assert.match(tokyo.json.error.message, new RegExp(formatTimestamp(captured)));
  });

  test('a revoked token is refused at once', async () => {
    const token = await addDevice(root, 'u3-cam9');
    const ok = await sendFrame(server.url, token, `u3-cam9/${frameName(20)}`, await fixture('rocket.jpg'));
    assert.equal(ok.status, 201);
    await vigilOk(['device', 'revoke', 'u3-cam9'], { root });
    const refused = await sendFrame(server.url, token, `u3-cam9/${frameName(21)}`, await fixture('rocket.jpg'));
    assert.equal(refused.status, 401);
    const listed = await vigilOk(['device', 'list'], { root });
    assert.match(listed, /u3-cam9\s+\S+\s+revoked/);
    assert.ok(
      !listed.includes(token) && !(await readFile(join(root, 'devices.json'), 'utf8')).includes(token),
      'the token itself is kept nowhere',
    );
  });

  test('/metrics is Prometheus text with frames by outcome and reason; /healthz and /readyz answer', async () => {
    const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const { samples, types } = parsePrometheus(await res.text());
    assert.equal(types.get('vigil_frames_rejected_total'), 'counter');
    assert.equal(types.get('vigil_ingest_commit_seconds'), 'histogram');
    for (const reason of ['unauthorized', 'forbidden', 'bad_path', 'capture_time', 'too_large', 'unsupported_format', 'conflict']) {
      assert.ok((sampleValue(samples, 'vigil_frames_rejected_total', { reason }) ?? 0) >= 1, reason);
    }
    assert.ok((sampleValue(samples, 'vigil_frames_accepted_total', { stored: 'true' }) ?? 0) >= 10);
    assert.ok((sampleValue(samples, 'vigil_ingest_commit_seconds_count') ?? 0) >= 1);
    assert.equal(sampleValue(samples, 'vigil_ingest_queue_frames'), 0);
    assert.equal((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status, 200);
  });

  test('the OpenAPI document is valid OpenAPI 3 and names every route', async () => {
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`, { signal: AbortSignal.timeout(10_000) })).json()) as any;
    await SwaggerParser.validate(structuredClone(doc));
    assert.equal(doc.openapi, '3.0.3');
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/frames/{source}',
      '/v1/frames/{source}/{file}',
      '/v1/openapi.json',
    ]);
  });
});

/** A PUT that sends the first half of `body` at once and the rest on finish(). */
function slowUpload(url: string, token: string, body: Buffer): { finish(): void; answer: Promise<{ status: number; body: string }> } {
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = httpRequest(
      url,
      { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-length': body.byteLength }, timeout: 30_000 },
      (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (d) => (text += d))
          .on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
  });
  const half = body.byteLength >> 1;
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), answer };
}

describe('vigil serve: backpressure, TLS and stopping', () => {
  test('a full queue answers 503 with Retry-After; every admitted frame is committed', async () => {
    const root = await newStore();
    const token = await addDevice(root, 'u1-cam1');
    const server = await startServer(root, ['--no-pipelines', '--queue-frames', '2']);
    try {
      const jpeg = await fixture('rocket.jpg');
      const names = [frameName(1), frameName(2)];
      // Two cameras on a slow link: admitted once their headers are in, their bodies still coming.
      const uploads = names.map((name) => slowUpload(`${server.url}/v1/frames/u1-cam1/${name}`, token, jpeg));
      await new Promise((r) => setTimeout(r, 400));
      const refused = await sendFrame(server.url, token, `u1-cam1/${frameName(3)}`, jpeg);
      assert.equal(refused.status, 503);
      assert.equal(refused.json.error.code, 'queue_full');
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal((await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status, 503);
      for (const upload of uploads) upload.finish();
      assert.deepEqual(
        (await Promise.all(uploads.map((u) => u.answer))).map((a) => a.status),
        [201, 201],
      );
      assert.deepEqual(Object.keys(await rawFiles(root)).sort(), names.map((name) => `/u1-cam1/${name}`).sort());
    } finally {
      await server.stop();
    }
  });

  test('with a certificate and key it serves HTTPS; SIGTERM commits and answers the frame in flight', async () => {
    const root = await newStore();
    const dir = await tempDir('vigil-tls-');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    const token = await addDevice(root, 'u1-cam1');
    const server = await startServer(root, [
      '--no-pipelines',
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
      '--commit-interval-ms',
      '1000',
    ]);
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(join(dir, 'cert.pem'));
    const path = `/v1/frames/u1-cam1/${frameName(1)}`;
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${server.url}${path}`,
        { method: 'PUT', ca, headers: { authorization: `Bearer ${token}` }, timeout: 30_000 },
        (res) => {
          let body = '';
          res
            .setEncoding('utf8')
            .on('data', (d) => (body += d))
            .on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      void fixture('rocket.jpg').then((b) => req.end(b));
    });
    await server.waitForLog(/./);
    await new Promise((r) => setTimeout(r, 300)); // admitted, waiting for its commit
    const code = await server.stop();
    const { status, body } = await answer;
    assert.equal(status, 201, body);
    assert.equal(code, 0, server.log());
    assert.match(server.log(), /SIGTERM: stopping/);
    assert.equal((await rawFiles(root))[path.replace('/v1/frames', '')], JSON.parse(body).sha256);
  });
});
