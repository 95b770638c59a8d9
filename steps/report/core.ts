import type { DailyReport, ReportSource } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';

export { renderDailyHtml } from './html.js';

/** What DuckDB returns for one query: rows of JSON values, by column name. */
export type QueryRows = Array<Record<string, unknown>>;

/**
 * The queries of a SQL file whose statements are each preceded by a `-- name: <name>` line
 * (warehouse/daily-report.sql), by name.
 */
export function parseNamedQueries(sql: string): Map<string, string> {
  const queries = new Map<string, string>();
  const parts = sql.split(/^--\s*name:\s*(\w+)\s*$/m);
  for (let i = 1; i < parts.length; i += 2) {
    const body = parts[i + 1].trim().replace(/;\s*$/, '');
    if (queries.has(parts[i])) throw new Error(`report: query ${parts[i]} is named twice`);
    queries.set(parts[i], body);
  }
  return queries;
}

/**
 * One day's report from the results of the daily-report queries (named as its fields; `totals`
 * is a one-row query), over every customer or, with `user`, one customer's cameras. Checked
 * against specs/daily-report.schema.json, so the SQL and the record cannot drift apart.
 */
export function dailyReport(day: string, source: ReportSource, results: Map<string, QueryRows>, user?: string): DailyReport {
  const rows = (name: string): QueryRows => {
    const r = results.get(name);
    if (!r) throw new Error(`report: no result for query ${name}`);
    return r;
  };
  const report = {
    day,
    ...(user !== undefined ? { user } : {}),
    source,
    totals: rows('totals')[0],
    threatsByUser: rows('threatsByUser'),
    threatsByHour: rows('threatsByHour'),
    topDevices: rows('topDevices'),
    threatsByRule: rows('threatsByRule'),
    rejectionReasons: rows('rejectionReasons'),
    alertOutcomes: rows('alertOutcomes'),
    alertLatency: rows('alertLatency'),
  };
  return assertValid('daily-report', report, `daily report ${day}`);
}
