/**
 * The `report` stage and the analysts' warehouse on known records: the warehouse step's
 * partitions, then the report step as the reports pipeline runs it (one datum per UTC day);
 * every view's numbers checked exactly as an analyst's own DuckDB sees them (the SQL of
 * `vigil sql --print-setup`, views over the Parquet files), the same numbers from `vigil sql`
 * (its cache of warehouse@master), the daily JSON and HTML, and `vigil report daily`.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DailyReport } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { columnChart, horizontalBars, niceStep } from '../../src/render/charts.js';
import { parseNamedQueries, renderDailyHtml } from '../../steps/report/core.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { newStore } from '../helpers/engine.js';
import { repoFiles, runStepPerDatum, runWarehouseStep, sampleRecords, sampleRules } from '../helpers/warehouse-records.js';

let parquet: string;
let out: string;
let store: string;
let reportDatums: number;
let analyst: { instance: DuckDBInstance; connection: DuckDBConnection };

before(async () => {
  const warehouse = await tempDir('vigil-report-warehouse-');
  await runWarehouseStep(warehouse, [...sampleRecords(), { repo: 'detections', path: '/u2-door/notes.json', text: 'not json' }]);
  parquet = join(warehouse, 'out', 'parquet');
  // The report step on each day's partitions, as the reports pipeline groups them.
  const reports = await tempDir('vigil-report-');
  reportDatums = await runStepPerDatum(
    'report',
    'reports.yaml',
    reports,
    [...(await repoFiles('warehouse', join(warehouse, 'out'))), ...sampleRules()],
    'w0001',
  );
  out = join(reports, 'out');
  // The same outputs committed to a store, for the CLI.
  store = join(reports, 'store');
  for (const [repo, dir] of [
    ['warehouse', join(warehouse, 'out')],
    ['reports', out],
  ]) {
    await vigilOk(['create', 'repo', repo], { root: store });
    await vigilOk(['put', 'file', `${repo}@master:/`, '-r', '-f', dir], { root: store });
  }
  // An analyst's own DuckDB, set up with what vigil sql --print-setup prints for the folder.
  const setup = await vigilOk(['sql', '--print-setup', parquet], { root: store });
  const instance = await DuckDBInstance.create(':memory:');
  analyst = { instance, connection: await instance.connect() };
  await analyst.connection.run(setup);
});

/** Runs `sql` in the analyst's DuckDB: views over the Parquet partitions. */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  return (await analyst.connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

const rounded = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v])));

test('the report step runs one datum per UTC day and writes its page and JSON, and per customer and day, no database', async () => {
  assert.equal(reportDatums, 2);
  assert.deepEqual((await readdir(out, { recursive: true })).sort(), [
    'daily',
    'daily/2026-11-26',
    'daily/2026-11-26.html',
    'daily/2026-11-26.json',
    'daily/2026-11-26/u007.html',
    'daily/2026-11-26/u007.json',
    'daily/2026-11-26/u1.html',
    'daily/2026-11-26/u1.json',
    'daily/2026-11-26/u2.html',
    'daily/2026-11-26/u2.json',
    'daily/2026-11-27',
    'daily/2026-11-27.html',
    'daily/2026-11-27.json',
    'daily/2026-11-27/u007.html',
    'daily/2026-11-27/u007.json',
    'daily/2026-11-27/u1.html',
    'daily/2026-11-27/u1.json',
  ]);
});

test('the tables hold every record, one row per object, rule, reason and delivery, with the partition keys', async () => {
  assert.deepEqual(
    await query(`
    SELECT (SELECT count(*) FROM detections)::INTEGER AS detections, (SELECT count(*) FROM matches)::INTEGER AS matches,
           (SELECT count(*) FROM frames_rejected)::INTEGER AS frames_rejected, (SELECT count(*) FROM alerts)::INTEGER AS alerts,
           (SELECT count(*) FROM load_errors)::INTEGER AS load_errors`),
    [{ detections: 13, matches: 10, frames_rejected: 6, alerts: 11, load_errors: 1 }],
  );
  assert.deepEqual(await query(`SELECT table_name, path, commit, day, camera FROM load_errors`), [
    { table_name: 'detections', path: '/u2-door/notes.json', commit: 'c0001', day: null, camera: null },
  ]);
  // Lineage survives into the warehouse.
  assert.deepEqual(await query(`SELECT DISTINCT repo, commit FROM matches`), [{ repo: 'matches', commit: 'c0001' }]);
  // The partition keys agree with the rows: day is the capture's UTC day, camera <user>-<device>.
  assert.deepEqual(
    await query(`SELECT count(*)::INTEGER AS n FROM detections WHERE day <> CAST(captured_at AS DATE) OR camera <> user || '-' || device`),
    [{ n: 0 }],
  );
});

test('daily_threats counts the rules that fired per day, camera and rule', async () => {
  assert.deepEqual(
    await query(`SELECT strftime(day, '%Y-%m-%d') AS day, user, device, rule_id, rule, severity, threats FROM daily_threats ORDER BY ALL`),
    [
      { day: '2026-11-26', user: 'u007', device: 'cam01', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 1 },
      { day: '2026-11-26', user: 'u1', device: 'cam1', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 2 },
      { day: '2026-11-26', user: 'u1', device: 'cam1', rule_id: 300, rule: 'any person', severity: 'info', threats: 1 },
      { day: '2026-11-26', user: 'u1', device: 'cam2', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 1 },
      { day: '2026-11-26', user: 'u1', device: 'cam2', rule_id: 310, rule: 'animal', severity: 'warning', threats: 1 },
      { day: '2026-11-26', user: 'u2', device: 'door', rule_id: 400, rule: 'visitor', severity: 'warning', threats: 1 },
      { day: '2026-11-27', user: 'u007', device: 'cam01', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 1 },
      { day: '2026-11-27', user: 'u007', device: 'cam01', rule_id: 310, rule: 'animal', severity: 'warning', threats: 1 },
      { day: '2026-11-27', user: 'u1', device: 'cam1', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 1 },
    ],
  );
});

test('threats_by_user splits each day and user by severity', async () => {
  assert.deepEqual(await query(`SELECT strftime(day, '%Y-%m-%d') AS day, * EXCLUDE (day) FROM threats_by_user ORDER BY day, user`), [
    { day: '2026-11-26', user: 'u007', threats: 1, devices: 1, critical: 1, error: 0, warning: 0, info: 0 },
    { day: '2026-11-26', user: 'u1', threats: 5, devices: 2, critical: 3, error: 0, warning: 1, info: 1 },
    { day: '2026-11-26', user: 'u2', threats: 1, devices: 1, critical: 0, error: 0, warning: 1, info: 0 },
    { day: '2026-11-27', user: 'u007', threats: 2, devices: 1, critical: 1, error: 0, warning: 1, info: 0 },
    { day: '2026-11-27', user: 'u1', threats: 1, devices: 1, critical: 1, error: 0, warning: 0, info: 0 },
  ]);
});

test('rejections_by_reason counts refused frames per camera and reason, the unparsable name without a day', async () => {
  assert.deepEqual(
    await query(
      `SELECT strftime(day, '%Y-%m-%d') AS day, user, device, code, frames FROM rejections_by_reason ORDER BY day NULLS LAST, user, device, code`,
    ),
    [
      { day: '2026-11-26', user: 'u1', device: 'cam1', code: 'contrast', frames: 2 },
      { day: '2026-11-26', user: 'u1', device: 'cam1', code: 'resolution', frames: 1 },
      { day: '2026-11-26', user: 'u2', device: 'door', code: 'decode', frames: 1 },
      { day: '2026-11-27', user: 'u007', device: 'cam01', code: 'size', frames: 1 },
      { day: null, user: null, device: null, code: 'name', frames: 1 },
    ],
  );
});

test('alert_latency gives capture-to-delivery percentiles per channel over sent alerts only', async () => {
  // email sent after 40, 60, 20, 30 (26th) and 120, 45 s (27th); webhook after 120 and 10 s; the failed page and webhook are left out.
  assert.deepEqual(rounded(await query(`SELECT * FROM alert_latency ORDER BY channel`)), [
    { channel: 'email', delivered: 6, p50_seconds: 42.5, p90_seconds: 90, p99_seconds: 117, max_seconds: 120 },
    { channel: 'webhook', delivered: 2, p50_seconds: 65, p90_seconds: 109, p99_seconds: 118.9, max_seconds: 120 },
  ]);
  assert.deepEqual(
    rounded(await query(`SELECT strftime(day, '%Y-%m-%d') AS day, * EXCLUDE (day) FROM alert_latency_daily ORDER BY day, channel`)),
    [
      { day: '2026-11-26', channel: 'email', delivered: 4, p50_seconds: 35, p90_seconds: 54, p99_seconds: 59.4, max_seconds: 60 },
      { day: '2026-11-26', channel: 'webhook', delivered: 2, p50_seconds: 65, p90_seconds: 109, p99_seconds: 118.9, max_seconds: 120 },
      { day: '2026-11-27', channel: 'email', delivered: 2, p50_seconds: 82.5, p90_seconds: 112.5, p99_seconds: 119.25, max_seconds: 120 },
    ],
  );
  assert.deepEqual(await query(`SELECT incident_id, channel, latency_seconds FROM delivery_latency ORDER BY latency_seconds, channel`), [
    { incident_id: 'u1-cam2-r200-20261126T044000Z', channel: 'webhook', latency_seconds: 10 },
    { incident_id: 'u1-cam2-r310-20261126T044000Z', channel: 'email', latency_seconds: 20 },
    { incident_id: 'u007-cam01-r200-20261126T235930Z', channel: 'email', latency_seconds: 30 },
    { incident_id: 'u1-cam1-r200-20261126T041500Z', channel: 'email', latency_seconds: 40 },
    { incident_id: 'u007-cam01-r200-20261127T000030Z', channel: 'email', latency_seconds: 45 },
    { incident_id: 'u1-cam2-r200-20261126T044000Z', channel: 'email', latency_seconds: 60 },
    { incident_id: 'u1-cam1-r200-20261127T010000Z', channel: 'email', latency_seconds: 120 },
    { incident_id: 'u1-cam1-r200-20261126T041500Z', channel: 'webhook', latency_seconds: 120 },
  ]);
});

test('unmatched_daily counts analysed frames on which no rule fired, and their objects', async () => {
  assert.deepEqual(
    await query(`SELECT strftime(day, '%Y-%m-%d') AS day, * EXCLUDE (day) FROM unmatched_daily ORDER BY day, user, device`),
    [
      { day: '2026-11-26', user: 'u007', device: 'cam01', frames: 1, unmatched_frames: 0, unmatched_objects: 0 },
      { day: '2026-11-26', user: 'u1', device: 'cam1', frames: 4, unmatched_frames: 2, unmatched_objects: 1 },
      { day: '2026-11-26', user: 'u1', device: 'cam2', frames: 1, unmatched_frames: 0, unmatched_objects: 0 },
      { day: '2026-11-26', user: 'u2', device: 'door', frames: 2, unmatched_frames: 1, unmatched_objects: 0 },
      { day: '2026-11-27', user: 'u007', device: 'cam01', frames: 1, unmatched_frames: 0, unmatched_objects: 0 },
      { day: '2026-11-27', user: 'u1', device: 'cam1', frames: 1, unmatched_frames: 0, unmatched_objects: 0 },
    ],
  );
  assert.deepEqual(await query(`SELECT path, objects FROM frames_analysed WHERE device = 'cam1' ORDER BY path`), [
    { path: '/u1-cam1/20261126T041500Z.json', objects: 2 },
    { path: '/u1-cam1/20261126T041600Z.json', objects: 1 },
    { path: '/u1-cam1/20261126T042000Z.json', objects: 0 },
    { path: '/u1-cam1/20261126T130500Z.json', objects: 1 },
    { path: '/u1-cam1/20261127T010000Z.json', objects: 1 },
  ]);
  assert.deepEqual(await query(`SELECT strftime(day, '%Y-%m-%d') AS day FROM days ORDER BY day`), [
    { day: '2026-11-26' },
    { day: '2026-11-27' },
  ]);
});

test("the day's JSON has the report's numbers and its schema", async () => {
  const report = assertValid('daily-report', JSON.parse(await readFile(join(out, 'daily', '2026-11-26.json'), 'utf8')), '2026-11-26.json');
  assert.equal(report.day, '2026-11-26');
  assert.deepEqual(report.source, { repo: 'warehouse', commit: 'w0001' });
  assert.equal(report.subscriptions.path, '/subscriptions.yaml');
  assert.deepEqual(report.unsubscribedCameras, [], 'every camera of the day is subscribed');
  assert.deepEqual(report.totals, {
    framesAnalysed: 8,
    unmatchedFrames: 3,
    threats: 7,
    usersWithThreats: 3,
    devicesWithThreats: 4,
    rejectedFrames: 3,
    incidents: 5,
    alertsSent: 6,
    alertsFailed: 1,
  });
  assert.deepEqual(
    report.threatsByUser.map((u) => [u.user, u.threats, u.critical, u.warning, u.info]),
    [
      ['u1', 5, 3, 1, 1],
      ['u007', 1, 1, 0, 0],
      ['u2', 1, 0, 1, 0],
    ],
  );
  assert.deepEqual(
    report.threatsByHour.filter((h) => h.threats > 0),
    [
      { hour: 4, threats: 5 },
      { hour: 22, threats: 1 },
      { hour: 23, threats: 1 },
    ],
  );
  assert.deepEqual(
    report.threatsByHour.map((h) => h.hour),
    [...Array(24).keys()],
  );
  assert.deepEqual(report.topDevices, [
    { user: 'u1', device: 'cam1', threats: 3 },
    { user: 'u1', device: 'cam2', threats: 2 },
    { user: 'u007', device: 'cam01', threats: 1 },
    { user: 'u2', device: 'door', threats: 1 },
  ]);
  assert.deepEqual(report.threatsByRule, [
    { ruleId: 200, rule: 'person at night', severity: 'critical', threats: 4 },
    { ruleId: 300, rule: 'any person', severity: 'info', threats: 1 },
    { ruleId: 310, rule: 'animal', severity: 'warning', threats: 1 },
    { ruleId: 400, rule: 'visitor', severity: 'warning', threats: 1 },
  ]);
  assert.deepEqual(report.rejectionReasons, [
    { code: 'contrast', frames: 2 },
    { code: 'decode', frames: 1 },
    { code: 'resolution', frames: 1 },
  ]);
  assert.deepEqual(report.alertOutcomes, [
    { channel: 'email', status: 'sent', deliveries: 4 },
    { channel: 'pagerduty', status: 'failed', deliveries: 1 },
    { channel: 'webhook', status: 'sent', deliveries: 2 },
  ]);
  assert.deepEqual(rounded(report.alertLatency as unknown as Record<string, unknown>[]), [
    { channel: 'email', delivered: 4, p50Seconds: 35, p90Seconds: 54, p99Seconds: 59.4, maxSeconds: 60 },
    { channel: 'webhook', delivered: 2, p50Seconds: 65, p90Seconds: 109, p99Seconds: 118.9, maxSeconds: 120 },
  ]);
  const next = assertValid('daily-report', JSON.parse(await readFile(join(out, 'daily', '2026-11-27.json'), 'utf8')), '2026-11-27.json');
  assert.deepEqual(next.totals, {
    framesAnalysed: 2,
    unmatchedFrames: 0,
    threats: 3,
    usersWithThreats: 2,
    devicesWithThreats: 2,
    rejectedFrames: 1,
    incidents: 3,
    alertsSent: 2,
    alertsFailed: 1,
  });
  // Each side of midnight holds only its own frames: u007-cam01's 23:59:30 on the 26th, its 00:00:30 on the 27th.
  assert.deepEqual(
    next.threatsByHour.filter((h) => h.threats > 0),
    [
      { hour: 0, threats: 2 },
      { hour: 1, threats: 1 },
    ],
  );
});

test('the page is self-contained: no script, no link, nothing fetched; it shows the totals and every chart', async () => {
  const html = await readFile(join(out, 'daily', '2026-11-26.html'), 'utf8');
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import/i);
  assert.deepEqual(html.match(/https?:\/\/[^"\s]*/g), Array(5).fill('http://www.w3.org/2000/svg'));
  assert.equal((html.match(/<svg /g) ?? []).length, 5);
  for (const heading of [
    'Threats per user',
    'Threats per hour (UTC)',
    'Top devices',
    'Threats per rule',
    'Rejection reasons',
    'Alert delivery outcomes',
  ]) {
    assert.ok(html.includes(`<h2>${heading}</h2>`), heading);
  }
  assert.match(html, /<div class="n">7<\/div><div class="what">threats<\/div>/);
  assert.match(html, /<div class="n">3<\/div><div class="what">frames rejected<\/div>/);
  assert.match(html, /<title>u1 · critical: 3<\/title>/);
  assert.match(html, /<title>u1-cam2: 2<\/title>/);
});

test('vigil sql queries warehouse@master as a table, JSON or CSV', async () => {
  const table = await vigilOk(['sql', 'SELECT user, sum(threats) AS threats FROM daily_threats GROUP BY user ORDER BY user'], {
    root: store,
  });
  assert.equal(table, 'user   threats\nu007   3\nu1     6\nu2     1\n(3 rows)\n');
  const json = await vigilOk(['sql', '--json', 'SELECT channel, delivered, max_seconds FROM alert_latency ORDER BY channel'], {
    root: store,
  });
  assert.deepEqual(JSON.parse(json), [
    { channel: 'email', delivered: 6, max_seconds: 120 },
    { channel: 'webhook', delivered: 2, max_seconds: 120 },
  ]);
  const csv = await vigilOk(['sql', '--csv', `SELECT count(*) AS n, 'a,"b"' AS s, NULL AS x, [1, 2] AS l`], { root: store });
  assert.equal(csv, 'n,s,x,l\n1,"a,""b""",,"[1,2]"\n');
  const bad = await vigil(['sql', 'SELECT * FROM no_such_view'], { root: store });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^vigil: the query failed on warehouse@[0-9a-f]+: .*no_such_view/);
  // The cache is read-only to queries: nothing a query does changes what the next one sees.
  const drop = await vigil(['sql', 'DROP TABLE matches'], { root: store });
  assert.equal(drop.code, 1);
  assert.match(drop.stderr, /read-only/);
  const empty = await vigil(['sql', 'SELECT 1'], { root: await newStore('vigil-empty-') });
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /there is no warehouse repo/);
  const nowhere = await vigil(['sql', 'SELECT 1'], { root: await tempDir('vigil-nostore-') });
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, /no vigil store: .* holds no store .*vigil init/);
  const none = await vigil(['sql'], { root: store });
  assert.match(none.stderr, /give a query, e\.g\. vigil sql/);
});

test("vigil sql's tables and views hold exactly what the analysts' views over the Parquet files hold", async () => {
  const relations = await query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY name`);
  assert.deepEqual(
    relations.map((r) => r.name),
    [
      'alert_latency',
      'alert_latency_daily',
      'alerts',
      'daily_threats',
      'days',
      'deliveries',
      'delivery_history',
      'delivery_latency',
      'detections',
      'frames_analysed',
      'frames_rejected',
      'load_errors',
      'matches',
      'rejections_by_reason',
      'threats_by_user',
      'unmatched_daily',
      'unmatched_objects',
    ],
  );
  // Every row of every relation, as text, in one digest: the two must agree on each value.
  const sql = relations
    .map(
      ({ name }) =>
        `SELECT '${name}' AS name, count(*)::INTEGER AS n, md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) AS digest FROM ${name} t`,
    )
    .join(' UNION ALL ');
  const cli = JSON.parse(await vigilOk(['sql', '--json', `${sql} ORDER BY name`], { root: store }));
  const own = await query(`${sql} ORDER BY name`);
  assert.deepEqual(cli, own);
  assert.deepEqual(
    own.filter((r) => (r.n as number) === 0).map((r) => r.name),
    [],
  );
});

test('vigil sql --schema lists every table and view with its columns, types and comments', async () => {
  const text = await vigilOk(['sql', '--schema'], { root: store });
  assert.match(text, /^TABLE detections: One row per object the detector found in a frame;/);
  assert.match(text, /\ncamera +VARCHAR +Partition key: the camera, <user>-<device>;/);
  assert.match(
    text,
    /\nVIEW daily_threats: Threats \(rules that fired on a frame\) per UTC day, camera and rule\.\nCOLUMN +TYPE +COMMENT\nday +DATE +The UTC day of capture\.\n/,
  );
  const schema = JSON.parse(await vigilOk(['sql', '--schema', '--json'], { root: store })) as Array<{
    name: string;
    kind: string;
    comment: string;
    columns: Array<{ name: string; type: string; comment: string | null }>;
  }>;
  assert.deepEqual(
    schema.filter((e) => e.kind === 'table').map((e) => e.name),
    ['detections', 'matches', 'frames_rejected', 'alerts', 'deliveries', 'load_errors'],
  );
  assert.equal(schema.length, 17);
  for (const entry of schema) {
    assert.ok(entry.comment, `${entry.name} has a comment`);
    assert.deepEqual(
      entry.columns.filter((c) => !c.comment).map((c) => c.name),
      [],
      `every column of ${entry.name} has a comment`,
    );
  }
  // The analysts' setup carries the same documentation into their own database.
  const [{ comment }] = await query(`SELECT comment FROM duckdb_columns() WHERE table_name = 'matches' AND column_name = 'severity'`);
  assert.equal(comment, 'critical, error, warning or info.');
});

test('vigil sql --print-setup writes views over a folder or a URL, each table documented', async () => {
  const s3 = await vigilOk(['sql', '--print-setup', 's3://master.warehouse/parquet'], { root: store });
  assert.match(
    s3,
    /\nCREATE OR REPLACE VIEW matches AS SELECT "user", .*, "day", "camera" FROM read_parquet\('s3:\/\/master\.warehouse\/parquet\/matches\/\*\/\*\/\*\.parquet', hive_partitioning = true, hive_types = \{'day': DATE, 'camera': VARCHAR\}\);\n/,
  );
  assert.match(s3, /\nCOMMENT ON VIEW matches IS 'One row per rule that fired on a frame: a threat\.';\n/);
  assert.match(s3, /\nCREATE OR REPLACE VIEW daily_threats AS\n/);
  // A folder without load errors gets an empty view with the same columns: DuckDB refuses a glob that matches nothing.
  const dir = await tempDir('vigil-setup-');
  await vigilOk(['get', 'file', '-r', 'warehouse@master:/parquet/matches', '-o', join(dir, 'matches')], { root: store });
  const local = await vigilOk(['sql', '--print-setup', dir], { root: store });
  assert.match(local, /\nCREATE OR REPLACE VIEW load_errors AS SELECT NULL::VARCHAR AS "table_name", .* WHERE false;\n/);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(local);
    const rows = (
      await connection.runAndReadAll(
        `SELECT sum(threats)::INTEGER AS threats, (SELECT count(*) FROM detections)::INTEGER AS detections FROM daily_threats`,
      )
    ).getRowObjectsJson();
    assert.deepEqual(rows, [{ threats: 10, detections: 0 }]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const missing = await vigil(['sql', '--print-setup', join(dir, 'nowhere')], { root: store });
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /--print-setup .*nowhere: no such folder; get the partitions first: vigil get file -r warehouse@master:\/parquet -o /,
  );
});

test('vigil report daily prints the latest day, writes its page and opens it with $BROWSER', async () => {
  const dir = await tempDir('vigil-report-cli-');
  const latest = await vigilOk(['report', 'daily', '--out', join(dir, 'latest.html')], { root: store });
  assert.match(
    latest,
    /^Daily threat report 2026-11-27 \(UTC\), from reports@[0-9a-f]+\nthreats 3 · users 2 · devices 2 · incidents 3 · alerts sent 2, failed 1\n/,
  );
  assert.equal(await readFile(join(dir, 'latest.html'), 'utf8'), await readFile(join(out, 'daily', '2026-11-27.html'), 'utf8'));

  // A stand-in browser that records what it was asked to open.
  const browser = join(dir, 'browser.sh');
  await writeFile(browser, `#!/bin/sh\necho "$1" > ${join(dir, 'opened')}\n`);
  await chmod(browser, 0o755);
  const page = join(dir, 'day.html');
  const day = await vigilOk(['report', 'daily', '--date', '2026-11-26', '--out', page, '--open'], {
    root: store,
    env: { BROWSER: browser },
  });
  assert.match(
    day,
    /threats 7 · users 3 · devices 4 · incidents 5 · alerts sent 6, failed 1\nframes analysed 8 \(3 with no threat\) · frames rejected 3\n/,
  );
  assert.match(day, /USER {3}THREATS {3}DEVICES {3}CRITICAL {3}ERROR {3}WARNING {3}INFO\nu1 {5}5 {9}2 {9}3 {10}0 {7}1 {9}1\n/);
  assert.ok(day.endsWith(`HTML: ${page}\n`));
  let opened = '';
  for (let i = 0; i < 50 && !opened; i++) {
    opened = await readFile(join(dir, 'opened'), 'utf8').catch(() => '');
    if (!opened) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(opened.trim(), page);

  const missing = await vigil(['report', 'daily', '--date', '2026-12-01'], { root: store });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no report for 2026-12-01 in reports@[0-9a-f]+; days with a report: 2026-11-26, 2026-11-27/);
  const badDate = await vigil(['report', 'daily', '--date', '26/11/2026'], { root: store });
  assert.match(badDate.stderr, /--date 26\/11\/2026: write the day as YYYY-MM-DD/);
});

// ---- the page and its charts, as pure functions ----

const EMPTY_DAY: DailyReport = {
  day: '2026-12-24',
  source: { repo: 'warehouse' },
  subscriptions: { repo: 'rules', commit: 'r0001', path: '/subscriptions.yaml', sha256: '0'.repeat(64) },
  totals: {
    framesAnalysed: 12,
    unmatchedFrames: 12,
    threats: 0,
    usersWithThreats: 0,
    devicesWithThreats: 0,
    rejectedFrames: 0,
    incidents: 0,
    alertsSent: 0,
    alertsFailed: 0,
  },
  threatsByUser: [],
  threatsByHour: [...Array(24).keys()].map((hour) => ({ hour, threats: 0 })),
  topDevices: [],
  threatsByRule: [],
  rejectionReasons: [],
  alertOutcomes: [],
  alertLatency: [],
  unsubscribedCameras: [],
};

test('a quiet day renders a page that says so instead of empty charts', () => {
  const html = renderDailyHtml(EMPTY_DAY);
  assert.equal((html.match(/No threats this day\./g) ?? []).length, 3);
  assert.match(html, /No rule fired this day\./);
  assert.match(html, /No frame was rejected this day\./);
  assert.match(html, /No alert was delivered this day\./);
  assert.doesNotMatch(html, /<svg /);
});

test('names from the data are escaped, never markup', () => {
  const html = renderDailyHtml({
    ...EMPTY_DAY,
    threatsByRule: [{ ruleId: 1, rule: '<b>cars & "vans"</b>', severity: 'info', threats: 2 }],
  });
  assert.match(html, /&lt;b&gt;cars &amp; &quot;vans&quot;&lt;\/b&gt; \(#1\)/);
  assert.doesNotMatch(html, /<b>cars/);
});

test('bars share one scale and columns sit on round axis ticks', () => {
  const svg = horizontalBars(
    [
      {
        label: 'a',
        segments: [
          { value: 4, color: '#111' },
          { value: 4, color: '#222' },
        ],
      },
      { label: 'b', segments: [{ value: 2, color: '#111' }] },
    ],
    { title: 't', width: 400, labelWidth: 100 },
  );
  const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(widths, [122, 122, 61]); // plot 400 - 100 - 56 = 244 for the largest total, 8
  assert.deepEqual([niceStep(0.3), niceStep(1.25), niceStep(3), niceStep(7), niceStep(120)], [0.5, 2, 5, 10, 200]);
  const columns = columnChart(
    [
      { label: '00', value: 5 },
      { label: '01', value: 0 },
    ],
    { title: 'c', color: '#333' },
  );
  assert.deepEqual(
    [...columns.matchAll(/class="tick">(\d+)</g)].map((m) => m[1]),
    ['0', '2', '4', '6', '00', '01'],
  );
  assert.equal((columns.match(/<rect /g) ?? []).length, 1);
  const counts = columnChart([{ label: '00', value: 1 }], { title: 'c', color: '#333', minStep: 1 });
  assert.deepEqual(
    [...counts.matchAll(/class="tick">([\d.]+)</g)].map((m) => m[1]),
    ['0', '1', '00'],
  );
});

test('named queries are split by their -- name: lines', () => {
  const q = parseNamedQueries('-- header\n-- name: a\nSELECT 1;\n\n-- name: b\nSELECT 2\nFROM t;\n');
  assert.deepEqual(
    [...q],
    [
      ['a', 'SELECT 1'],
      ['b', 'SELECT 2\nFROM t'],
    ],
  );
  assert.throws(() => parseNamedQueries('-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;'), /query a is named twice/);
});
