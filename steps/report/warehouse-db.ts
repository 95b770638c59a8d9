import { opendir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { PARTITION_KEYS, type Partition } from '../../src/contract/warehouse-partitions.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import type { QueryRows } from './core.js';

/**
 * The warehouse as SQL readers open it: the tables of warehouse/tables.sql with the partition
 * keys (`day`, `camera`) as their last columns, the views of warehouse/views.sql over them, and
 * the COMMENT ON documentation of both. Two forms share these definitions: a database holding
 * the tables (the report step's, in memory; `vigil sql`'s cache, on disk), and the setup script
 * an analyst's own DuckDB runs to get the same tables as views over the Parquet files.
 */

/** A file of warehouse/ (tables.sql, views.sql, daily-report.sql). */
export function warehouseSql(name: string): Promise<string> {
  return readFile(join(packageRoot(), 'warehouse', name), 'utf8');
}

export interface ColumnSchema {
  name: string;
  type: string;
  comment: string | null;
}

export interface TableSchema {
  name: string;
  comment: string | null;
  columns: ColumnSchema[];
}

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The tables of tables.sql as readers see them (the partition keys appended), in the file's order. */
export async function warehouseTables(): Promise<TableSchema[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(await warehouseSql('tables.sql'));
    const rows = (
      await connection.runAndReadAll(`
        SELECT t.table_name, t.comment,
               list({name: c.column_name, type: c.data_type, comment: c.comment} ORDER BY c.column_index) AS columns
        FROM duckdb_tables() t JOIN duckdb_columns() c USING (table_oid)
        GROUP BY t.table_oid, t.table_name, t.comment
        ORDER BY t.table_oid`)
    ).getRowObjectsJson() as unknown as Array<{ table_name: string; comment: string | null; columns: ColumnSchema[] }>;
    return rows.map((r) => ({
      name: r.table_name,
      comment: r.comment,
      columns: [...r.columns, ...PARTITION_KEYS.map((k) => ({ name: k.name, type: k.type, comment: k.comment }))],
    }));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function commentsSql(kind: 'TABLE' | 'VIEW', table: TableSchema): string[] {
  return [
    ...(table.comment ? [`COMMENT ON ${kind} ${table.name} IS ${literal(table.comment)};`] : []),
    ...table.columns.filter((c) => c.comment).map((c) => `COMMENT ON COLUMN ${table.name}.${ident(c.name)} IS ${literal(c.comment!)};`),
  ];
}

/** The read_parquet options of every partition: Hive keys, typed as the contract says rather than guessed. */
const HIVE_OPTIONS = `hive_partitioning = true, hive_types = {${PARTITION_KEYS.map((k) => `'${k.name}': ${k.type}`).join(', ')}}`;

/** `read_parquet` of every partition file of `table` under `location` (a folder, or a URL). */
function readPartitions(location: string, table: string): string {
  return `read_parquet(${literal(`${location.replace(/\/+$/, '')}/${table}/*/*/*.parquet`)}, ${HIVE_OPTIONS})`;
}

/**
 * The setup an analyst's DuckDB runs: one view per table over its Parquet partitions under
 * `location` (a folder, or a URL such as s3://master.warehouse/parquet), documented with
 * COMMENT ON, then the views of views.sql. DuckDB refuses a glob that matches no file, so a
 * table without partitions (`present` says which have some) is a view of no rows with the same
 * columns.
 */
export async function parquetViewsSql(location: string, present: (table: string) => boolean): Promise<string> {
  const lines = [`-- The Vigil warehouse: views over the Parquet partitions under ${location}`];
  for (const table of await warehouseTables()) {
    const body = present(table.name)
      ? `SELECT ${table.columns.map((c) => ident(c.name)).join(', ')} FROM ${readPartitions(location, table.name)}`
      : `SELECT ${table.columns.map((c) => `NULL::${c.type} AS ${ident(c.name)}`).join(', ')} WHERE false`;
    lines.push('', `CREATE OR REPLACE VIEW ${table.name} AS ${body};`, ...commentsSql('VIEW', table));
  }
  lines.push('', (await warehouseSql('views.sql')).replace(/^CREATE VIEW /gm, 'CREATE OR REPLACE VIEW '));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The tables of the warehouse that have at least one partition file under the folder `parquetDir`. */
export async function tablesWithPartitions(parquetDir: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const table of await warehouseTables()) {
    if (await hasParquetFile(join(parquetDir, table.name), 2)) found.add(table.name);
  }
  return found;
}

/** Whether `dir` holds a .parquet file `depth` folders down; stops at the first. */
async function hasParquetFile(dir: string, depth: number): Promise<boolean> {
  const entries = await opendir(dir).catch(() => null);
  if (!entries) return false;
  for await (const entry of entries) {
    if (
      depth === 0
        ? entry.isFile() && entry.name.endsWith('.parquet')
        : entry.isDirectory() && (await hasParquetFile(join(dir, entry.name), depth - 1))
    ) {
      return true;
    }
  }
  return false;
}

/** A database holding the warehouse's tables (partition keys included), its views and their documentation. */
export class WarehouseDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** Opens `file` (default: in memory); `readOnly` as an analyst's query should. */
  static async open(file = ':memory:', opts: { readOnly?: boolean } = {}): Promise<WarehouseDb> {
    const instance = await DuckDBInstance.create(file, opts.readOnly ? { access_mode: 'READ_ONLY' } : {});
    return new WarehouseDb(instance, await instance.connect());
  }

  /** Creates the tables, the partition columns, the views and every comment, in an empty database. */
  async createSchema(): Promise<void> {
    const tables = await warehouseTables();
    const sql = [await warehouseSql('tables.sql')];
    for (const table of tables) {
      for (const key of PARTITION_KEYS) {
        sql.push(`ALTER TABLE ${table.name} ADD COLUMN ${key.name} ${key.type};`);
        sql.push(`COMMENT ON COLUMN ${table.name}.${key.name} IS ${literal(key.comment)};`);
      }
    }
    sql.push(await warehouseSql('views.sql'));
    await this.connection.run(sql.join('\n'));
  }

  /** Loads every partition file under the folder `parquetDir` (`<table>/day=.../camera=.../*.parquet`). */
  async loadFolder(parquetDir: string): Promise<void> {
    // Rows are found by their columns, never by position: loading in any order is faster.
    await this.connection.run('SET preserve_insertion_order = false');
    for (const table of await tablesWithPartitions(parquetDir)) {
      await this.connection.run(`INSERT INTO ${table} BY NAME SELECT * FROM ${readPartitions(parquetDir, table)}`);
    }
  }

  /**
   * Removes the rows of one partition file, as it was (`file`): those of its partition whose
   * record file (repo and path: each lies in exactly one partition file of a table) it holds.
   */
  async removePartitionFile(table: string, file: string, partition: Partition): Promise<void> {
    await this.connection.run(
      `DELETE FROM ${table}
       WHERE day IS NOT DISTINCT FROM $day::DATE AND camera IS NOT DISTINCT FROM $camera::VARCHAR
         AND (repo, path) IN (SELECT DISTINCT repo, path FROM read_parquet($file, hive_partitioning = false))`,
      { file, ...partitionParams(partition) },
    );
  }

  async query(sql: string, params?: Record<string, DuckDBValue>): Promise<QueryRows> {
    return (await this.connection.runAndReadAll(sql, params)).getRowObjectsJson() as QueryRows;
  }

  /** The UTC days that have records, oldest first, as YYYY-MM-DD. */
  async days(): Promise<string[]> {
    return (await this.query(`SELECT strftime(day, '%Y-%m-%d') AS day FROM days ORDER BY day`)).map((r) => r.day as string);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function partitionParams(p: Partition): Record<string, DuckDBValue> {
  return { day: p.day, camera: p.camera };
}
