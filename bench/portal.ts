/**
 * The portal's two busiest pages, the overview (today) and the incidents list, served by the
 * portal's app with an operator signed in, over a warehouse of 1,000,000 detection rows
 * (1,000 cameras over six days) and 10,000 incidents in alerts@master: p95 of the time to answer
 * each, the worse of the two against the target. Baseline, in the same run on the same files:
 * the same questions asked of the warehouse directly with DuckDB (its Parquet files, read with
 * hive partitioning), as a page would without the portal's index.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Alert } from '../specs/index.js';
import { formatTimestamp } from '../src/contract/frame-path.js';
import { REPOS } from '../src/contract/repos.js';
import { Store, type FileEntry } from '../src/engine/store/store.js';
import { packageRoot } from '../src/pfs/package-root.js';
import { openPortal } from '../src/portal/portal.js';
import { addUser } from '../src/portal/users.js';
import { createApp } from '../src/serve/app.js';
import { tempDir } from '../test/helpers/cli.js';
import { PortalClient } from '../test/helpers/portal.js';
import type { Bench, BenchResult } from './bench.js';

const CAMERAS = 1000;
const FRAMES_PER_CAMERA = 500;
const OBJECTS_PER_FRAME = 2; // 1000 x 500 x 2 = 1,000,000 detection rows
const INCIDENTS_PER_CAMERA = 10; // 10,000 incidents
const SPAN_MS = 6 * 86_400_000;
const REQUESTS = 200;
const BASELINE_RUNS = 5;

/**
 * Frames of 1,000 cameras of 100 customers, one every ~17 minutes over the six days up to now,
 * two objects each; a rule fires on one frame in five. Made by DuckDB in the warehouse's own
 * tables (warehouse/tables.sql), so they have its exact columns.
 */
function generateSql(now: number): string {
  const start = `epoch_ms(${now - SPAN_MS})`;
  return `
CREATE TEMP TABLE frames AS
SELECT d, f, 'u' || (d % 100) AS user, 'cam' || d AS device,
       ${start} + to_milliseconds((f * ${Math.floor(SPAN_MS / FRAMES_PER_CAMERA)} + d * 311) % ${SPAN_MS}) AS captured_at
FROM range(${CAMERAS}) a(d), range(${FRAMES_PER_CAMERA}) b(f);
UPDATE frames SET captured_at = date_trunc('second', captured_at);
CREATE TEMP TABLE named AS SELECT *, '/' || user || '-' || device || '/' || strftime(captured_at, '%Y%m%dT%H%M%SZ') AS name FROM frames;

INSERT INTO detections
SELECT user, device, captured_at, o, CASE WHEN (d + f + o) % 3 = 0 THEN 'car' ELSE 'person' END, CASE WHEN (d + f + o) % 3 = 0 THEN 2 ELSE 0 END,
       0.5 + ((d * 31 + f * 17 + o) % 50) / 100, 0.1 * o, 0.2, 0.3, 0.4, 640, 480, 50, NULL,
       'centernet', 'm0001', repeat('a', 64), 'wasm',
       'validated', '/valid' || name || '.jpg', repeat('b', 64), 'detections', name || '.json', repeat('c', 64), 'c0001'
FROM named, range(${OBJECTS_PER_FRAME}) c(o);

INSERT INTO matches
SELECT user, device, captured_at, strftime(captured_at, '%Y-%m-%dT%H:%M:%S+00:00'), 'UTC',
       [200, 300, 310, 400][(d + f) % 4 + 1], ['person at night', 'any person', 'animal', 'visitor'][(d + f) % 4 + 1],
       ['critical', 'info', 'warning', 'error'][(d + f) % 4 + 1], 300, 1, ['person'], [], 0.9, ['email'],
       'validated', '/valid' || name || '.jpg', repeat('b', 64), name || '.json', repeat('c', 64), 'centernet', repeat('a', 64),
       'r0001', repeat('d', 64), repeat('e', 64), 'matches', name || '.json', repeat('f', 64), 'x0001'
FROM named
WHERE (d * 7 + f) % 5 = 0;`;
}

const hex = (n: number) => n.toString(16).padStart(64, '0');

/** The incidents, as the alert stage records them: ten per camera over the six days, a few still within their cooldown. */
function incidents(now: number): Alert[] {
  const out: Alert[] = [];
  for (let d = 0; d < CAMERAS; d++) {
    for (let k = 0; k < INCIDENTS_PER_CAMERA; k++) {
      const n = d * INCIDENTS_PER_CAMERA + k;
      const open = n % 500 === 0;
      const first = open ? now - 120_000 : now - SPAN_MS + (((k * SPAN_MS) / INCIDENTS_PER_CAMERA + d * 5_003) % SPAN_MS);
      const firstAt = new Date(Math.floor(first / 1000) * 1000);
      const lastAt = new Date(firstAt.getTime() + (open ? 60_000 : 240_000));
      const user = `u${d % 100}`;
      const device = `cam${d}`;
      const source = `${user}-${device}`;
      const id = `${source}-r200-${formatTimestamp(firstAt)}`;
      const frame = (at: Date) => ({
        capturedAt: at.toISOString(),
        localTime: at.toISOString().replace('Z', '+00:00'),
        frame: { repo: 'validated', commit: 'v0001', path: `/valid/${source}/${formatTimestamp(at)}.jpg`, sha256: hex(n * 2) },
        match: { repo: 'matches', commit: 'x0001', path: `/${source}/${formatTimestamp(at)}.json`, sha256: hex(n * 2 + 1) },
      });
      out.push({
        id,
        user,
        device,
        timezone: 'UTC',
        rule: { id: 200, name: 'person at night', severity: 'critical', cooldownSeconds: 300 },
        first: frame(firstAt),
        last: frame(lastAt),
        frameCount: 5,
        objects: [{ label: 'person', score: 0.9, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 } }],
        matches: [frame(firstAt).match],
        snapshot: { path: `/${source}/${id}.jpg`, sha256: hex(0), size: 0 },
        deliveries: [
          {
            channel: 'email',
            target: 'email-t1',
            recipient: 's******y@example.com',
            status: n % 10 === 3 ? 'failed' : 'sent',
            attempts: 1,
            lastAttemptAt: new Date(firstAt.getTime() + 30_000).toISOString(),
          },
        ],
      });
    }
  }
  return out;
}

/** The incidents as rows of the warehouse's alerts table, one per delivery. */
async function insertAlertRows(c: DuckDBConnection, alerts: Alert[]): Promise<void> {
  const appender = await c.createAppender('alerts');
  for (const a of alerts) {
    for (const d of a.deliveries) {
      const values: Array<string | number | null> = [
        a.id,
        a.user,
        a.device,
        a.timezone,
        a.rule.id,
        a.rule.name,
        a.rule.severity,
        a.first.capturedAt,
        a.last.capturedAt,
        a.frameCount,
        d.channel,
        d.target,
        d.recipient,
        d.status,
        d.attempts,
        null,
        null,
        null,
        null,
        null,
        null,
        d.lastAttemptAt ?? null,
        a.first.frame.path,
        a.first.frame.sha256,
        a.first.match.path,
        'alerts',
        `/${a.user}-${a.device}/${a.id}.json`,
        hex(1),
        'a0001',
      ];
      for (const v of values) {
        if (v === null) appender.appendNull();
        else if (typeof v === 'number') appender.appendInteger(v);
        else appender.appendVarchar(v);
      }
      appender.endRow();
    }
  }
  appender.flushSync();
  appender.closeSync();
}

/** Writes each table's rows under `<dir>/parquet/<table>/device=<camera>/part.parquet`, as the warehouse step does. */
async function writeWarehouse(c: DuckDBConnection, dir: string): Promise<void> {
  await c.run(`SET partitioned_write_max_open_files = ${CAMERAS * 2}`);
  for (const table of ['detections', 'matches', 'alerts']) {
    const out = join(dir, 'parquet', table);
    await mkdir(out, { recursive: true });
    await c.run(
      `COPY (SELECT *, user || '-' || device AS device_folder FROM ${table}) TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (device_folder), FILENAME_PATTERN 'part')`,
    );
  }
}

/** Every file under `dir` as the repo paths they are at, `/parquet/<table>/device=<camera>/part.parquet`. */
async function warehouseEntries(store: Store, dir: string): Promise<FileEntry[]> {
  const entries: FileEntry[] = [];
  for (const file of (await readdir(dir, { recursive: true, encoding: 'utf8' })).filter((f) => f.endsWith('.parquet'))) {
    const path = `/${relative(dir, join(dir, file)).replace('device_folder=', 'device=').replace('part0.parquet', 'part.parquet')}`;
    entries.push({ path, ...(await store.addObject(join(dir, file), { batch: true })) });
  }
  return entries;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The overview's and the incidents list's questions, asked of the warehouse's Parquet files directly. */
function directQueries(parquet: string, day: string, now: number): Record<string, string> {
  const files = (table: string) => `read_parquet('${parquet}/${table}/*/*.parquet', hive_partitioning = true)`;
  const today = (column: string) => `${column} >= TIMESTAMP '${day}' AND ${column} < TIMESTAMP '${day}' + INTERVAL 1 DAY`;
  return {
    overview: `
      WITH t AS (SELECT user, severity, hour(captured_at) AS h FROM ${files('matches')} WHERE ${today('captured_at')})
      SELECT (SELECT count(*) FROM t) AS threats,
             (SELECT list({user: user, severity: severity, n: n}) FROM (SELECT user, severity, count(*) AS n FROM t GROUP BY ALL)) AS by_customer,
             (SELECT list({h: h, n: n}) FROM (SELECT h, count(*) AS n FROM t GROUP BY h)) AS by_hour,
             (SELECT count(DISTINCT path) FROM ${files('detections')} WHERE ${today('captured_at')}) AS frames,
             (SELECT count(DISTINCT incident_id) FROM ${files('alerts')} WHERE ${today('first_captured_at')}) AS incidents,
             (SELECT count(*) FILTER (WHERE status = 'sent') FROM ${files('alerts')} WHERE ${today('first_captured_at')}) AS sent,
             (SELECT count(*) FILTER (WHERE status = 'failed') FROM ${files('alerts')} WHERE ${today('first_captured_at')}) AS failed,
             (SELECT count(DISTINCT incident_id) FROM ${files('alerts')} WHERE epoch_ms(last_captured_at) + 300000 >= ${now}) AS open`,
    incidents: `
      SELECT incident_id, any_value(user), any_value(device), any_value(rule_name), any_value(severity), min(first_captured_at) AS first,
             any_value(frame_count), count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'failed') AS failed,
             count(*) OVER () AS total
      FROM ${files('alerts')} GROUP BY incident_id ORDER BY first DESC LIMIT 50`,
  };
}

export const bench: Bench = {
  name: 'portal',
  describe: `p95 of the overview and the incidents list (operator signed in) over ${CAMERAS * FRAMES_PER_CAMERA * OBJECTS_PER_FRAME} detection rows and ${CAMERAS * INCIDENTS_PER_CAMERA} incidents, vs. the same questions asked of the warehouse's Parquet files with DuckDB`,
  async run() {
    const dir = await tempDir('vigil-bench-portal-');
    try {
      return await measure(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function measure(dir: string): Promise<BenchResult> {
  const now = Date.now();
  const day = new Date(now).toISOString().slice(0, 10);
  const store = await Store.open(join(dir, 'store'));
  const made = performance.now();

  const alerts = incidents(now);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(await readFile(join(packageRoot(), 'warehouse', 'tables.sql'), 'utf8'));
  await c.run(generateSql(now));
  await insertAlertRows(c, alerts);
  const warehouseDir = join(dir, 'warehouse');
  await writeWarehouse(c, warehouseDir);
  const [{ d: detections, m: matches }] = (
    await c.runAndReadAll('SELECT (SELECT count(*) FROM detections)::INTEGER AS d, (SELECT count(*) FROM matches)::INTEGER AS m')
  ).getRowObjectsJson() as Array<{ d: number; m: number }>;
  c.closeSync();
  db.closeSync();

  await store.createRepo(REPOS.warehouse);
  const parquetEntries = await warehouseEntries(store, warehouseDir);
  await store.commit(REPOS.warehouse, 'master', { put: parquetEntries });
  await store.createRepo(REPOS.alerts);
  const snapshot = await store.addObject(await readFile(join(packageRoot(), 'test', 'fixtures', 'rocket.jpg')));
  const alertEntries: FileEntry[] = [];
  for (const a of alerts) {
    const record = { ...a, snapshot: { path: `/${a.user}-${a.device}/${a.id}.jpg`, ...snapshot } };
    alertEntries.push({ path: `/${a.user}-${a.device}/${a.id}.json`, ...store.addObjectBatchSync(Buffer.from(JSON.stringify(record))) });
    alertEntries.push({ path: record.snapshot.path, ...snapshot });
  }
  await store.commit(REPOS.alerts, 'master', { put: alertEntries });
  const madeSeconds = (performance.now() - made) / 1000;

  await addUser(store.root, { name: 'bench', password: 'bench-password' });
  let indexMs = 0;
  const portal = await (async () => {
    const start = performance.now();
    const p = await openPortal(store, { pollMs: 3_600_000, log: () => {} });
    indexMs = performance.now() - start;
    return p;
  })();
  const app = createApp([portal.routes], (e) => {
    throw e;
  });
  const operator = new PortalClient((path, init) => app.request(path, init));
  await operator.signIn('bench', 'bench-password');

  const pages = { overview: '/', incidents: '/incidents' };
  const portalTimes: Record<string, number[]> = { overview: [], incidents: [] };
  for (let i = 0; i < REQUESTS + 20; i++) {
    for (const [name, path] of Object.entries(pages)) {
      let status = 0;
      const ms = await timed(async () => {
        const res = await operator.request(path);
        status = res.status;
        await res.text();
      });
      if (status !== 200) throw new Error(`bench portal: GET ${path} answered ${status}`);
      if (i >= 20) portalTimes[name]!.push(ms);
    }
  }
  const check = await operator.get('/incidents');
  if (!check.text.includes(`${CAMERAS * INCIDENTS_PER_CAMERA} incidents`))
    throw new Error('bench portal: the list does not count every incident');
  await portal.index.stop();

  const direct = await DuckDBInstance.create(':memory:');
  const dc = await direct.connect();
  const baselineTimes: Record<string, number[]> = { overview: [], incidents: [] };
  for (const [name, sql] of Object.entries(directQueries(join(warehouseDir, 'parquet'), day, now))) {
    for (let i = 0; i < BASELINE_RUNS + 1; i++) {
      const ms = await timed(() => dc.runAndReadAll(sql));
      if (i > 0) baselineTimes[name]!.push(ms);
    }
  }
  dc.closeSync();
  direct.closeSync();

  const p95 = (xs: number[]) => quantile(xs, 0.95);
  const value = Math.max(p95(portalTimes.overview!), p95(portalTimes.incidents!));
  const baseline = Math.max(p95(baselineTimes.overview!), p95(baselineTimes.incidents!));
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return {
    name: 'portal',
    value,
    unit: 'ms',
    baseline,
    target: '<=100',
    targetOn: 'value' as const,
    notes: [
      `data: ${detections} detection rows and ${matches} match rows over ${CAMERAS} cameras, ${alerts.length} incidents, ${parquetEntries.length} Parquet files; made and committed in ${madeSeconds.toFixed(1)} s`,
      `portal index built from the store in ${(indexMs / 1000).toFixed(1)} s`,
      `portal, ${REQUESTS} requests each after 20 to warm up: overview p50 ${ms(quantile(portalTimes.overview!, 0.5))} p95 ${ms(p95(portalTimes.overview!))}; incidents p50 ${ms(quantile(portalTimes.incidents!, 0.5))} p95 ${ms(p95(portalTimes.incidents!))}`,
      `baseline, DuckDB over the Parquet files, ${BASELINE_RUNS} runs each: overview p95 ${ms(p95(baselineTimes.overview!))}; incidents p95 ${ms(p95(baselineTimes.incidents!))}`,
    ],
  };
}
