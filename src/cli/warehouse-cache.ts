import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listValue } from '@duckdb/node-api';
import { REPOS } from '../contract/repos.js';
import { PARTITION_KEYS, parsePartitionFile, type Partition } from '../contract/warehouse-partitions.js';
import { describeExpiry } from '../engine/store/expiry.js';
import { acquireLock } from '../engine/store/lock.js';
import type { CommitInfo, Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { sha256 } from '../pfs/files.js';
import { WarehouseDb, warehouseSql, warehouseTables } from '../../steps/report/warehouse-db.js';

/**
 * `vigil sql`'s database: the warehouse's tables loaded from the Parquet partitions of
 * warehouse@master into `<root>/cache/warehouse.duckdb`, with the views and comments. Before
 * each query it is brought up to the head of master by reloading only the partition files that
 * changed since (a new frame: one small file per table it touched), so a query never waits on
 * the warehouse's whole history; the queries themselves read one columnar file instead of a
 * Parquet file per camera and day. Analysts' own DuckDB reads the partitions directly
 * (`vigil sql --print-setup`). A partition whose bytes expired (retention) has no rows here: the
 * cache remembers it (`expired`, the reason) and every query notes it; `vigil retain` drops the
 * cache when it expires partitions, so that no copy of their rows outlives them.
 */

/** What the cache holds besides the tables, in a schema of its own so that analysts never see it. */
const BOOKKEEPING = `
CREATE SCHEMA vigil_cache;
CREATE TABLE vigil_cache.source (schema_version VARCHAR NOT NULL, commit VARCHAR);
CREATE TABLE vigil_cache.partitions (path VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, expired VARCHAR);
`;

/** A partition file of the warehouse repo: its repo path, table, partition and object. */
interface PartitionFile {
  path: string;
  table: string;
  partition: Partition;
  sha256: string;
}

/** The head of warehouse@master, or a VigilError saying what to run first. */
export async function warehouseHead(store: Store): Promise<CommitInfo> {
  if (!(await store.listRepos()).some((r) => r.name === REPOS.warehouse)) {
    throw new VigilError(
      `there is no ${REPOS.warehouse} repo in ${store.root}: create the pipelines (vigil init) and run them (vigil run)`,
    );
  }
  const head = await store.headCommit(REPOS.warehouse);
  if (!head) throw new VigilError(`the ${REPOS.warehouse} pipeline has not produced anything yet: run it with vigil run`);
  return head;
}

/** Runs `fn` holding the cache's lock (one `vigil sql` or retention at a time), on the cache file's path. */
async function withCacheFile<T>(store: Store, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = join(store.root, 'cache');
  await mkdir(dir, { recursive: true });
  const release = await acquireLock(join(dir, 'warehouse.lock'), { waitMs: 60_000, what: `the warehouse cache ${dir}` });
  try {
    return await fn(join(dir, 'warehouse.duckdb'));
  } finally {
    await release();
  }
}

/** Removes the cache (it is made again from warehouse@master by the next query): what retention does when partitions expire. */
export function dropWarehouseCache(store: Store): Promise<void> {
  return withCacheFile(store, removeCache);
}

/**
 * Runs `fn` on the warehouse at the head of master, opened read-only once the cache is up to
 * date. One `vigil sql` at a time updates and reads the cache (a lock file beside it).
 */
export async function withWarehouse<T>(store: Store, fn: (db: WarehouseDb, head: CommitInfo) => Promise<T>): Promise<T> {
  const head = await warehouseHead(store);
  return withCacheFile(store, async (file) => {
    await update(store, file, head);
    const db = await WarehouseDb.open(file, { readOnly: true });
    try {
      return await fn(db, head);
    } finally {
      db.close();
    }
  });
}

/** The note for the partitions of the warehouse whose bytes expired, or null when none did: their rows are in no table. */
export async function expiredPartitionsNote(db: WarehouseDb): Promise<string | null> {
  const [row] = await db.query(
    `SELECT count(*)::INTEGER AS n, min(day) AS first, max(day) AS last, min(expired) AS why
     FROM (SELECT regexp_extract(path, '/day=([^/]+)/', 1) AS day, expired FROM vigil_cache.partitions WHERE expired IS NOT NULL)`,
  );
  if (!row || row.n === 0) return null;
  const files = row.n === 1 ? '1 partition file' : `${row.n} partition files`;
  return `note: ${files} of ${REPOS.warehouse}@master (days ${row.first} to ${row.last}) ${row.why}: their rows are in no table`;
}

/** Brings the cache file to `head`; a cache of another schema, or one that cannot be updated, is made afresh. */
async function update(store: Store, file: string, head: CommitInfo): Promise<void> {
  const version = await schemaVersion();
  try {
    await updateFile(store, file, head, version);
  } catch (e) {
    if (e instanceof VigilError) throw e;
    await removeCache(file);
    await updateFile(store, file, head, version);
  }
}

async function updateFile(store: Store, file: string, head: CommitInfo, version: string): Promise<void> {
  let db = await WarehouseDb.open(file);
  try {
    let [source] = await db.query(`SELECT schema_version, commit FROM vigil_cache.source`).catch(() => []);
    if (source?.schema_version !== version) {
      db.close();
      await removeCache(file);
      db = await WarehouseDb.open(file);
      await db.createSchema();
      await db.connection.run(BOOKKEEPING);
      await db.query(`INSERT INTO vigil_cache.source VALUES ($version, NULL)`, { version });
      source = { commit: null };
    }
    if (source.commit === head.id) return;
    await applyChanges(db, store, head);
    await db.connection.run('CHECKPOINT');
  } finally {
    db.close();
  }
}

/** Replaces the rows of every partition file that changed since the cache's commit, in one transaction. */
async function applyChanges(db: WarehouseDb, store: Store, head: CommitInfo): Promise<void> {
  const tables = new Set((await warehouseTables()).map((t) => t.name));
  const wanted = new Map<string, PartitionFile>();
  for (const entry of await store.listFiles(REPOS.warehouse, head.id)) {
    const parsed = parsePartitionFile(entry.path);
    if (parsed && tables.has(parsed.table)) wanted.set(entry.path, { path: entry.path, ...parsed, sha256: entry.sha256 });
  }
  const rows = await db.query(`SELECT path, sha256, expired FROM vigil_cache.partitions`);
  const held = new Map(rows.map((r) => [r.path as string, r.sha256 as string]));
  const heldExpired = new Set(rows.filter((r) => r.expired !== null).map((r) => r.path as string));
  const removed = [...held].filter(([path, sha]) => wanted.get(path)?.sha256 !== sha);
  const added = [...wanted.values()].filter((f) => held.get(f.path) !== f.sha256);
  const expired = new Map<string, string>();
  for (const f of added) {
    const expiry = await store.expiry.expiredNow(f.sha256);
    if (expiry) expired.set(f.path, describeExpiry(expiry));
  }

  await db.connection.run('BEGIN TRANSACTION');
  try {
    for (const [path, sha] of removed) {
      const { table, partition } = parsePartitionFile(path)!;
      if (!heldExpired.has(path)) await db.removePartitionFile(table, store.objectPath(sha), partition);
      await db.query(`DELETE FROM vigil_cache.partitions WHERE path = $path`, { path });
    }
    await addFiles(
      db,
      store,
      added.filter((f) => !expired.has(f.path)),
    );
    for (const [path, why] of expired) {
      await db.query(`INSERT INTO vigil_cache.partitions VALUES ($path, $sha256, $why)`, { path, sha256: wanted.get(path)!.sha256, why });
    }
    await db.query(`UPDATE vigil_cache.source SET commit = $commit`, { commit: head.id });
    await db.connection.run('COMMIT');
  } catch (e) {
    await db.connection.run('ROLLBACK');
    throw e;
  }
}

/** Loads `files`, one statement per table: each file's rows with the partition its path names. */
async function addFiles(db: WarehouseDb, store: Store, files: PartitionFile[]): Promise<void> {
  if (files.length === 0) return;
  await db.connection.run(`CREATE OR REPLACE TEMP TABLE added (object VARCHAR, day DATE, camera VARCHAR, path VARCHAR, sha256 VARCHAR)`);
  const appender = await db.connection.createAppender('added', 'main', 'temp');
  const text = (value: string | null) => (value === null ? appender.appendNull() : appender.appendVarchar(value));
  for (const f of files) {
    for (const value of [store.objectPath(f.sha256), f.partition.day, f.partition.camera, f.path, f.sha256]) text(value);
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
  const keys = PARTITION_KEYS.map((k) => `a.${k.name}`).join(', ');
  for (const table of new Set(files.map((f) => f.table))) {
    const objects = files.filter((f) => f.table === table).map((f) => store.objectPath(f.sha256));
    await db.connection.run(
      `INSERT INTO ${table} BY NAME
       SELECT p.* EXCLUDE (filename), ${keys}
       FROM read_parquet($objects, filename = true, hive_partitioning = false) p JOIN added a ON a.object = p.filename`,
      { objects: listValue(objects) },
    );
  }
  await db.connection.run(`INSERT OR REPLACE INTO vigil_cache.partitions SELECT path, sha256, NULL FROM added`);
}

/** Changes when the tables, views or partition keys do: a cache of another version is rebuilt. */
async function schemaVersion(): Promise<string> {
  return sha256(
    `${await warehouseSql('tables.sql')}\0${await warehouseSql('views.sql')}\0${JSON.stringify(PARTITION_KEYS)}\0${BOOKKEEPING}`,
  );
}

async function removeCache(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.wal`, { force: true });
}
