/**
 * The `warehouse` stage: its pure core (records to rows), the step as a child process on a
 * hand-laid PFS_ROOT writing one Parquet partition per camera and kind, and its pipeline specs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parsePipelineSpecs, readPipelineSpecs } from '../../src/engine/pps/spec.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { alertRows, datumRows, detectionRows, matchRows, rejectionRows, unionBranch, type Lineage } from '../../steps/warehouse/core.js';
import { tempDir } from '../helpers/cli.js';
import { alert, delivery, detection, layInputs, rejection, runWarehouseStep, sampleRecords } from '../helpers/warehouse-records.js';

const SRC: Lineage = { repo: 'detections', path: '/u1-cam1/20261126T041500Z.json', sha256: 'a'.repeat(64), commit: 'c1' };

test('a detection becomes one row per object, each with the frame, model and record lineage', () => {
  const d = detection('u1-cam1', '20261126T041500Z', [
    ['person', 0.91],
    ['dog', 0.5],
  ]).record;
  const rows = detectionRows(d, SRC);
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((r) => [r.object_index, r.label, r.class_id, r.score]),
    [
      [0, 'person', 0, 0.91],
      [1, 'dog', 16, 0.5],
    ],
  );
  assert.equal(rows[0].captured_at.toISOString(), '2026-11-26T04:15:00.000Z');
  assert.equal(rows[1].box_x, 0.1);
  assert.equal(rows[0].frame_path, '/valid/u1-cam1/20261126T041500Z.jpg');
  assert.equal(rows[0].model_name, 'centernet');
  assert.deepEqual([rows[1].repo, rows[1].path, rows[1].sha256, rows[1].commit], [SRC.repo, SRC.path, SRC.sha256, SRC.commit]);
});

test('a frame with no object (or an unreadable one) is kept as one row with a null label', () => {
  const d = detection('u2-door', '20261126T221230.500Z', [], 'decode failed').record;
  const [row, ...rest] = detectionRows(d, SRC);
  assert.equal(rest.length, 0);
  assert.equal(row.label, null);
  assert.equal(row.object_index, null);
  assert.equal(row.error, 'decode failed');
  assert.equal(row.captured_at.toISOString(), '2026-11-26T22:12:30.500Z');
});

test('a match becomes one row per fired rule, with its labels, zones and alert channels', () => {
  const m = sampleRecords().find((f) => f.repo === 'matches')!.record;
  const rows = matchRows(m, { ...SRC, repo: 'matches' });
  assert.deepEqual(
    rows.map((r) => [r.rule_id, r.rule_name, r.severity, r.objects]),
    [
      [200, 'person at night', 'critical', 2],
      [300, 'any person', 'info', 1],
    ],
  );
  assert.deepEqual(rows[0].labels, ['person']);
  assert.deepEqual(rows[0].zones, ['yard']);
  assert.deepEqual(rows[1].zones, []);
  assert.equal(rows[0].max_score, 0.91);
  assert.deepEqual(rows[0].channels, ['email', 'webhook']);
  assert.equal(rows[0].detection_path, '/u1-cam1/20261126T041500Z.json');
});

test('a rejection becomes one row per reason; an unparsable name keeps null user and time', () => {
  const r = rejection('u1-cam1', '20261126T050000Z', ['resolution', 'contrast']).record;
  const rows = rejectionRows(r, SRC);
  assert.deepEqual(
    rows.map((x) => [x.reason_index, x.code, x.measured, x.limit_value]),
    [
      [0, 'resolution', '320x200', '640x480'],
      [1, 'contrast', '3.5', '10'],
    ],
  );
  const unparsed = rejectionRows(rejection(null, null, ['name']).record, SRC);
  assert.deepEqual([unparsed[0].user, unparsed[0].device, unparsed[0].captured_at, unparsed[0].code], [null, null, null, 'name']);
});

test('an alert becomes one row per delivery outcome; an incident with no target still has one row', () => {
  const a = alert('u1-cam1', 200, 'critical', '20261126T041500Z', '20261126T041600Z', 2, [
    delivery('email', 'sent', '20261126T041500Z', 40),
    delivery('pagerduty', 'failed', '20261126T041500Z', 90),
  ]).record;
  const rows = alertRows(a, SRC);
  assert.deepEqual(
    rows.map((r) => [r.channel, r.status, r.attempts, r.response_status]),
    [
      ['email', 'sent', 1, 202],
      ['pagerduty', 'failed', 3, 500],
    ],
  );
  assert.equal(rows[0].last_attempt_at!.toISOString(), '2026-11-26T04:15:40.000Z');
  assert.equal(rows[1].first_attempt_at!.toISOString(), '2026-11-26T04:16:10.000Z');
  assert.equal(rows[0].incident_id, 'u1-cam1-r200-20261126T041500Z');
  const none = alertRows({ ...a, deliveries: [] }, SRC);
  assert.equal(none.length, 1);
  assert.deepEqual([none[0].channel, none[0].status, none[0].frame_count], [null, null, 2]);
});

test('bad record files are load errors naming the file and the problem; the good ones still load', () => {
  const good = sampleRecords().find((f) => f.repo === 'detections')!;
  const { table, rows, loadErrors } = datumRows('detections', [
    { src: { ...SRC, path: good.path }, text: JSON.stringify(good.record) },
    { src: { ...SRC, path: '/u1-cam1/broken.json' }, text: '{"user": ' },
    { src: { ...SRC, path: '/u1-cam1/other.json' }, text: JSON.stringify({ user: 'u1' }) },
    { src: { ...SRC, path: '/u1-cam1/notes.txt' }, text: 'hello' },
  ]);
  assert.equal(table, 'detections');
  assert.equal(rows.length, 2);
  assert.deepEqual(
    loadErrors.map((e) => e.path),
    ['/u1-cam1/broken.json', '/u1-cam1/other.json', '/u1-cam1/notes.txt'],
  );
  assert.match(loadErrors[0].reason, /^not JSON/);
  assert.match(loadErrors[1].reason, /\/u1-cam1\/other\.json: missing field "device"/);
  assert.equal(loadErrors[2].reason, 'not a .json record file');
  assert.equal(loadErrors[0].table_name, 'detections');
});

test("a datum's union branch is the one input variable set", () => {
  assert.equal(unionBranch({ PFS_ROOT: '/pfs', matches: '/pfs/matches/u1-cam1', matches_COMMIT: 'abc' }), 'matches');
  assert.equal(unionBranch({ validated: '/pfs/validated/rejected/u1-cam1' }), 'validated');
  assert.throws(
    () => unionBranch({ PFS_ROOT: '/pfs' }),
    /names exactly one of detections, matches, alerts, validated; this one names none/,
  );
  assert.throws(() => unionBranch({ alerts: '/a', matches: '/m' }), /this one names matches, alerts/);
});

// ---- the step, one datum per process ----

let pfs: string;

before(async () => {
  pfs = await tempDir('vigil-warehouse-');
  const files = sampleRecords();
  // A broken file beside u1-cam1's good detections: recorded, never fatal.
  await layInputs(pfs, files);
  await writeFile(join(pfs, 'detections', 'u1-cam1', '20261126T235959Z.json'), '{"truncated": ');
  await runWarehouseStep(pfs, files);
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function query(sql: string, params?: Record<string, string>): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql, params)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test('the step writes one Parquet partition per camera and table, and load errors beside them', async () => {
  assert.deepEqual(await filesUnder(join(pfs, 'out')), [
    'parquet/alerts/device=u1-cam1/part.parquet',
    'parquet/alerts/device=u1-cam2/part.parquet',
    'parquet/alerts/device=u2-door/part.parquet',
    'parquet/detections/device=u1-cam1/part.parquet',
    'parquet/detections/device=u1-cam2/part.parquet',
    'parquet/detections/device=u2-door/part.parquet',
    'parquet/frames_rejected/device=_unparsed/part.parquet',
    'parquet/frames_rejected/device=u1-cam1/part.parquet',
    'parquet/frames_rejected/device=u2-door/part.parquet',
    'parquet/load_errors/device=u1-cam1/detections.parquet',
    'parquet/matches/device=u1-cam1/part.parquet',
    'parquet/matches/device=u1-cam2/part.parquet',
    'parquet/matches/device=u2-door/part.parquet',
  ]);
});

test('each partition holds its camera rows with the lineage of the record file they came from', async () => {
  const file = join(pfs, 'out', 'parquet', 'detections', 'device=u1-cam1', 'part.parquet');
  const rows = await query(
    `SELECT path, label, strftime(captured_at, '%Y-%m-%dT%H:%M:%S') AS at, repo, sha256, commit FROM read_parquet($file) ORDER BY path, object_index`,
    { file },
  );
  assert.deepEqual(
    rows.map((r) => [r.path, r.label, r.at]),
    [
      ['/u1-cam1/20261126T041500Z.json', 'person', '2026-11-26T04:15:00'],
      ['/u1-cam1/20261126T041500Z.json', 'person', '2026-11-26T04:15:00'],
      ['/u1-cam1/20261126T041600Z.json', 'person', '2026-11-26T04:16:00'],
      ['/u1-cam1/20261126T042000Z.json', null, '2026-11-26T04:20:00'],
      ['/u1-cam1/20261126T130500Z.json', 'car', '2026-11-26T13:05:00'],
      ['/u1-cam1/20261127T010000Z.json', 'person', '2026-11-27T01:00:00'],
    ],
  );
  const bytes = await readFile(join(pfs, 'detections', 'u1-cam1', '20261126T041600Z.json'));
  const lineage = rows.find((r) => r.path === '/u1-cam1/20261126T041600Z.json')!;
  assert.deepEqual([lineage.repo, lineage.sha256, lineage.commit], ['detections', sha256(bytes), 'c0001']);

  const rejected = await query(`SELECT path, code FROM read_parquet($file) ORDER BY path, reason_index`, {
    file: join(pfs, 'out', 'parquet', 'frames_rejected', 'device=u1-cam1', 'part.parquet'),
  });
  assert.deepEqual(
    rejected.map((r) => [r.path, r.code]),
    [
      ['/rejected/u1-cam1/20261126T050000Z.json', 'resolution'],
      ['/rejected/u1-cam1/20261126T050000Z.json', 'contrast'],
      ['/rejected/u1-cam1/20261126T051000Z.json', 'contrast'],
    ],
  );
  const errors = await query(`SELECT table_name, path, reason FROM read_parquet($file)`, {
    file: join(pfs, 'out', 'parquet', 'load_errors', 'device=u1-cam1', 'detections.parquet'),
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].path, '/u1-cam1/20261126T235959Z.json');
  assert.match(errors[0].reason as string, /^not JSON/);
});

test('the Parquet files have exactly the columns and types of warehouse/tables.sql', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(await readFile(join(packageRoot(), 'warehouse', 'tables.sql'), 'utf8'));
    for (const table of ['detections', 'matches', 'frames_rejected', 'alerts']) {
      const file = join(pfs, 'out', 'parquet', table, 'device=u1-cam1', 'part.parquet');
      const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet($file)`, { file })).getRowObjectsJson();
      const declared = (await connection.runAndReadAll(`DESCRIBE ${table}`)).getRowObjectsJson();
      assert.deepEqual(
        described.map((c) => [c.column_name, c.column_type]),
        declared.map((c) => [c.column_name, c.column_type]),
        table,
      );
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

test("the pipeline specs pass Pachyderm's CreatePipelineRequest schema and wire the stages as documented", async () => {
  const [warehouse] = await readPipelineSpecs(join(packageRoot(), 'pipelines', 'warehouse.yaml'));
  assert.equal(warehouse.name, 'warehouse');
  assert.deepEqual(warehouse.transform.cmd, ['vigil', 'step', 'warehouse']);
  assert.equal(warehouse.transform.image, 'vigil/vigil:0.1.0');
  assert.equal(warehouse.transform.datumBatching, true);
  assert.ok('union' in warehouse.input);
  assert.deepEqual(
    warehouse.input.union.map((i) => ('pfs' in i ? [i.pfs.name, i.pfs.repo, i.pfs.glob] : null)),
    [
      ['detections', 'detections', '/*'],
      ['matches', 'matches', '/*'],
      ['alerts', 'alerts', '/*'],
      ['validated', 'validated', '/rejected/*'],
    ],
  );
  // The same check rejects a misspelt field: the schema is really applied.
  const text = await readFile(join(packageRoot(), 'pipelines', 'warehouse.yaml'), 'utf8');
  assert.throws(() => parsePipelineSpecs(text.replace('datumBatching', 'datumBatchin'), 'warehouse.yaml'), /unknown field/);
  const [reports] = await readPipelineSpecs(join(packageRoot(), 'pipelines', 'reports.yaml'));
  assert.equal(reports.name, 'reports');
  assert.deepEqual(reports.transform.cmd, ['vigil', 'step', 'report']);
  assert.equal(reports.transform.image, 'vigil/vigil:0.1.0');
  assert.deepEqual('pfs' in reports.input && [reports.input.pfs.repo, reports.input.pfs.glob], ['warehouse', '/']);
});
