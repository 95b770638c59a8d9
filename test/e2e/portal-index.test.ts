/**
 * The portal's index on known records: the alert records in alerts@master, and the warehouse the
 * real warehouse step makes from the sample records, committed to a store. Every number of the
 * overview, the incidents list's filters, incident states against the clock and the marks, the
 * cameras' rhythm and silence, worked out by hand from test/helpers/warehouse-records.ts; then
 * new commits: only the files that changed are read again, and a warehouse whose partitions are
 * all rewritten gives the same numbers.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import type { Alert } from '../../specs/index.js';
import { REPOS } from '../../src/contract/repos.js';
import { Store, type FileEntry } from '../../src/engine/store/store.js';
import { addMark } from '../../src/portal/feedback.js';
import { PortalIndex } from '../../src/portal/portal-index.js';
import { cameraDays, cameraSilent, listCameras, listIncidents, overview } from '../../src/portal/queries.js';
import { tempDir } from '../helpers/cli.js';
import { layInputs, runWarehouseStep, sampleRecords, type RepoFile } from '../helpers/warehouse-records.js';

const at = (iso: string) => Date.parse(iso);
/** One minute after the last frame of the 27th's incident: it alone is within its cooldown (300 s). */
const NOW = at('2026-11-27T01:01:00Z');

let store: Store;
let index: PortalIndex;
let parquetFiles: Array<{ path: string; file: string }>;
const logged: string[] = [];

async function put(repo: string, files: Array<{ path: string; bytes: Buffer | string }>, remove: string[] = []): Promise<void> {
  const put: FileEntry[] = [];
  for (const f of files) put.push({ path: f.path, ...(await store.addObject(Buffer.from(f.bytes))) });
  await store.commit(repo, 'master', { put, ...(remove.length ? { delete: remove } : {}) });
}

const alertFiles = (files: RepoFile[]) =>
  files.filter((f) => f.repo === 'alerts').map((f) => ({ path: f.path, bytes: `${JSON.stringify(f.record, null, 2)}\n` }));

before(async () => {
  const pfs = await tempDir('vigil-portal-index-');
  const files = sampleRecords();
  await layInputs(pfs, files);
  await runWarehouseStep(pfs, files);
  const out = join(pfs, 'out');
  parquetFiles = (await readdir(out, { recursive: true, encoding: 'utf8' }))
    .filter((p) => p.endsWith('.parquet'))
    .map((p) => ({ path: `/${relative(out, join(out, p))}`, file: join(out, p) }));
  store = await Store.open(join(pfs, 'store'));
  for (const repo of [REPOS.alerts, REPOS.warehouse]) await store.createRepo(repo);
  await put(REPOS.alerts, alertFiles(files));
  await put(REPOS.warehouse, await Promise.all(parquetFiles.map(async (f) => ({ path: f.path, bytes: await readFile(f.file) }))));
  index = await PortalIndex.open(store, (line) => logged.push(line));
});

after(async () => {
  await index?.stop();
});

test("a day's overview: threats per customer and severity, per hour, frames, refusals, incidents and deliveries", async () => {
  const day = await overview(index.db, null, '2026-11-26', NOW);
  assert.equal(day.threats, 7);
  assert.deepEqual(
    day.byGroup.map((g) => [g.group, g.counts]),
    [
      ['u1', { critical: 3, error: 0, warning: 1, info: 1 }],
      ['u007', { critical: 1, error: 0, warning: 0, info: 0 }],
      ['u2', { critical: 0, error: 0, warning: 1, info: 0 }],
    ],
  );
  assert.equal(day.byHour[4], 5);
  assert.equal(day.byHour[22], 1);
  assert.equal(day.byHour[23], 1);
  assert.equal(
    day.byHour.reduce((a, b) => a + b),
    7,
  );
  assert.deepEqual([day.framesAnalysed, day.framesRejected, day.incidents, day.alertsSent, day.alertsFailed], [8, 3, 5, 6, 1]);
  // Open now: only the incident whose last frame is less than its cooldown ago.
  assert.deepEqual(
    day.openIncidents.map((i) => [i.id, i.state]),
    [['u1-cam1-r200-20261127T010000Z', 'open']],
  );

  const u2 = await overview(index.db, 'u2', '2026-11-26', NOW);
  assert.equal(u2.threats, 1);
  assert.deepEqual(
    u2.byGroup.map((g) => g.group),
    ['u2-door'],
  );
  assert.deepEqual([u2.framesAnalysed, u2.framesRejected, u2.incidents, u2.alertsSent, u2.openIncidents.length], [2, 1, 1, 0, 0]);
});

test('the incidents list filters by customer, camera, rule, severity, day and state, newest first', async () => {
  const ids = async (filter: Parameters<typeof listIncidents>[2], scope: string | null = null) =>
    (await listIncidents(index.db, scope, filter, 0, NOW)).rows.map((r) => r.id);
  assert.deepEqual(await ids({}), [
    'u1-cam1-r200-20261127T010000Z',
    'u007-cam01-r200-20261127T000030Z',
    'u007-cam01-r310-20261127T000030Z',
    'u007-cam01-r200-20261126T235930Z',
    'u2-door-r400-20261126T221000Z',
    'u1-cam2-r200-20261126T044000Z',
    'u1-cam2-r310-20261126T044000Z',
    'u1-cam1-r200-20261126T041500Z',
  ]);
  assert.deepEqual(await ids({ camera: 'u1-cam2' }), ['u1-cam2-r200-20261126T044000Z', 'u1-cam2-r310-20261126T044000Z']);
  assert.deepEqual(await ids({ rule: 200, day: '2026-11-26' }), [
    'u007-cam01-r200-20261126T235930Z',
    'u1-cam2-r200-20261126T044000Z',
    'u1-cam1-r200-20261126T041500Z',
  ]);
  assert.deepEqual(await ids({ severity: 'warning' }), [
    'u007-cam01-r310-20261127T000030Z',
    'u2-door-r400-20261126T221000Z',
    'u1-cam2-r310-20261126T044000Z',
  ]);
  assert.deepEqual(await ids({ state: 'open' }), ['u1-cam1-r200-20261127T010000Z']);
  assert.equal((await ids({ state: 'ended' })).length, 7);
  assert.deepEqual(await ids({ customer: 'u2' }), ['u2-door-r400-20261126T221000Z']);
  assert.deepEqual(await ids({}, 'u2'), ['u2-door-r400-20261126T221000Z']);
  assert.deepEqual(await ids({ customer: 'u1' }, 'u2'), [], "a customer's scope wins over the filter");
  const first = (await listIncidents(index.db, null, { camera: 'u1-cam1' }, 0, NOW)).rows.at(-1)!;
  assert.deepEqual([first.frameCount, first.sent, first.failed, first.snapshot], [2, 2, 1, '']);
});

test('cameras: the last frame, the median interval over the day before it, and silence at max(10 min, 5 intervals)', async () => {
  const cameras = await listCameras(index.db, index.cameras, null, '2026-11-26');
  const cam1 = cameras.find((c) => c.device === 'cam1')!;
  assert.equal(cam1.lastMs, at('2026-11-27T01:00:00Z'));
  // u1-cam1's frames (analysed and refused) in the day before its last: gaps 1, 4, 40, 10 min, 7 h 55, 11 h 55; median 25 min.
  assert.equal(cam1.medianIntervalMs, 25 * 60_000);
  assert.equal(cam1.silentAfterMs, 125 * 60_000);
  assert.equal(cameraSilent(cam1, at('2026-11-27T03:04:00Z')), false);
  assert.equal(cameraSilent(cam1, at('2026-11-27T03:06:00Z')), true);
  assert.deepEqual([cam1.framesToday, cam1.rejectedToday], [4, 2]);
  const cam2 = cameras.find((c) => c.device === 'cam2')!;
  assert.equal(cam2.medianIntervalMs, null, 'one frame: no interval');
  assert.equal(cam2.silentAfterMs, 10 * 60_000);
  assert.deepEqual(
    (await listCameras(index.db, index.cameras, 'u2', '2026-11-26')).map((c) => `${c.user}-${c.device}`),
    ['u2-door'],
  );
  const days = await cameraDays(index.db, 'u1', 'cam1', 14);
  assert.deepEqual(days, [
    { day: '2026-11-27', frames: 1, objects: 1, threats: 1, rejected: 0, reasons: {} },
    { day: '2026-11-26', frames: 4, objects: 4, threats: 3, rejected: 2, reasons: { resolution: 1, contrast: 2 } },
  ]);
});

test('marks change the state: acknowledged stays open, closed is not open', async () => {
  const id = 'u1-cam1-r200-20261127T010000Z';
  const row = (await listIncidents(index.db, null, { state: 'open' }, 0, NOW)).rows[0]!;
  const alert = JSON.parse(await readFile(store.objectPath(row.sha256), 'utf8')) as Alert;
  const incident = { alert, record: { commit: row.commit, path: row.path, sha256: row.sha256 }, firstMatch: null };
  await addMark(store, incident, { name: 'op', role: 'operator' }, 'acknowledge', '', new Date(NOW));
  await index.refresh();
  assert.deepEqual(
    (await listIncidents(index.db, null, { state: 'acknowledged' }, 0, NOW)).rows.map((r) => [r.id, r.markedBy]),
    [[id, 'op']],
  );
  assert.equal((await overview(index.db, null, '2026-11-27', NOW)).openIncidents.length, 1);
  await addMark(store, incident, { name: 'op', role: 'operator' }, 'close', 'handled', new Date(NOW));
  await index.refresh();
  assert.equal((await overview(index.db, null, '2026-11-27', NOW)).openIncidents.length, 0);
  assert.deepEqual(
    (await listIncidents(index.db, null, { state: 'closed' }, 0, NOW)).rows.map((r) => r.id),
    [id],
  );
  await assert.rejects(
    addMark(store, incident, { name: 'op', role: 'operator' }, 'acknowledge', '', new Date(NOW)),
    /the incident is closed/,
  );
});

test('a new alerts commit replaces the rows of the records that changed and of no other', async () => {
  const fileOf = async () => new Map((await index.db.query('SELECT id, file FROM incidents')).map((r) => [String(r.id), Number(r.file)]));
  const before = await fileOf();
  const u2 = sampleRecords().find((f) => f.repo === 'alerts' && f.path.startsWith('/u2-door/'))!;
  const grown = { ...u2.record, frameCount: 3 } as Alert;
  await put(REPOS.alerts, [{ path: u2.path, bytes: JSON.stringify(grown) }], ['/u1-cam2/u1-cam2-r310-20261126T044000Z.json']);
  assert.equal(await index.refresh(), true);
  const after = await fileOf();
  assert.equal(after.has('u1-cam2-r310-20261126T044000Z'), false);
  assert.notEqual(after.get('u2-door-r400-20261126T221000Z'), before.get('u2-door-r400-20261126T221000Z'));
  for (const id of ['u1-cam1-r200-20261126T041500Z', 'u1-cam2-r200-20261126T044000Z', 'u1-cam1-r200-20261127T010000Z']) {
    assert.equal(after.get(id), before.get(id), `${id} was read again`);
  }
  assert.equal((await listIncidents(index.db, null, { customer: 'u2' }, 0, NOW)).rows[0]?.frameCount, 3);
  assert.equal(await index.refresh(), false, 'nothing new: nothing read');
  // A record that is not an alert is left out, and said so.
  await put(REPOS.alerts, [{ path: '/u2-door/u2-door-r400-20261126T230000Z.json', bytes: '{"not": "an alert"}' }]);
  await index.refresh();
  assert.equal((await listIncidents(index.db, null, { customer: 'u2' }, 0, NOW)).total, 1);
  assert.ok(logged.some((l) => l.includes('u2-door-r400-20261126T230000Z.json is not an alert record')));
});

test('a warehouse commit that rewrites every partition gives the same numbers', async () => {
  const beforeDay = await overview(index.db, null, '2026-11-26', NOW);
  const cameras = await listCameras(index.db, index.cameras, null, '2026-11-26');
  await store.commit(REPOS.warehouse, 'master', { delete: ['/parquet'] });
  assert.equal(await index.refresh(), true);
  assert.equal((await overview(index.db, null, '2026-11-26', NOW)).framesAnalysed, 0, 'no partitions: no frames');
  await put(REPOS.warehouse, await Promise.all(parquetFiles.map(async (f) => ({ path: f.path, bytes: await readFile(f.file) }))));
  assert.equal(await index.refresh(), true);
  assert.deepEqual(await overview(index.db, null, '2026-11-26', NOW), beforeDay);
  assert.deepEqual(await listCameras(index.db, index.cameras, null, '2026-11-26'), cameras);
});
