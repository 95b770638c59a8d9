import { join } from 'node:path';
import type { ReportSource } from '../../specs/index.js';
import { writeJsonOutput, writeOutput } from '../../src/pfs/files.js';
import { dailyReport, parseNamedQueries, renderDailyHtml, type QueryRows } from './core.js';
import { WarehouseDb, warehouseSql } from './warehouse-db.js';

/**
 * The daily reports of the warehouse partitions under `parquetDir`: for each UTC day with
 * records, `<out>/daily/<day>.json` and `<out>/daily/<day>.html`. The pipeline hands it one
 * day's partitions at a time. Returns the days reported.
 */
export async function buildReports(parquetDir: string, out: string, source: ReportSource): Promise<string[]> {
  const db = await WarehouseDb.open();
  try {
    await db.createSchema();
    await db.loadFolder(parquetDir);
    const queries = parseNamedQueries(await warehouseSql('daily-report.sql'));
    const days = await db.days();
    for (const day of days) {
      const results = new Map<string, QueryRows>();
      for (const [name, sql] of queries) results.set(name, await db.query(sql, { day }));
      const report = dailyReport(day, source, results);
      writeJsonOutput(join(out, 'daily', `${day}.json`), report);
      writeOutput(join(out, 'daily', `${day}.html`), renderDailyHtml(report));
    }
    return days;
  } finally {
    db.close();
  }
}
