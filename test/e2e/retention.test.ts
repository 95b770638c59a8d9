/**
 * Retention through the embedded engine and the real CLI: frames over 60 days (incidents on
 * days 5 and 50) go through validated, alerts, deliveries and the warehouse; `vigil retain` with
 * the customer's 30-day retention removes every byte of the older frames (a marker planted in
 * each frame is searched in every file of the store), keeps every incident, delivery and
 * warehouse row, and `vigil trace` says why the bytes are gone. A new model commit afterwards
 * re-processes the frames that remain, keeps the records of the expired ones, withdraws nothing
 * and fails nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertValid } from '../../specs/index.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { incidentId } from '../../src/contract/incident-id.js';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { matchRecord } from '../helpers/alert.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { filesHolding, markedFrame } from '../helpers/marked-frames.js';
import { retentionStore } from '../helpers/retention-store.js';

const PIPELINES = join(packageRoot(), 'pipelines');
const DAY_MS = 86_400_000;

/** The day's frame: the fixture a little brighter each day, so that no two frames are the same object. */
const frameOf = (day: number, marker: string) => markedFrame(1 + day / 200, marker);

test('30-day retention over 60 days of frames: expired bytes gone everywhere, records kept, trace says so, a new model withdraws nothing', {
  timeout: 600_000,
}, async () => {
  const root = await tempDir('vigil-retention-');
  const files = join(await tempDir('vigil-retention-in-'), 'in');
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const base = today - 60 * DAY_MS;
  const days = [...Array.from({ length: 20 }, (_, i) => i * 3), 5, 50].sort((a, b) => a - b);
  const at = (day: number) => new Date(base + day * DAY_MS + 12 * 3_600_000);
  const markers = new Map<number, string>();
  await mkdir(join(files, 'raw', 'u1-cam1'), { recursive: true });
  for (const day of days) {
    const marker = `VIGIL-MARKER-${randomBytes(8).toString('hex')}-day${day}`;
    markers.set(day, marker);
    await writeFile(join(files, 'raw', 'u1-cam1', `${formatTimestamp(at(day))}.jpg`), await frameOf(day, marker));
  }
  await retentionStore(root, files, { retention: '{ frames: 30d, records: 2y }', modelJson: '{"v": 1}' });

  // Matches (what detect and match would make) for the frames of days 5 and 50: one incident each.
  const validatedHead = JSON.parse(await vigilOk(['inspect', 'commit', 'validated@master', '--raw'], { root })).commit.id as string;
  await mkdir(join(files, 'matches', 'u1-cam1'), { recursive: true });
  for (const day of [5, 50]) {
    const ts = formatTimestamp(at(day));
    const path = `/valid/u1-cam1/${ts}.jpg`;
    const file = (await (await Store.open(root)).fileAt('validated', validatedHead, path))!;
    const match = matchRecord(at(day), { targets: { email: ['security@example.com'] } });
    match.frame = { repo: 'validated', commit: validatedHead, path, sha256: file.sha256, size: file.size };
    await writeFile(join(files, 'matches', 'u1-cam1', `${ts}.json`), JSON.stringify(match));
  }
  await vigilOk(['create', 'repo', 'matches'], { root });
  await vigilOk(['put', 'file', '-r', 'matches@master:/', '-f', join(files, 'matches')], { root });
  await vigilOk(['create', 'repo', 'detections'], { root });
  for (const spec of ['alerts.yaml', 'digests.yaml', 'deliveries.yaml', 'warehouse.yaml']) {
    await vigilOk(['create', 'pipeline', '-f', join(PIPELINES, spec)], { root });
  }
  const first = await vigil(['run'], { root });
  assert.equal(first.code, 0, first.stdout + first.stderr);

  const incidents = [5, 50].map((day) => incidentId('u1', 'cam1', 200, at(day)));
  const deliveries = async () =>
    Promise.all(
      incidents.map(async (id) =>
        assertValid('deliveries', JSON.parse(await vigilOk(['get', 'file', `deliveries@master:/u1-cam1/${id}.json`], { root })), id),
      ),
    );
  assert.deepEqual(
    (await deliveries()).map((d) => d.state),
    ['active', 'active'],
  );
  const sql = async (query: string) => JSON.parse(await vigilOk(['sql', '--json', query], { root })) as Record<string, unknown>[];
  const warehouseRows = async () => ({
    alerts: await sql('SELECT incident_id FROM alerts ORDER BY incident_id'),
    deliveries: await sql('SELECT incident_id, state FROM deliveries ORDER BY incident_id'),
  });
  const rowsBefore = await warehouseRows();
  assert.equal(rowsBefore.alerts.length, 2);

  // Every marker is in the store before retention (the search finds what it looks for).
  for (const marker of markers.values()) assert.notDeepEqual(await filesHolding(root, marker), [], marker);

  // A dry run says what would go and removes nothing.
  const now = new Date(today).toISOString();
  const dry = await vigilOk(['retain', '--dry-run', '--now', now], { root });
  assert.match(dry, /retention u1: frames 30d/);
  assert.match(dry, /dry run: would remove \d+ objects/);
  for (const marker of markers.values()) assert.notDeepEqual(await filesHolding(root, marker), [], marker);

  const retained = await vigilOk(['retain', '--now', now], { root });
  const expiredDays = days.filter((d) => d < 30);
  assert.match(
    retained,
    new RegExp(
      `^raw: ${expiredDays.length} files of u1-cam1, captured ${at(0).toISOString().slice(0, 10)} to ${at(27).toISOString().slice(0, 10)}$`,
      'm',
    ),
  );
  assert.match(retained, new RegExp(`^validated: ${expiredDays.length} files of u1-cam1`, 'm'));
  assert.match(retained, /^alerts: 1 file of u1-cam1/m);
  assert.match(retained, /removed 23 objects \(\S+\) of expired frames; their records stay/);

  for (const day of days) {
    const holding = await filesHolding(root, markers.get(day)!);
    if (day < 30) assert.deepEqual(holding, [], `day ${day}: an expired frame's bytes remain`);
    else assert.notDeepEqual(holding, [], `day ${day}: a frame within retention lost its bytes`);
  }

  // Records stay: incidents, deliveries, warehouse rows; the snapshot of day 5 and its frames say why they are gone.
  const alertFiles = await vigilOk(['list', 'file', 'alerts@master:/u1-cam1'], { root });
  for (const id of incidents) assert.match(alertFiles, new RegExp(`${id}\\.json`));
  assert.deepEqual(await warehouseRows(), rowsBefore);
  const expiredOn = now.slice(0, 10);
  const snapshot = await vigil(['get', 'file', `alerts@master:/u1-cam1/${incidents[0]}.jpg`], { root });
  assert.equal(snapshot.code, 1);
  assert.match(snapshot.stderr, new RegExp(`expired on ${expiredOn} \\(retention\\)`));
  assert.doesNotMatch(snapshot.stderr, /at .*\.js:\d+/, 'no stack for an expired file');
  const frame5 = `validated@master:/valid/u1-cam1/${formatTimestamp(at(5))}.jpg`;
  const trace = await vigilOk(['trace', frame5], { root });
  assert.match(trace, new RegExp(`validated frame .*\\n.*expired on ${expiredOn} \\(retention\\)`));
  assert.match(trace, new RegExp(`camera frame raw@.*\\n.*expired on ${expiredOn} \\(retention\\)`));
  const verified = await vigil(['trace', '--verify', frame5], { root });
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /2 expired files, as expected/);

  // A new model: the frames that remain are processed again, the expired ones keep their records.
  await writeFile(join(files, 'models', 'centernet', 'model.json'), '{"v": 2}');
  await vigilOk(['put', 'file', 'models@master:/centernet/model.json', '-f', join(files, 'models', 'centernet', 'model.json')], { root });
  const second = await vigil(['run'], { root });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(
    second.stdout,
    new RegExp(
      `^deliveries: job \\w+ JOB_SUCCESS: ${days.length - expiredDays.length} processed, ${expiredDays.length} skipped, 0 failed, 0 recovered \\(${expiredDays.length} of them kept their earlier outputs: their input frames expired\\)`,
      'm',
    ),
  );
  assert.doesNotMatch(second.stdout, /JOB_FAILURE/);
  assert.deepEqual(
    (await deliveries()).map((d) => d.state),
    ['active', 'active'],
  );
  const alertsAfter = await vigilOk(['list', 'file', 'alerts@master:/u1-cam1'], { root });
  for (const id of incidents) assert.match(alertsAfter, new RegExp(`${id}\\.json`));
  assert.deepEqual(await warehouseRows(), rowsBefore);
});
