import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBResultReader } from '@duckdb/node-api';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { printTable } from '../output.js';
import { REPOS } from '../../contract/repos.js';

/** A query's result with every value as DuckDB's JSON conversion gives it (big integers as strings). */
interface QueryResult {
  columns: string[];
  /** Whether each column is a whole or decimal number that --json writes as a JSON number. */
  numeric: boolean[];
  /** Whether each column is a floating-point number, which the table shows rounded. */
  floating: boolean[];
  rows: unknown[][];
}

// BIGINT, HUGEINT, UBIGINT, UHUGEINT and DECIMAL come back as strings to keep their precision.
const NUMERIC_TEXT = new Set(['BIGINT', 'HUGEINT', 'UBIGINT', 'UHUGEINT']);
const FLOATING = new Set(['DOUBLE', 'FLOAT']);

/** Decimal places a table shows of a floating-point number (306507.27500009537 -> 306507.275); --json and --csv keep every digit. */
const SHOWN_DECIMALS = 3;

function shownNumber(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? Number(value.toFixed(SHOWN_DECIMALS)) : value;
}

function result(reader: DuckDBResultReader): QueryResult {
  return {
    columns: reader.columnNames(),
    numeric: reader.columnTypes().map((t) => NUMERIC_TEXT.has(t.toString()) || t.toString().startsWith('DECIMAL')),
    floating: reader.columnTypes().map((t) => FLOATING.has(t.toString())),
    rows: reader.getRowsJson(),
  };
}

/** A value as one cell of text: DuckDB's own rendering for scalars, JSON for lists and structs. */
function cellText(value: unknown, nullText: string): string {
  if (value === null || value === undefined) return nullText;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function jsonValue(value: unknown, numeric: boolean): unknown {
  if (numeric && typeof value === 'string') {
    const n = Number(value);
    if (Number.isFinite(n) && (value.includes('.') || Number.isSafeInteger(n))) return n;
  }
  return value;
}

function print(r: QueryResult, format: 'table' | 'json' | 'csv'): void {
  if (format === 'json') {
    const objects = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, jsonValue(row[i], r.numeric[i])])));
    process.stdout.write(`${JSON.stringify(objects, null, 2)}\n`);
  } else if (format === 'csv') {
    const lines = [r.columns, ...r.rows.map((row) => row.map((v) => cellText(v, '')))].map((cells) => cells.map(csvField).join(','));
    process.stdout.write(`${lines.join('\n')}\n`);
  } else {
    printTable(
      r.columns,
      r.rows.map((row) => row.map((v, i) => cellText(r.floating[i] ? shownNumber(v) : v, 'NULL'))),
    );
    process.stdout.write(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`);
  }
}

/** Every table and view of the warehouse with its columns and their comments, from a database holding the schema only. */
async function warehouseSchema(): Promise<SchemaEntry[]> {
  const { WarehouseDb } = await import('../../../steps/report/warehouse-db.js');
  const db = await WarehouseDb.open();
  try {
    await db.createSchema();
    return (await db.query(`
      WITH relations AS (
        SELECT table_oid AS oid, table_name AS name, 'table' AS kind, comment FROM duckdb_tables() WHERE schema_name = 'main'
        UNION ALL
        SELECT view_oid, view_name, 'view', comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal
      )
      SELECT r.name, r.kind, r.comment,
             list({name: c.column_name, type: c.data_type, comment: c.comment} ORDER BY c.column_index) AS columns
      FROM relations r JOIN duckdb_columns() c ON c.table_oid = r.oid
      GROUP BY r.oid, r.name, r.kind, r.comment
      ORDER BY r.kind, r.oid`)) as unknown as SchemaEntry[];
  } finally {
    db.close();
  }
}

interface SchemaEntry {
  name: string;
  kind: 'table' | 'view';
  comment: string | null;
  columns: Array<{ name: string; type: string; comment: string | null }>;
}

function printSchema(entries: SchemaEntry[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return;
  }
  entries.forEach((e, i) => {
    process.stdout.write(`${i > 0 ? '\n' : ''}${e.kind.toUpperCase()} ${e.name}: ${e.comment ?? ''}\n`);
    printTable(
      ['COLUMN', 'TYPE', 'COMMENT'],
      e.columns.map((c) => [c.name, c.type, c.comment ?? '']),
    );
  });
}

/** The analysts' setup for the partitions under `location`: a folder (which must exist) or a URL. */
async function setupSql(location: string): Promise<string> {
  const { parquetViewsSql, tablesWithPartitions } = await import('../../../steps/report/warehouse-db.js');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return parquetViewsSql(location, () => true);
  const dir = resolve(location);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new VigilError(
      `--print-setup ${location}: no such folder; get the partitions first: vigil get file -r warehouse@master:/parquet -o ${location}`,
    );
  }
  const present = await tablesWithPartitions(dir);
  return parquetViewsSql(dir, (table) => present.has(table));
}

/** Runs `sql` on the warehouse at the head of warehouse@master (vigil sql's cache, brought up to date first). */
async function queryWarehouse(args: { root?: string }, sql: string): Promise<QueryResult> {
  const { expiredPartitionsNote, withWarehouse } = await import('../warehouse-cache.js');
  return withWarehouse(await openStore(args), async (db, head) => {
    const note = await expiredPartitionsNote(db);
    if (note) process.stderr.write(`${note}\n`);
    try {
      return result(await db.connection.runAndReadAll(sql));
    } catch (e) {
      throw new VigilError(`the query failed on ${REPOS.warehouse}@${head.id}: ${(e as Error).message}`);
    }
  });
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'sql',
    positionals: '[query]',
    describe:
      'run SQL on the warehouse at warehouse@master; --schema lists its tables and views, --print-setup the SQL that opens it in DuckDB',
    builder: (y) =>
      withRoot(y)
        .positional('query', { type: 'string', describe: 'DuckDB SQL, e.g. "SELECT * FROM daily_threats ORDER BY day"' })
        .option('json', { type: 'boolean', describe: 'print the rows (or the schema) as JSON' })
        .option('csv', { type: 'boolean', describe: 'print the rows as CSV with a header line' })
        .option('schema', { type: 'boolean', describe: 'print every table and view with its columns, types and comments' })
        .option('print-setup', {
          type: 'string',
          describe:
            'print the SQL that opens the warehouse in DuckDB as views over the partitions in a folder or at a URL (s3://master.warehouse/parquet)',
        })
        .conflicts('json', 'csv')
        .conflicts('schema', ['print-setup', 'csv'])
        .conflicts('print-setup', ['json', 'csv']),
    handler: async (args) => {
      if (args.printSetup !== undefined) {
        process.stdout.write(await setupSql(args.printSetup));
        return;
      }
      if (args.schema) {
        printSchema(await warehouseSchema(), Boolean(args.json));
        return;
      }
      if (!args.query)
        throw new VigilError('give a query, e.g. vigil sql "SELECT * FROM daily_threats", or --schema, or --print-setup FOLDER');
      const r = await queryWarehouse({ root: args.root }, args.query);
      print(r, args.json ? 'json' : args.csv ? 'csv' : 'table');
    },
  }),
];
