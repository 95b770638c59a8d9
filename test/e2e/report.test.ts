/**
 * The `report` stage on known records: the warehouse step's partitions, then the report step as
 * a child process; every view's numbers checked exactly in the warehouse.duckdb it leaves, the
 * daily JSON and HTML, and the analysts' CLI (`vigil sql`, `vigil report daily`) on that output
 * committed to a store's reports repo.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DailyReport } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { columnChart, horizontalBars, niceStep } from '../../src/render/charts.js';
import { parseNamedQueries, renderDailyHtml } from '../../steps/report/core.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { layInputs, runWarehouseStep, sampleRecords } from '../helpers/warehouse-records.js';

let pfs: string;
let out: string;
let store: string;

before(async () => {
  pfs = await tempDir('vigil-report-');
  const files = sampleRecords();
  await layInputs(pfs, files);
  await writeFile(join(pfs, 'detections', 'u2-door', 'notes.json'), 'not json');
  await runWarehouseStep(pfs, files);
  // The report step reads the warehouse repo as the engine lays it: $PFS_ROOT/warehouse.
  const reportPfs = await tempDir('vigil-report-pfs-');
  await vigilOk(['step', 'report'], {
    root: join(reportPfs, 'store'),
    env: { PFS_ROOT: reportPfs, warehouse: join(pfs, 'out'), warehouse_COMMIT: 'w0001' },
  });
  out = join(reportPfs, 'out');
  // The same output committed to a reports repo, for the CLI.
  store = join(reportPfs, 'store');
  await vigilOk(['create', 'repo', 'reports'], { root: store });
  await vigilOk(['put', 'file', 'reports@master:/', '-r', '-f', out], { root: store });
});

/** Runs `sql` on the step's warehouse.duckdb, opened read-only as an analyst would. */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(join(out, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const rounded = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v])));

test('the report step leaves warehouse.duckdb, closed cleanly, and one page and JSON per day, and per customer and day', async () => {
  assert.deepEqual((await readdir(out, { recursive: true })).sort(), [
    'daily',
    'daily/2026-11-26',
    'daily/2026-11-26.html',
    'daily/2026-11-26.json',
    'daily/2026-11-26/u1.html',
    'daily/2026-11-26/u1.json',
    'daily/2026-11-26/u2.html',
    'daily/2026-11-26/u2.json',
    'daily/2026-11-27',
    'daily/2026-11-27.html',
    'daily/2026-11-27.json',
    'daily/2026-11-27/u1.html',
    'daily/2026-11-27/u1.json',
    'warehouse.duckdb',
  ]);
});

test('the tables hold every record, one row per object, rule, reason and delivery', async () => {
  assert.deepEqual(
    await query(`
    SELECT (SELECT count(*) FROM detections)::INTEGER AS detections, (SELECT count(*) FROM matches)::INTEGER AS matches,
           (SELECT count(*) FROM frames_rejected)::INTEGER AS frames_rejected, (SELECT count(*) FROM alerts)::INTEGER AS alerts,
           (SELECT count(*) FROM load_errors)::INTEGER AS load_errors`),
    [{ detections: 10, matches: 7, frames_rejected: 5, alerts: 8, load_errors: 1 }],
  );
  assert.deepEqual(await query(`SELECT table_name, path, commit FROM load_errors`), [
    { table_name: 'detections', path: '/u2-door/notes.json', commit: 'c0001' },
  ]);
  // Lineage survives into the warehouse.
  assert.deepEqual(await query(`SELECT DISTINCT repo, commit FROM matches`), [{ repo: 'matches', commit: 'c0001' }]);
});

test('daily_threats counts the rules that fired per day, camera and rule', async () => {
  assert.deepEqual(
    await query(`SELECT strftime(day, '%Y-%m-%d') AS day, user, device, rule_id, rule, severity, threats FROM daily_threats ORDER BY ALL`),
    [
      { day: '2026-11-26', user: 'u1', device: 'cam1', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 2 },
      { day: '2026-11-26', user: 'u1', device: 'cam1', rule_id: 300, rule: 'any person', severity: 'info', threats: 1 },
      { day: '2026-11-26', user: 'u1', device: 'cam2', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 1 },
      { day: '2026-11-26', user: 'u1', device: 'cam2', rule_id: 310, rule: 'animal', severity: 'warning', threats: 1 },
      { day: '2026-11-26', user: 'u2', device: 'door', rule_id: 400, rule: 'visitor', severity: 'warning', threats: 1 },
      { day: '2026-11-27', user: 'u1', device: 'cam1', rule_id: 200, rule: 'person at night', severity: 'critical', threats: 1 },
    ],
  );
});

test('threats_by_user splits each day and user by severity', async () => {
  assert.deepEqual(await query(`SELECT strftime(day, '%Y-%m-%d') AS day, * EXCLUDE (day) FROM threats_by_user ORDER BY day, user`), [
    { day: '2026-11-26', user: 'u1', threats: 5, devices: 2, critical: 3, error: 0, warning: 1, info: 1 },
    { day: '2026-11-26', user: 'u2', threats: 1, devices: 1, critical: 0, error: 0, warning: 1, info: 0 },
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
      { day: null, user: null, device: null, code: 'name', frames: 1 },
    ],
  );
});

test('alert_latency gives capture-to-delivery percentiles per channel over sent alerts only', async () => {
  // email sent after 40, 60, 20 and 120 s; webhook after 120 and 10 s; the failed page is left out.
  assert.deepEqual(rounded(await query(`SELECT * FROM alert_latency ORDER BY channel`)), [
    { channel: 'email', delivered: 4, p50_seconds: 50, p90_seconds: 102, p99_seconds: 118.2, max_seconds: 120 },
    { channel: 'webhook', delivered: 2, p50_seconds: 65, p90_seconds: 109, p99_seconds: 118.9, max_seconds: 120 },
  ]);
  assert.deepEqual(
    rounded(await query(`SELECT strftime(day, '%Y-%m-%d') AS day, * EXCLUDE (day) FROM alert_latency_daily ORDER BY day, channel`)),
    [
      { day: '2026-11-26', channel: 'email', delivered: 3, p50_seconds: 40, p90_seconds: 56, p99_seconds: 59.6, max_seconds: 60 },
      { day: '2026-11-26', channel: 'webhook', delivered: 2, p50_seconds: 65, p90_seconds: 109, p99_seconds: 118.9, max_seconds: 120 },
      { day: '2026-11-27', channel: 'email', delivered: 1, p50_seconds: 120, p90_seconds: 120, p99_seconds: 120, max_seconds: 120 },
    ],
  );
  assert.deepEqual(await query(`SELECT incident_id, channel, latency_seconds FROM delivery_latency ORDER BY latency_seconds, channel`), [
    { incident_id: 'u1-cam2-r200-20261126T044000Z', channel: 'webhook', latency_seconds: 10 },
    { incident_id: 'u1-cam2-r310-20261126T044000Z', channel: 'email', latency_seconds: 20 },
    { incident_id: 'u1-cam1-r200-20261126T041500Z', channel: 'email', latency_seconds: 40 },
    { incident_id: 'u1-cam2-r200-20261126T044000Z', channel: 'email', latency_seconds: 60 },
    { incident_id: 'u1-cam1-r200-20261127T010000Z', channel: 'email', latency_seconds: 120 },
    { incident_id: 'u1-cam1-r200-20261126T041500Z', channel: 'webhook', latency_seconds: 120 },
  ]);
});

test('unmatched_daily counts analysed frames on which no rule fired, and their objects', async () => {
  assert.deepEqual(
    await query(`SELECT strftime(day, '%Y-%m-%d') AS day, * EXCLUDE (day) FROM unmatched_daily ORDER BY day, user, device`),
    [
      { day: '2026-11-26', user: 'u1', device: 'cam1', frames: 4, unmatched_frames: 2, unmatched_objects: 1 },
      { day: '2026-11-26', user: 'u1', device: 'cam2', frames: 1, unmatched_frames: 0, unmatched_objects: 0 },
      { day: '2026-11-26', user: 'u2', device: 'door', frames: 2, unmatched_frames: 1, unmatched_objects: 0 },
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
  assert.deepEqual(report.totals, {
    framesAnalysed: 7,
    unmatchedFrames: 3,
    threats: 6,
    usersWithThreats: 2,
    devicesWithThreats: 3,
    rejectedFrames: 3,
    incidents: 4,
    alertsSent: 5,
    alertsFailed: 1,
  });
  assert.deepEqual(
    report.threatsByUser.map((u) => [u.user, u.threats, u.critical, u.warning, u.info]),
    [
      ['u1', 5, 3, 1, 1],
      ['u2', 1, 0, 1, 0],
    ],
  );
  assert.deepEqual(
    report.threatsByHour.filter((h) => h.threats > 0),
    [
      { hour: 4, threats: 5 },
      { hour: 22, threats: 1 },
    ],
  );
  assert.deepEqual(
    report.threatsByHour.map((h) => h.hour),
    [...Array(24).keys()],
  );
  assert.deepEqual(report.topDevices, [
    { user: 'u1', device: 'cam1', threats: 3 },
    { user: 'u1', device: 'cam2', threats: 2 },
    { user: 'u2', device: 'door', threats: 1 },
  ]);
  assert.deepEqual(report.threatsByRule, [
    { ruleId: 200, rule: 'person at night', severity: 'critical', threats: 3 },
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
    { channel: 'email', status: 'sent', deliveries: 3 },
    { channel: 'pagerduty', status: 'failed', deliveries: 1 },
    { channel: 'webhook', status: 'sent', deliveries: 2 },
  ]);
  assert.deepEqual(rounded(report.alertLatency as unknown as Record<string, unknown>[]), [
    { channel: 'email', delivered: 3, p50Seconds: 40, p90Seconds: 56, p99Seconds: 59.6, maxSeconds: 60 },
    { channel: 'webhook', delivered: 2, p50Seconds: 65, p90Seconds: 109, p99Seconds: 118.9, maxSeconds: 120 },
  ]);
  const next = assertValid('daily-report', JSON.parse(await readFile(join(out, 'daily', '2026-11-27.json'), 'utf8')), '2026-11-27.json');
  assert.deepEqual(next.totals, {
    framesAnalysed: 1,
    unmatchedFrames: 0,
    threats: 1,
    usersWithThreats: 1,
    devicesWithThreats: 1,
    rejectedFrames: 0,
    incidents: 1,
    alertsSent: 1,
    alertsFailed: 0,
  });
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
  assert.match(html, /<div class="n">6<\/div><div class="what">threats<\/div>/);
  assert.match(html, /<div class="n">3<\/div><div class="what">frames rejected<\/div>/);
  assert.match(html, /<title>u1 · critical: 3<\/title>/);
  assert.match(html, /<title>u1-cam2: 2<\/title>/);
});

test('vigil sql queries the latest warehouse as a table, JSON or CSV', async () => {
  const table = await vigilOk(['sql', 'SELECT user, sum(threats) AS threats FROM daily_threats GROUP BY user ORDER BY user'], {
    root: store,
  });
  assert.equal(table, 'user   threats\nu1     6\nu2     1\n(2 rows)\n');
  const json = await vigilOk(['sql', '--json', 'SELECT channel, delivered, max_seconds FROM alert_latency ORDER BY channel'], {
    root: store,
  });
  assert.deepEqual(JSON.parse(json), [
    { channel: 'email', delivered: 4, max_seconds: 120 },
    { channel: 'webhook', delivered: 2, max_seconds: 120 },
  ]);
  const csv = await vigilOk(['sql', '--csv', `SELECT count(*) AS n, 'a,"b"' AS s, NULL AS x, [1, 2] AS l`], { root: store });
  assert.equal(csv, 'n,s,x,l\n1,"a,""b""",,"[1,2]"\n');
  const bad = await vigil(['sql', 'SELECT * FROM no_such_view'], { root: store });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^vigil: the query failed on reports@[0-9a-f]+:\/warehouse\.duckdb: .*no_such_view/);
  const empty = await vigil(['sql', 'SELECT 1'], { root: await tempDir('vigil-empty-') });
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /there is no reports repo/);
});

test('vigil report daily prints the latest day, writes its page and opens it with $BROWSER', async () => {
  const dir = await tempDir('vigil-report-cli-');
  const latest = await vigilOk(['report', 'daily', '--out', join(dir, 'latest.html')], { root: store });
  assert.match(
    latest,
    /^Daily threat report 2026-11-27 \(UTC\), from reports@[0-9a-f]+\nthreats 1 · users 1 · devices 1 · incidents 1 · alerts sent 1, failed 0\n/,
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
    /threats 6 · users 2 · devices 3 · incidents 4 · alerts sent 5, failed 1\nframes analysed 7 \(3 with no threat\) · frames rejected 3\n/,
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
