import { mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { packageRoot } from '../src/pfs/package-root.js';
import { buildReports } from '../steps/report/build.js';
import type { Bench } from './bench.js';

const DEVICES = 1000;
const FRAMES_PER_DEVICE = 500;
const OBJECTS_PER_FRAME = 2; // 1000 x 500 x 2 = 1,000,000 detection rows
const DAY = '2026-11-23';

/**
 * Synthetic records, made by DuckDB in the warehouse's own tables so they have its exact
 * columns: 1,000 cameras of 100 users, a frame every 1,000 s for ~6 days with two objects each,
 * and a rule firing on one frame in five.
 */
const GENERATE = `
CREATE TEMP TABLE frames AS
SELECT d, f, 'u' || (d % 100) AS user, 'cam' || d AS device, captured_at,
       '/' || 'u' || (d % 100) || '-cam' || d || '/' || strftime(captured_at, '%Y%m%dT%H%M%SZ') AS name
FROM (SELECT d, f, TIMESTAMP '2026-11-20 00:00:00' + to_seconds(f * 1000 + d * 7) AS captured_at
      FROM range(${DEVICES}) a(d), range(${FRAMES_PER_DEVICE}) b(f));

INSERT INTO detections
SELECT user, device, captured_at, o, CASE WHEN (d + f + o) % 3 = 0 THEN 'car' ELSE 'person' END, CASE WHEN (d + f + o) % 3 = 0 THEN 2 ELSE 0 END,
       0.5 + ((d * 31 + f * 17 + o) % 50) / 100, 0.1 * o, 0.2, 0.3, 0.4, 640, 480, 50, NULL,
       'centernet', 'm0001', repeat('a', 64), 'wasm',
       'validated', '/valid' || name || '.jpg', repeat('b', 64), 'detections', name || '.json', repeat('c', 64), 'c0001'
FROM frames, range(${OBJECTS_PER_FRAME}) c(o);

INSERT INTO matches
SELECT user, device, captured_at, strftime(captured_at, '%Y-%m-%dT%H:%M:%S+00:00'), 'UTC',
       [200, 300, 310, 400][(d + f) % 4 + 1], ['person at night', 'any person', 'animal', 'visitor'][(d + f) % 4 + 1],
       ['critical', 'info', 'warning', 'warning'][(d + f) % 4 + 1], 300, 1, ['person'], [], 0.9, ['email'],
       'validated', '/valid' || name || '.jpg', repeat('b', 64), name || '.json', repeat('c', 64), 'centernet', repeat('a', 64),
       'r0001', repeat('d', 64), repeat('e', 64), 'matches', name || '.json', repeat('f', 64), 'x0001'
FROM frames
WHERE (d * 7 + f) % 5 = 0;
`;

/** The raw match records as the matches repo holds them (Match JSON, one document a frame), one line each, by camera. */
const RAW_MATCHES = `
SELECT user || '-' || device AS source,
       to_json({user: user, device: device, capturedAt: strftime(captured_at, '%Y-%m-%dT%H:%M:%SZ'), localTime: local_time, timezone: timezone,
                frame: {repo: frame_repo, path: frame_path, sha256: frame_sha256},
                detection: {repo: 'detections', path: detection_path, sha256: detection_sha256},
                model: {name: model_name, commit: 'm0001', weightsSha256: model_weights_sha256, backend: 'wasm'},
                rules: {repo: 'rules', commit: rules_commit, rulesSha256: rules_sha256, subscriptionsSha256: subscriptions_sha256},
                fired: [{ruleId: rule_id, name: rule_name, severity: severity, cooldownSeconds: cooldown_seconds,
                         objects: [{label: 'person', score: max_score, box: {x: 0.1, y: 0.2, w: 0.3, h: 0.4}}],
                         targets: {email: ['sec@example.com']}}]})::VARCHAR AS line
FROM matches
ORDER BY source, captured_at`;

/** daily_threats (warehouse/views.sql) computed straight from the raw match records. */
const RAW_DAILY_THREATS = `
SELECT CAST(CAST("capturedAt" AS TIMESTAMP) AS DATE) AS day, user, device, f.ruleId AS rule_id, f.name AS rule, f.severity AS severity,
       count(*)::INTEGER AS threats
FROM (SELECT user, device, "capturedAt", unnest(fired) AS f FROM read_json($files))
WHERE CAST(CAST("capturedAt" AS TIMESTAMP) AS DATE) = $day::DATE
GROUP BY ALL`;

const WAREHOUSE_DAILY_THREATS = `SELECT * FROM daily_threats WHERE day = $day::DATE`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Times `sql` `runs` times on `connection`; returns the first (cold) time, the median and the last result's threat total. */
async function timeQuery(connection: DuckDBConnection, sql: string, params: Record<string, string>, runs: number) {
  const times: number[] = [];
  let rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < runs; i++) {
    const r = await timed(() => connection.runAndReadAll(sql, params));
    times.push(r.ms);
    rows = r.value.getRowObjectsJson() as Array<Record<string, unknown>>;
  }
  const threats = rows.reduce((sum, r) => sum + Number(r.threats), 0);
  return { cold: times[0], median: median(times), rows: rows.length, threats };
}

/** `<dir>/source=<x>/part0.parquet` (DuckDB's partitioned write) → `<dir>/device=<x>/part.parquet` (the warehouse step's layout). */
async function toWarehouseLayout(dir: string): Promise<void> {
  for (const folder of await readdir(dir)) {
    const device = join(dir, folder.replace(/^source=/, 'device='));
    await mkdir(device, { recursive: true });
    await rename(join(dir, folder, 'part0.parquet'), join(device, 'part.parquet'));
    await rmdir(join(dir, folder));
  }
}

/** Writes `<dir>/<camera>.json`, newline-delimited, from (camera, line) rows sorted by camera. */
async function writeNdjsonByCamera(dir: string, rows: Array<[string, string]>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let start = 0; start < rows.length; ) {
    let end = start;
    while (end < rows.length && rows[end][0] === rows[start][0]) end++;
    await writeFile(
      join(dir, `${rows[start][0]}.json`),
      `${rows
        .slice(start, end)
        .map((r) => r[1])
        .join('\n')}\n`,
    );
    start = end;
  }
}

export const bench: Bench = {
  name: 'warehouse',
  describe: `daily_threats for one day on the reports pipeline's warehouse.duckdb (1,000,000 detection rows over ${DEVICES} cameras) vs. the same query with read_json over the raw match records`,
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-warehouse-'));
    try {
      const parquet = join(dir, 'warehouse', 'parquet');
      const raw = join(dir, 'raw', 'matches');
      const generation = await timed(async () => {
        const instance = await DuckDBInstance.create(':memory:');
        const c = await instance.connect();
        await c.run(await readFile(join(packageRoot(), 'warehouse', 'tables.sql'), 'utf8'));
        await c.run(GENERATE);
        // One file per partition, as the warehouse step writes: keep every camera's file open.
        await c.run(`SET partitioned_write_max_open_files = ${DEVICES * 2}`);
        for (const table of ['detections', 'matches']) {
          const out = join(parquet, table);
          await mkdir(parquet, { recursive: true });
          await c.run(
            `COPY (SELECT *, user || '-' || device AS source FROM ${table}) TO $out (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (source), FILENAME_PATTERN 'part')`,
            { out },
          );
          await toWarehouseLayout(out);
        }
        await writeNdjsonByCamera(raw, (await c.runAndReadAll(RAW_MATCHES)).getRowsJson() as Array<[string, string]>);
        const counts = (
          await c.runAndReadAll(`SELECT (SELECT count(*) FROM detections)::INTEGER AS d, (SELECT count(*) FROM matches)::INTEGER AS m`)
        ).getRowObjectsJson()[0];
        c.closeSync();
        instance.closeSync();
        return counts as { d: number; m: number };
      });

      const reports = join(dir, 'reports');
      const pipeline = await timed(() => buildReports(parquet, reports, { repo: 'warehouse' }));

      // As `vigil sql` does: a fresh read-only open of the pipeline's database file.
      const wh = await DuckDBInstance.create(join(reports, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
      const whc = await wh.connect();
      const warehouse = await timeQuery(whc, WAREHOUSE_DAILY_THREATS, { day: DAY }, 7);
      whc.closeSync();
      wh.closeSync();

      const mem = await DuckDBInstance.create(':memory:');
      const memc = await mem.connect();
      const baseline = await timeQuery(memc, RAW_DAILY_THREATS, { files: `${raw}/*.json`, day: DAY }, 3);
      memc.closeSync();
      mem.closeSync();

      if (warehouse.rows !== baseline.rows || warehouse.threats !== baseline.threats) {
        throw new Error(
          `bench warehouse: the two queries disagree: ${warehouse.rows} rows / ${warehouse.threats} threats vs. ${baseline.rows} / ${baseline.threats}`,
        );
      }
      return {
        name: 'warehouse',
        value: warehouse.median,
        unit: 'ms',
        baseline: baseline.median,
        target: '<100',
        targetOn: 'value' as const,
        notes: [
          `data: ${generation.value.d} detection rows and ${generation.value.m} match rows over ${DEVICES} cameras, generated and written in ${(generation.ms / 1000).toFixed(1)} s`,
          `reports pipeline (load ${DEVICES * 2} Parquet partitions into warehouse.duckdb, views, ${pipeline.value.length} daily reports): ${(pipeline.ms / 1000).toFixed(2)} s`,
          `daily_threats for ${DAY} (${warehouse.rows} rows, ${warehouse.threats} threats): ${warehouse.median.toFixed(1)} ms median of 7 (first ${warehouse.cold.toFixed(1)} ms)`,
          `baseline, read_json over ${DEVICES} newline-delimited raw match files: ${baseline.median.toFixed(0)} ms median of 3 (first ${baseline.cold.toFixed(0)} ms)`,
        ],
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
