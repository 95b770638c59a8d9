/**
 * Erasure on request (`vigil erase` for one camera and a date range: raw, validated and incident
 * snapshots, recorded without the content) and the disk watch of `vigil serve` (a threshold set
 * above the free space: frames refused with 503 disk_low before they are read, /readyz and
 * /metrics say so, the portal shows a banner, an error line is logged).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { filesHolding, markedFrame } from '../helpers/marked-frames.js';
import { newStore } from '../helpers/engine.js';
import { PortalClient } from '../helpers/portal.js';
import { addDevice, frameName, sendFrame, startServer } from '../helpers/serve.js';

const DAY_MS = 86_400_000;

test('vigil erase: one camera and a date range gone from raw, validated and alerts at once, the request recorded without content', {
  timeout: 300_000,
}, async () => {
  const root = await tempDir('vigil-erase-');
  const input = join(await tempDir('vigil-erase-in-'), 'raw');
  const base = Math.floor(Date.now() / DAY_MS) * DAY_MS - 10 * DAY_MS;
  const day = (d: number) => new Date(base + d * DAY_MS).toISOString().slice(0, 10);
  const frames: Array<{ camera: string; d: number; ts: string; marker: string }> = [];
  let n = 0;
  for (const camera of ['u1-cam1', 'u1-cam2', 'u2-cam1']) {
    await mkdir(join(input, camera), { recursive: true });
    for (let d = 1; d <= 5; d++) {
      const ts = formatTimestamp(new Date(base + d * DAY_MS + 9 * 3_600_000));
      const marker = `ERASE-MARKER-${randomBytes(6).toString('hex')}`;
      frames.push({ camera, d, ts, marker });
      await writeFile(join(input, camera, `${ts}.jpg`), await markedFrame(1 + n++ / 100, marker));
    }
  }
  await vigilOk(['create', 'repo', 'raw'], { root });
  await vigilOk(['put', 'file', '-r', 'raw@master:/', '-f', input], { root });
  await vigilOk(['create', 'pipeline', '-f', join(packageRoot(), 'pipelines', 'validated.yaml')], { root });
  await vigilOk(['run'], { root });
  // An incident's snapshot on day 2 (the alert step's file layout), with its record.
  const incident = `u1-cam1-r200-${frames.find((f) => f.camera === 'u1-cam1' && f.d === 2)!.ts}`;
  const snapshotMarker = `SNAPSHOT-MARKER-${randomBytes(6).toString('hex')}`;
  const alerts = join(await tempDir('vigil-erase-alerts-'), 'alerts');
  await mkdir(join(alerts, 'u1-cam1'), { recursive: true });
  await writeFile(join(alerts, 'u1-cam1', `${incident}.jpg`), await markedFrame(1 + 99 / 100, snapshotMarker));
  await writeFile(join(alerts, 'u1-cam1', `${incident}.json`), '{"id": "the record stays"}\n');
  await vigilOk(['create', 'repo', 'alerts'], { root });
  await vigilOk(['put', 'file', '-r', 'alerts@master:/', '-f', alerts], { root });

  // Mistakes first: nothing is erased by them.
  for (const [args, message] of [
    [['--from', '2026-13-01'], /--from "2026-13-01" is not a day YYYY-MM-DD/],
    [['--from', day(4), '--to', day(2)], /--from .* is after --to/],
  ] as const) {
    const r = await vigil(['erase', '--customer', 'u1', ...args], { root });
    assert.equal(r.code, 1);
    assert.match(r.stderr, message);
  }
  assert.match(await vigilOk(['erase', '--customer', 'nobody'], { root }), /no frames of customer nobody: nothing to erase/);

  const dry = await vigilOk(['erase', '--customer', 'u1', '--camera', 'cam1', '--from', day(2), '--to', day(3), '--dry-run'], { root });
  assert.match(dry, /dry run: would erase \d+ objects/);
  const erased = await vigilOk(
    ['erase', '--customer', 'u1', '--camera', 'cam1', '--from', day(2), '--to', day(3), '--requested-by', 'dpo@example.com'],
    { root },
  );
  assert.match(erased, new RegExp(`^raw: 2 files of u1-cam1, captured ${day(2)} to ${day(3)}$`, 'm'));
  assert.match(erased, new RegExp(`^validated: 2 files of u1-cam1, captured ${day(2)} to ${day(3)}$`, 'm'));
  assert.match(erased, /^alerts: 1 file of u1-cam1/m);
  const request = /erased 5 objects \(\S+\) of customer u1, camera cam1, from \S+ to \S+: request (er-\d{8}-[0-9a-f]{8})/.exec(erased)?.[1];
  assert.ok(request, erased);

  for (const f of frames) {
    const gone = f.camera === 'u1-cam1' && (f.d === 2 || f.d === 3);
    const holding = await filesHolding(root, f.marker);
    if (gone) assert.deepEqual(holding, [], `${f.camera} day ${f.d} still on disk`);
    else assert.notDeepEqual(holding, [], `${f.camera} day ${f.d} lost its bytes`);
  }
  assert.deepEqual(await filesHolding(root, snapshotMarker), []);

  // Who asked and when, the scope; no content and no file names.
  const record = JSON.parse(await readFile(join(root, 'erasures', `${request}.json`), 'utf8'));
  assert.deepEqual(
    { ...record, date: undefined },
    {
      id: request,
      requestedBy: 'dpo@example.com',
      date: undefined,
      scope: { customer: 'u1', camera: 'cam1', from: day(2), to: day(3) },
      objects: 5,
      bytes: record.bytes,
    },
  );
  const erasedFrame = frames.find((f) => f.camera === 'u1-cam1' && f.d === 2)!;
  const get = await vigil(['get', 'file', `raw@master:/u1-cam1/${erasedFrame.ts}.jpg`], { root });
  assert.equal(get.code, 1);
  assert.match(get.stderr, new RegExp(`erased on \\d{4}-\\d{2}-\\d{2} \\(request ${request}\\)`));
  const trace = await vigil(['trace', '--verify', `validated@master:/valid/u1-cam1/${erasedFrame.ts}.jpg`], { root });
  assert.equal(trace.code, 0, trace.stdout + trace.stderr);
  assert.match(trace.stdout, new RegExp(`erased on \\d{4}-\\d{2}-\\d{2} \\(request ${request}\\)`));
  assert.equal((await vigilOk(['get', 'file', `alerts@master:/u1-cam1/${incident}.json`], { root })).trim(), '{"id": "the record stays"}');

  // Erasure is no change: a run afterwards has nothing to do.
  const run = await vigil(['run'], { root });
  assert.equal(run.code, 0, run.stderr);
  assert.doesNotMatch(run.stdout, /JOB_FAILURE|: job /);
});

test('disk watch: under the free-space threshold the collector refuses frames (503 disk_low), /metrics, /readyz and the portal say so', {
  timeout: 180_000,
}, async () => {
  const root = await newStore('vigil-disk-');
  await vigilOk(['user', 'add', 'op', '--operator'], { root, input: 'op-password-1234\n' });
  const token = await addDevice(root, 'u1-cam1');
  const frame = await markedFrame(1 + 1 / 100, 'disk-test');

  const low = await startServer(root, [], { VIGIL_MIN_FREE_BYTES: '1000000000000000' });
  try {
    await low.waitForLog(/error: disk low: the store's disk has \d+ bytes free/);
    const refused = await sendFrame(low.url, token, `u1-cam1/${frameName(5)}`, frame);
    assert.equal(refused.status, 503);
    assert.equal(refused.json.error.code, 'disk_low');
    assert.match(refused.json.error.message, /under the minimum of 1000000000000000 bytes.*nothing was stored/);
    assert.equal(refused.headers.get('retry-after'), '60');
    const ready = await fetch(`${low.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { error: { code: string } }).error.code, 'disk_low');
    const metrics = await (await fetch(`${low.url}/metrics`)).text();
    assert.match(metrics, /^vigil_disk_low 1$/m);
    assert.match(metrics, /^vigil_disk_free_bytes \d+$/m);
    assert.match(metrics, /^vigil_frames_rejected_total\{reason="disk_low"\} 1$/m);
    const portal = new PortalClient((path, init) => fetch(`${low.url}${path}`, init));
    await portal.signIn('op', 'op-password-1234');
    const page = await portal.get('/');
    assert.match(page.text, /class="disk-low" role="alert"><strong>Disk low: cameras' frames are refused\.<\/strong>/);
    // The daily housekeeping ran at start.
    await low.waitForLog(/gc: deleted \d+ of \d+ objects/);
  } finally {
    await low.stop();
  }
  assert.equal((await vigil(['list', 'file', 'raw@master:/'], { root })).stdout.includes('u1-cam1'), false, 'nothing was stored');

  const ok = await startServer(root, [], { VIGIL_MIN_FREE_BYTES: '0', VIGIL_MIN_FREE_PERCENT: '0' });
  try {
    const stored = await sendFrame(ok.url, token, `u1-cam1/${frameName(5)}`, frame);
    assert.equal(stored.status, 201, JSON.stringify(stored.json));
    assert.match(await (await fetch(`${ok.url}/metrics`)).text(), /^vigil_disk_low 0$/m);
    const portal = new PortalClient((path, init) => fetch(`${ok.url}${path}`, init));
    await portal.signIn('op', 'op-password-1234');
    assert.doesNotMatch((await portal.get('/')).text, /class="disk-low"/);
  } finally {
    await ok.stop();
  }
});
