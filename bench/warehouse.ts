import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { packageRoot } from '../src/pfs/package-root.js';
import { withWarehouse } from '../src/cli/warehouse-cache.js';
import { Store } from '../src/engine/store/store.js';
import { buildReports } from '../steps/report/build.js';
import { subscribedCameras } from '../steps/report/core.js';
import { parquetViewsSql, tablesWithPartitions } from '../steps/report/warehouse-db.js';
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

/** DuckDB names each partition's file `part0.parquet`; the warehouse step, `part.parquet`. */
async function toWarehouseNames(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name === 'part0.parquet')
      await rename(join(entry.parentPath, entry.name), join(entry.parentPath, 'part.parquet'));
  }
}

/** Every file under `dir`, as puts of a commit to the warehouse repo at `/parquet/...`. */
async function putAll(store: Store, dir: string): Promise<Array<{ path: string; sha256: string; size: number }>> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const put = [];
  for (const f of files) {
    const file = join(f.parentPath, f.name);
    put.push({ path: `/parquet/${relative(dir, file)}`, ...(await store.addObject(file, { batch: true })) });
  }
  return put;
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
  describe: `daily_threats for one day as vigil sql runs it (1,000,000 detection rows over ${DEVICES} cameras, a Parquet partition per camera and day) vs. the same query with read_json over the raw match records`,
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
        // One file per partition, as the warehouse step writes: keep every partition's file open.
        await c.run(`SET partitioned_write_max_open_files = ${DEVICES * 7}`);
        for (const table of ['detections', 'matches']) {
          const out = join(parquet, table);
          await mkdir(parquet, { recursive: true });
          await c.run(
            `COPY (SELECT *, CAST(captured_at AS DATE) AS day, user || '-' || device AS camera FROM ${table})
             TO $out (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day, camera), FILENAME_PATTERN 'part')`,
            { out },
          );
          await toWarehouseNames(out);
        }
        await writeNdjsonByCamera(raw, (await c.runAndReadAll(RAW_MATCHES)).getRowsJson() as Array<[string, string]>);
        const counts = (
          await c.runAndReadAll(`SELECT (SELECT count(*) FROM detections)::INTEGER AS d, (SELECT count(*) FROM matches)::INTEGER AS m`)
        ).getRowObjectsJson()[0];
        c.closeSync();
        instance.closeSync();
        return counts as { d: number; m: number };
      });

      // The warehouse repo of a store, as the warehouse pipeline leaves it.
      const store = await Store.open(join(dir, 'store'));
      await store.createRepo('warehouse');
      const put = await putAll(store, parquet);
      await store.commit('warehouse', 'master', { put });

      // vigil sql: its cache loads every partition once, then the query runs on a read-only open of it.
      let warehouse!: Awaited<ReturnType<typeof timeQuery>>;
      const firstLoad = await timed(() =>
        withWarehouse(store, async (db) => {
          warehouse = await timeQuery(db.connection, WAREHOUSE_DAILY_THREATS, { day: DAY }, 7);
        }),
      );

      // One new match on one camera's day: its partition is rewritten, and the cache takes only that file.
      const changed = await changeOnePartition(store, dir, parquet);
      let after = 0;
      const update = await timed(() =>
        withWarehouse(store, async (db) => {
          after = Number((await db.query(`SELECT sum(threats) AS n FROM daily_threats WHERE day = $day::DATE`, { day: DAY }))[0].n);
        }),
      );

      // An analyst's own DuckDB: the views of vigil sql --print-setup over the Parquet files.
      const own = await DuckDBInstance.create(':memory:');
      const ownc = await own.connect();
      const present = await tablesWithPartitions(parquet);
      await ownc.run(await parquetViewsSql(parquet, (table) => present.has(table)));
      const views = await timeQuery(ownc, WAREHOUSE_DAILY_THREATS, { day: DAY }, 3);
      ownc.closeSync();
      own.closeSync();

      // The reports pipeline's datum for that day: every camera's partitions of the day.
      const dayDir = join(dir, 'day', 'parquet');
      for (const table of ['detections', 'matches']) {
        await cp(join(parquet, table, `day=${DAY}`), join(dayDir, table, `day=${DAY}`), { recursive: true });
      }
      // Every user's "*" entry: every camera subscribed, as on a working deployment.
      const subscribed = subscribedCameras(
        { users: [...Array(100).keys()].map((u) => ({ id: `u${u}`, devices: [{ id: '*', rules: [] }] })) },
        { repo: 'rules', path: '/subscriptions.yaml', sha256: '0'.repeat(64) },
      );
      const report = await timed(() => buildReports(dayDir, join(dir, 'reports'), { repo: 'warehouse' }, subscribed));

      const mem = await DuckDBInstance.create(':memory:');
      const memc = await mem.connect();
      const baseline = await timeQuery(memc, RAW_DAILY_THREATS, { files: `${raw}/*.json`, day: DAY }, 3);
      memc.closeSync();
      mem.closeSync();

      if (warehouse.rows !== baseline.rows || warehouse.threats !== baseline.threats || views.threats !== baseline.threats) {
        throw new Error(
          `bench warehouse: the queries disagree: ${warehouse.rows} rows / ${warehouse.threats} threats (vigil sql), ${views.threats} (views), ${baseline.rows} / ${baseline.threats} (read_json)`,
        );
      }
      if (after !== baseline.threats + 1)
        throw new Error(`bench warehouse: after one new match vigil sql counts ${after} threats, not ${baseline.threats + 1}`);
      return {
        name: 'warehouse',
        value: warehouse.median,
        unit: 'ms',
        baseline: baseline.median,
        target: '<100',
        targetOn: 'value' as const,
        notes: [
          `data: ${generation.value.d} detection rows and ${generation.value.m} match rows over ${DEVICES} cameras, ${put.length} partitions, generated and written in ${(generation.ms / 1000).toFixed(1)} s`,
          `vigil sql's cache: first load of ${put.length} partitions ${(firstLoad.ms / 1000).toFixed(2)} s; after one new match, ${changed} partition reloaded in ${(update.ms / 1000).toFixed(2)} s`,
          `daily_threats for ${DAY} (${warehouse.rows} rows, ${warehouse.threats} threats) in vigil sql: ${warehouse.median.toFixed(1)} ms median of 7 (first ${warehouse.cold.toFixed(1)} ms)`,
          `the same in an analyst's DuckDB over the Parquet files (views of --print-setup): ${views.median.toFixed(0)} ms median of 3 (first ${views.cold.toFixed(0)} ms)`,
          `reports datum of ${DAY} (${DEVICES} cameras' partitions of the day, ${report.value.length} daily report): ${(report.ms / 1000).toFixed(2)} s`,
          `baseline, read_json over ${DEVICES} newline-delimited raw match files: ${baseline.median.toFixed(0)} ms median of 3 (first ${baseline.cold.toFixed(0)} ms)`,
        ],
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/**
 * Rewrites one camera's matches partition of DAY with one more match, as the warehouse step
 * would after a new frame, and commits it. Returns how many partitions changed (1).
 */
async function changeOnePartition(store: Store, dir: string, parquet: string): Promise<number> {
  const path = `matches/day=${DAY}/camera=u5-cam5/part.parquet`;
  const file = join(dir, 'changed.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const source = join(parquet, path);
  await c.run(
    `COPY (SELECT * FROM read_parquet($source, hive_partitioning = false)
           UNION ALL
           SELECT * REPLACE (captured_at + INTERVAL 1 SECOND AS captured_at, path || '.new' AS path)
           FROM (SELECT * FROM read_parquet($source, hive_partitioning = false) LIMIT 1))
     TO $file (FORMAT parquet, COMPRESSION zstd)`,
    { source, file },
  );
  c.closeSync();
  instance.closeSync();
  await store.commit('warehouse', 'master', { put: [{ path: `/parquet/${path}`, ...(await store.addObject(file)) }] });
  return 1;
}
