import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DuckDBInstance,
  DuckDBTypeId,
  listValue,
  timestampValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
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
      `SELECT table_name, list(column_name ORDER BY column_index) AS columns FROM duckdb_columns() WHERE NOT internal GROUP BY table_name`,
    );
    const columns = new Map(reader.getRowObjectsJS().map((r) => [r.table_name as string, r.columns as string[]]));
    return new ParquetWriter(instance, connection, columns);
  }

  /**
   * Starts the next file of `table`: rows are appended as they are read, so a datum's records
   * are never all held in memory at once. One file of a table at a time.
   */
  async begin(table: string): Promise<TableFile> {
    const columns = this.columns.get(table);
    if (!columns) throw new Error(`warehouse: no table ${table} in warehouse/tables.sql`);
    await this.connection.run(`DELETE FROM ${table}`);
    const appender = await this.connection.createAppender(table);
    return new TableFile(
      this.connection,
      table,
      columns,
      appender,
      columns.map((_, i) => cellWriter(appender, appender.columnType(i))),
    );
  }

  /** Replaces `file` with `rows` of `table`. */
  async write(table: string, rows: Row[], file: string): Promise<void> {
    const out = await this.begin(table);
    out.append(rows);
    await out.finish(file);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** The rows of one Parquet file being gathered. */
export class TableFile {
  /** Rows appended so far. */
  count = 0;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly table: string,
    private readonly columns: string[],
    private readonly appender: DuckDBAppender,
    /** One writer per column, for its type. */
    private readonly writers: Array<(cell: Cell) => void>,
  ) {}

  append(rows: Row[]): void {
    for (const row of rows) {
      if (Object.keys(row).length !== this.columns.length) {
        const extra = Object.keys(row).filter((k) => !this.columns.includes(k));
        if (extra.length > 0) throw new Error(`warehouse: ${this.table} has no column ${extra.join(', ')}`);
      }
      for (let i = 0; i < this.columns.length; i++) {
        const column = this.columns[i];
        if (!(column in row)) throw new Error(`warehouse: a ${this.table} row lacks column ${column}`);
        this.writers[i](row[column]);
      }
      this.appender.endRow();
      this.count++;
    }
  }

  /** Writes the rows to `file` (replacing it); with no row, writes nothing. */
  async finish(file: string): Promise<void> {
    this.appender.flushSync();
    this.appender.closeSync();
    if (this.count === 0) return;
    await mkdir(dirname(file), { recursive: true });
    await this.connection.run(`COPY ${this.table} TO $file (FORMAT parquet, COMPRESSION zstd)`, { file });
  }
}

/**
 * Appends a cell of a column of `type`: the typed append for each of the warehouse's column
 * types (appendValue would work out the conversion again for every cell).
 */
function cellWriter(appender: DuckDBAppender, type: DuckDBType): (cell: Cell) => void {
  const nullOr =
    <T>(write: (value: T) => void) =>
    (cell: Cell) =>
      cell === null ? appender.appendNull() : write(cell as T);
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return nullOr((v: string) => appender.appendVarchar(v));
    case DuckDBTypeId.INTEGER:
      return nullOr((v: number) => appender.appendInteger(v));
    case DuckDBTypeId.BIGINT:
      return nullOr((v: number) => appender.appendBigInt(BigInt(v)));
    case DuckDBTypeId.DOUBLE:
      return nullOr((v: number) => appender.appendDouble(v));
    case DuckDBTypeId.TIMESTAMP:
      return nullOr((v: Date) => appender.appendTimestamp(timestampValue(BigInt(v.getTime()) * 1000n)));
    default:
      return nullOr((v: string[]) => appender.appendValue(listValue(v), type));
  }
}
