/**
 * Records retention through the embedded engine and the real CLI: 40 days of frames and their
 * detection records (a marker planted in each), incidents on days 5 and 35, through validated,
 * alerts, deliveries and the warehouse; `vigil retain` with the customer's `frames: 10d, records:
 * 20d` removes every byte of the records older than 20 days (the marker is searched in every
 * file of the store, `vigil sql`'s cache included) and keeps the newer ones; `vigil trace`,
 * `trace --verify` and `vigil fsck` treat the expiry as expected; `vigil sql` counts only the
 * rows retained and notes the expired partitions; the portal's index leaves the expired
 * incident out; a new rules commit afterwards fails nothing and withdraws nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertValid } from '../../specs/index.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { incidentId } from '../../src/contract/incident-id.js';
import { weightsSha256 } from '../../src/contract/model-version.js';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { PortalIndex } from '../../src/portal/portal-index.js';
import { matchRecord } from '../helpers/alert.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { filesHolding, markedFrame } from '../helpers/marked-frames.js';
import { retentionStore, retentionSubscriptions } from '../helpers/retention-store.js';
import { detection } from '../helpers/warehouse-records.js';

const PIPELINES = join(packageRoot(), 'pipelines');
const DAY_MS = 86_400_000;

test('vigil rules check refuses records kept shorter than their frames, naming the user and both periods', async () => {
  const dir = await tempDir('vigil-retention-rules-');
  await writeFile(join(dir, 'rules.yaml'), 'rules: []\n');
  await writeFile(join(dir, 'subscriptions.yaml'), retentionSubscriptions('{ frames: 30d, records: 2w }'));
  const bad = await vigil(['rules', 'check', dir], { root: await tempDir() });
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr.trim(),
    'vigil: subscriptions.yaml, user u1: retention.records 2w is shorter than retention.frames 30d: records are made from frames, so they must be kept at least as long',
  );
});

test('20-day records retention over 40 days: expired records gone everywhere, newer kept, trace, fsck, sql and the portal agree', {
  timeout: 600_000,
}, async () => {
  const root = await tempDir('vigil-retention-records-');
  const files = join(await tempDir('vigil-retention-records-in-'), 'in');
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const base = today - 40 * DAY_MS;
  const days = [...Array.from({ length: 20 }, (_, i) => i * 2), 5, 35].sort((a, b) => a - b);
  const at = (day: number) => new Date(base + day * DAY_MS + 12 * 3_600_000);
  const dayOf = (day: number) => at(day).toISOString().slice(0, 10);
  const markers = new Map<number, string>();
  await mkdir(join(files, 'raw', 'u1-cam1'), { recursive: true });
  for (const day of days) {
    const ts = formatTimestamp(at(day));
    await writeFile(join(files, 'raw', 'u1-cam1', `${ts}.jpg`), await markedFrame(1 + day / 200, `frame of day ${day}`));
    markers.set(day, `VIGIL-RECORD-MARKER-${randomBytes(8).toString('hex')}-day${day}`);
  }
  await retentionStore(root, files, { retention: '{ frames: 10d, records: 20d }', modelJson: '{"weightsManifest": []}' });

  // Detections (what detect would make) of every frame, each with its day's marker; matches for days 5 and 35.
  const head = async (repo: string) =>
    JSON.parse(await vigilOk(['inspect', 'commit', `${repo}@master`, '--raw'], { root })).commit.id as string;
  const validatedHead = await head('validated');
  const model = { name: 'centernet', commit: await head('models'), weightsSha256: weightsSha256(new Map()), backend: 'wasm' };
  const store = await Store.open(root);
  const frameRef = async (day: number) => {
    const path = `/valid/u1-cam1/${formatTimestamp(at(day))}.jpg`;
    const file = (await store.fileAt('validated', validatedHead, path))!;
    return { repo: 'validated', commit: validatedHead, path, sha256: file.sha256, size: file.size };
  };
  for (const repo of ['detections', 'matches']) await mkdir(join(files, repo, 'u1-cam1'), { recursive: true });
  for (const day of days) {
    const ts = formatTimestamp(at(day));
    const { record } = detection('u1-cam1', ts, [], markers.get(day));
    record.frame = await frameRef(day);
    record.model = model;
    await writeFile(join(files, 'detections', 'u1-cam1', `${ts}.json`), JSON.stringify(record));
  }
  for (const day of [5, 35]) {
    const match = matchRecord(at(day), { targets: { email: ['security@example.com'] } });
    match.frame = await frameRef(day);
    await writeFile(join(files, 'matches', 'u1-cam1', `${formatTimestamp(at(day))}.json`), JSON.stringify(match));
  }
  for (const repo of ['detections', 'matches']) {
    await vigilOk(['create', 'repo', repo], { root });
    await vigilOk(['put', 'file', '-r', `${repo}@master:/`, '-f', join(files, repo)], { root });
  }
  for (const spec of ['alerts.yaml', 'digests.yaml', 'deliveries.yaml', 'warehouse.yaml']) {
    await vigilOk(['create', 'pipeline', '-f', join(PIPELINES, spec)], { root });
  }
  const first = await vigil(['run'], { root });
  assert.equal(first.code, 0, first.stdout + first.stderr);

  const [old, recent] = [5, 35].map((day) => incidentId('u1', 'cam1', 200, at(day)));
  const sql = async (query: string) => {
    const r = await vigil(['sql', '--json', query], { root });
    assert.equal(r.code, 0, r.stderr);
    return { rows: JSON.parse(r.stdout) as Record<string, unknown>[], stderr: r.stderr };
  };
  assert.deepEqual((await sql('SELECT count(*)::INTEGER AS n FROM detections')).rows, [{ n: days.length }]);
  assert.deepEqual((await sql('SELECT incident_id FROM alerts ORDER BY incident_id')).rows, [
    { incident_id: old },
    { incident_id: recent },
  ]);
  const portal: string[] = [];
  const index = await PortalIndex.open(store, (line) => portal.push(line));
  const incidents = async () => (await index.db.query('SELECT id FROM incidents ORDER BY id')).map((r) => r.id);
  assert.deepEqual(await incidents(), [old, recent]);

  // Every marker is in the store before retention (the search finds what it looks for).
  for (const marker of markers.values()) assert.notDeepEqual(await filesHolding(root, marker), [], marker);

  const now = new Date(today).toISOString();
  const retained = await vigilOk(['retain', '--now', now], { root });
  const expiredDays = days.filter((d) => d < 20);
  assert.match(
    retained,
    new RegExp(
      `^retention u1: frames 10d \\(before ${new Date(today - 10 * DAY_MS).toISOString()}\\), records 20d \\(before ${new Date(today - 20 * DAY_MS).toISOString()}\\)$`,
      'm',
    ),
  );
  assert.match(retained, new RegExp(`^detections: ${expiredDays.length} records of u1-cam1, captured ${dayOf(0)} to ${dayOf(18)}$`, 'm'));
  assert.match(retained, new RegExp(`^matches: 1 record of u1-cam1, captured ${dayOf(5)} to ${dayOf(5)}$`, 'm'));
  assert.match(retained, /^alerts: 1 file of u1-cam1/m, 'the snapshot, a frame');
  assert.match(retained, /^alerts: 1 record of u1-cam1/m);
  assert.match(retained, /^deliveries: 1 record of u1-cam1/m);
  assert.match(retained, new RegExp(`^warehouse: \\d+ records of u1-cam1, captured ${dayOf(0)} to ${dayOf(18)}$`, 'm'));
  assert.match(retained, /^removed \d+ objects \(\S+\) of expired frames, \d+ objects \(\S+\) of expired records$/m);

  for (const day of days) {
    const holding = await filesHolding(root, markers.get(day)!);
    if (day < 20) assert.deepEqual(holding, [], `day ${day}: an expired record's bytes remain`);
    else assert.notDeepEqual(holding, [], `day ${day}: a record within retention lost its bytes`);
  }

  // Paths stay; reads and trace say why the bytes are gone.
  const expiredOn = now.slice(0, 10);
  const oldDetection = `detections@master:/u1-cam1/${formatTimestamp(at(0))}.json`;
  const gone = await vigil(['get', 'file', oldDetection], { root });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, new RegExp(`expired on ${expiredOn} \\(retention\\)`));
  assert.doesNotMatch(gone.stderr, /at .*\.js:\d+/, 'no stack for an expired file');
  assert.match(await vigilOk(['list', 'file', 'alerts@master:/u1-cam1'], { root }), new RegExp(`${old}\\.json`));
  const oldDeliveries = `deliveries@master:/u1-cam1/${old}.json`;
  const trace = await vigil(['trace', '--verify', oldDeliveries], { root });
  assert.equal(trace.code, 0, trace.stdout + trace.stderr);
  assert.match(trace.stdout, new RegExp(`deliveries of incident .*\\n.*expired on ${expiredOn} \\(retention\\)`));
  assert.match(trace.stdout, /what it was made from was written in its bytes, which expired: the trace stops here/);
  assert.match(trace.stdout, /1 expired file, as expected/);
  // A record still kept whose frame expired (day 24): the record reads, its frames are expired, as expected.
  const keptTrace = await vigil(['trace', '--verify', `detections@master:/u1-cam1/${formatTimestamp(at(24))}.json`], { root });
  assert.equal(keptTrace.code, 0, keptTrace.stdout + keptTrace.stderr);
  assert.match(keptTrace.stdout, /the frame could not be read: VIGIL-RECORD-MARKER-\w+-day24/);
  assert.match(keptTrace.stdout, /2 expired files, as expected/);
  const fsck = await vigil(['fsck'], { root });
  assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);

  // vigil sql: only the rows retained, and a note of the partitions that expired.
  const counted = await sql('SELECT count(*)::INTEGER AS n FROM detections');
  assert.deepEqual(counted.rows, [{ n: days.length - expiredDays.length }]);
  assert.match(
    counted.stderr,
    new RegExp(
      `^note: \\d+ partition files of warehouse@master \\(days ${dayOf(0)} to ${dayOf(18)}\\) expired on ${expiredOn} \\(retention\\): their rows are in no table$`,
      'm',
    ),
  );
  assert.deepEqual((await sql('SELECT incident_id FROM alerts')).rows, [{ incident_id: recent }]);

  // The portal's index, built before, leaves the expired incident out at its next refresh and says so.
  await index.refresh();
  assert.deepEqual(await incidents(), [recent]);
  assert.ok(
    portal.some((line) => line.startsWith(`portal: 1 file of alerts@`) && line.includes(`expired on ${expiredOn} (retention)`)),
    portal.join('\n'),
  );
  await index.stop();

  // A new rules commit: nothing fails, nothing is withdrawn, the expired records stay expired.
  await writeFile(join(files, 'rules', 'rules.yaml'), 'rules: []\n# v2\n');
  await vigilOk(['put', 'file', 'rules@master:/rules.yaml', '-f', join(files, 'rules', 'rules.yaml')], { root });
  const second = await vigil(['run'], { root });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.doesNotMatch(second.stdout, /JOB_FAILURE/);
  const active = assertValid(
    'deliveries',
    JSON.parse(await vigilOk(['get', 'file', `deliveries@master:/u1-cam1/${recent}.json`], { root })),
    recent,
  );
  assert.equal(active.state, 'active');
  assert.match((await vigil(['get', 'file', oldDeliveries], { root })).stderr, /expired on/);
  assert.deepEqual((await sql('SELECT count(*)::INTEGER AS n FROM detections')).rows, [{ n: days.length - expiredDays.length }]);
  for (const day of expiredDays) assert.deepEqual(await filesHolding(root, markers.get(day)!), [], `day ${day} after the new run`);
});
