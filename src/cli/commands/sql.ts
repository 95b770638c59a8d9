import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBResultReader } from '@duckdb/node-api';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { printTable } from '../output.js';
import { latestReports } from '../reports-repo.js';

/** A query's result with every value as DuckDB's JSON conversion gives it (big integers as strings). */
interface QueryResult {
  columns: string[];
  /** Whether each column is a whole or decimal number that --json writes as a JSON number. */
  numeric: boolean[];
  rows: unknown[][];
}

// BIGINT, HUGEINT, UBIGINT, UHUGEINT and DECIMAL come back as strings to keep their precision.
const NUMERIC_TEXT = new Set(['BIGINT', 'HUGEINT', 'UBIGINT', 'UHUGEINT']);

function result(reader: DuckDBResultReader): QueryResult {
  return {
    columns: reader.columnNames(),
    numeric: reader.columnTypes().map((t) => NUMERIC_TEXT.has(t.toString()) || t.toString().startsWith('DECIMAL')),
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
      r.rows.map((row) => row.map((v) => cellText(v, 'NULL'))),
    );
    process.stdout.write(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`);
  }
}

/**
 * Runs `sql` on a private copy of the latest warehouse.duckdb (reports@master), opened
 * read-only: the store's blob is never opened by DuckDB, which could leave files beside it.
 */
async function queryLatestWarehouse(args: { root?: string }, sql: string): Promise<QueryResult> {
  const reports = await latestReports(await openStore(args));
  const blob = reports.blob('/warehouse.duckdb');
  const dir = await mkdtemp(join(tmpdir(), 'vigil-sql-'));
  try {
    const copy = join(dir, 'warehouse.duckdb');
    await copyFile(blob, copy);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(copy, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      return result(await connection.runAndReadAll(sql));
    } catch (e) {
      throw new VigilError(`the query failed on reports@${reports.commit.id}:/warehouse.duckdb: ${(e as Error).message}`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'sql',
    positionals: '<query>',
    describe: 'run SQL on the latest warehouse (reports@master:/warehouse.duckdb); tables and views: README, "Warehouse and reports"',
    builder: (y) =>
      withRoot(y)
        .positional('query', { type: 'string', describe: 'DuckDB SQL, e.g. "SELECT * FROM daily_threats ORDER BY day"' })
        .option('json', { type: 'boolean', describe: 'print the rows as a JSON array of objects' })
        .option('csv', { type: 'boolean', describe: 'print the rows as CSV with a header line' })
        .conflicts('json', 'csv'),
    handler: async (args) => {
      const r = await queryLatestWarehouse({ root: args.root }, args.query);
      print(r, args.json ? 'json' : args.csv ? 'csv' : 'table');
    },
  }),
];
