import { join } from 'node:path';
import type { ReportSource } from '../../specs/index.js';
import { writeJsonOutput, writeOutput } from '../../src/pfs/files.js';
import { dailyReport, parseNamedQueries, renderDailyHtml, type QueryRows, type SubscribedCameras } from './core.js';
import { WarehouseDb, warehouseSql } from './warehouse-db.js';

/** Where a customer's reports are computed: views of the warehouse's tables over that customer's rows only. */
const CUSTOMER_SCHEMA = 'customer_scope';

/**
 * The daily reports of the warehouse partitions under `parquetDir` (the pipeline hands it one
 * day's partitions at a time): for each UTC day with records, `<out>/daily/<day>.json` and
 * `<out>/daily/<day>.html`; and for each customer (`user`) with records that day, the same over
 * their cameras only, `<out>/daily/<day>/<user>.json` and `.html` (what the portal shows that
 * customer). Cameras are checked against `subscribed`. Returns the days reported.
 */
export async function buildReports(
  parquetDir: string,
  out: string,
  source: ReportSource,
  subscribed: SubscribedCameras,
): Promise<string[]> {
  const db = await WarehouseDb.open();
  try {
    await db.createSchema();
    await db.loadFolder(parquetDir);
    const queries = parseNamedQueries(await warehouseSql('daily-report.sql'));
    const write = async (file: string, user?: string): Promise<string[]> => {
      const days = await db.days();
      for (const day of days) {
        const results = new Map<string, QueryRows>();
        for (const [name, sql] of queries) results.set(name, await db.query(sql, { day }));
        const report = dailyReport(day, source, subscribed, results, user);
        writeJsonOutput(join(out, 'daily', `${file.replace('<day>', day)}.json`), report);
        writeOutput(join(out, 'daily', `${file.replace('<day>', day)}.html`), renderDailyHtml(report));
      }
      return days;
    };
    const days = await write('<day>');
    for (const user of await customers(db)) {
      await scopeToCustomer(db, user);
      try {
        await write(`<day>/${user}`, user);
      } finally {
        await db.query(`USE main; DROP SCHEMA ${CUSTOMER_SCHEMA} CASCADE`);
      }
    }
    return days;
  } finally {
    db.close();
  }
}

/** The tables that have a `user` column: what a customer's version is restricted on. */
async function customerTables(db: WarehouseDb): Promise<string[]> {
  const rows = await db.query(
    `SELECT table_name FROM duckdb_tables() t WHERE schema_name = 'main'
       AND EXISTS (SELECT 1 FROM duckdb_columns() c WHERE c.table_oid = t.table_oid AND c.column_name = 'user') ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name as string);
}

/** Every customer with a record in any table. */
async function customers(db: WarehouseDb): Promise<string[]> {
  const union = (await customerTables(db)).map((t) => `SELECT user FROM main."${t}"`).join(' UNION ');
  const rows = await db.query(`SELECT DISTINCT user FROM (${union}) WHERE user IS NOT NULL ORDER BY user`);
  return rows.map((r) => r.user as string);
}

/**
 * Makes the unqualified table and view names mean `user`'s rows only: a schema of views over
 * the tables filtered on `user`, with warehouse/views.sql over those, made the default schema.
 * The daily-report queries then run unchanged.
 */
async function scopeToCustomer(db: WarehouseDb, user: string): Promise<void> {
  const literal = `'${user.replace(/'/g, "''")}'`;
  const views = (await customerTables(db)).map(
    (t) => `CREATE VIEW ${CUSTOMER_SCHEMA}."${t}" AS SELECT * FROM main."${t}" WHERE user = ${literal};`,
  );
  await db.query(`CREATE SCHEMA ${CUSTOMER_SCHEMA}; ${views.join('\n')} USE ${CUSTOMER_SCHEMA};`);
  await db.query(await warehouseSql('views.sql'));
}
