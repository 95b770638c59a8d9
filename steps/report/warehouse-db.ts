import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { packageRoot } from '../../src/pfs/package-root.js';
import type { QueryRows } from './core.js';

/** A file of warehouse/ (tables.sql, views.sql, daily-report.sql). */
export function warehouseSql(name: string): Promise<string> {
  return readFile(join(packageRoot(), 'warehouse', name), 'utf8');
}

/** The warehouse database the report step builds: the tables of tables.sql, loaded, and the views. */
export class WarehouseDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /**
   * Creates `dbFile` afresh (a file already there may be a hard link into the engine's store,
   * so it is removed, never written), loads each table from every Parquet file under
   * `<parquetDir>/<table>/`, and adds the views.
   */
  static async create(dbFile: string, parquetDir: string): Promise<WarehouseDb> {
    await mkdir(dirname(dbFile), { recursive: true });
    await rm(dbFile, { force: true });
    await rm(`${dbFile}.wal`, { force: true });
    const instance = await DuckDBInstance.create(dbFile);
    const connection = await instance.connect();
    const db = new WarehouseDb(instance, connection);
    try {
      await connection.run(await warehouseSql('tables.sql'));
      // Rows are found by their columns, never by position: loading in any order is faster.
      await connection.run('SET preserve_insertion_order = false');
      for (const table of (await db.query(`SELECT table_name FROM duckdb_tables() ORDER BY table_name`)).map(
        (r) => r.table_name as string,
      )) {
        const files = `${join(parquetDir, table)}/**/*.parquet`;
        const [{ n }] = await db.query(`SELECT count(*)::INTEGER AS n FROM glob($files)`, { files });
        if (n === 0) continue;
        // By name, with union_by_name: partitions written before a (nullable) column was added still load.
        await connection.run(
          `INSERT INTO ${table} BY NAME SELECT * FROM read_parquet($files, union_by_name = true, hive_partitioning = false)`,
          { files },
        );
      }
      await connection.run(await warehouseSql('views.sql'));
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  async query(sql: string, params?: Record<string, string>): Promise<QueryRows> {
    return (await this.connection.runAndReadAll(sql, params)).getRowObjectsJson() as QueryRows;
  }

  /** The UTC days that have records, oldest first, as YYYY-MM-DD. */
  async days(): Promise<string[]> {
    return (await this.query(`SELECT strftime(day, '%Y-%m-%d') AS day FROM days ORDER BY day`)).map((r) => r.day as string);
  }

  /** Writes everything into the database file and closes it, leaving no write-ahead log. */
  async checkpointAndClose(): Promise<void> {
    await this.connection.run('CHECKPOINT');
    this.close();
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
