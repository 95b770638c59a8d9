import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance, listValue, timestampValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { packageRoot } from '../../src/pfs/package-root.js';
import type { Cell, Row } from './core.js';

/**
 * Writes rows to Parquet through an in-memory DuckDB holding the tables of
 * warehouse/tables.sql, so every file has exactly the warehouse's column names and types.
 */
export class ParquetWriter {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly columns: Map<string, string[]>,
  ) {}

  static async open(): Promise<ParquetWriter> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(await readFile(join(packageRoot(), 'warehouse', 'tables.sql'), 'utf8'));
    const reader = await connection.runAndReadAll(
      `SELECT table_name, list(column_name ORDER BY column_index) AS columns FROM duckdb_columns() GROUP BY table_name`,
    );
    const columns = new Map(reader.getRowObjectsJS().map((r) => [r.table_name as string, r.columns as string[]]));
    return new ParquetWriter(instance, connection, columns);
  }

  /** Replaces `file` with `rows` of `table`. */
  async write(table: string, rows: Row[], file: string): Promise<void> {
    const columns = this.columns.get(table);
    if (!columns) throw new Error(`warehouse: no table ${table} in warehouse/tables.sql`);
    await this.connection.run(`DELETE FROM ${table}`);
    const appender = await this.connection.createAppender(table);
    try {
      for (const row of rows) {
        const extra = Object.keys(row).filter((k) => !columns.includes(k));
        if (extra.length > 0) throw new Error(`warehouse: ${table} has no column ${extra.join(', ')}`);
        columns.forEach((column, i) => {
          if (!(column in row)) throw new Error(`warehouse: a ${table} row lacks column ${column}`);
          appender.appendValue(duckValue(row[column]), appender.columnType(i));
        });
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await mkdir(dirname(file), { recursive: true });
    await this.connection.run(`COPY ${table} TO $file (FORMAT parquet, COMPRESSION zstd)`, { file });
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function duckValue(cell: Cell): DuckDBValue {
  if (cell instanceof Date) return timestampValue(BigInt(cell.getTime()) * 1000n);
  if (Array.isArray(cell)) return listValue(cell);
  return cell;
}
