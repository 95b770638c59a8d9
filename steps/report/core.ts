import type { DailyReport, FileRef, ReportSource, SubscriptionsFile, UnsubscribedCamera } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { governingEntry } from '../../src/contract/policy-files.js';

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

/** The subscriptions a report checks cameras against: the device ids each user's entries name, and the file read. */
export interface SubscribedCameras {
  /** Device ids by user ("*": the user's devices without an entry of their own). */
  users: ReadonlyMap<string, ReadonlyMap<string, true>>;
  file: FileRef;
}

export function subscribedCameras(subscriptions: SubscriptionsFile, file: FileRef): SubscribedCameras {
  return {
    users: new Map(subscriptions.users.map((u) => [u.id, new Map(u.devices.map((d) => [d.id, true] as const))])),
    file,
  };
}

/**
 * The cameras of `framesPerCamera` (rows of user, device, frames) that no subscription names,
 * as the match stage decides it (governingEntry), most frames first (ties in the rows' order):
 * no rule can fire for them.
 */
export function unsubscribedCameras(framesPerCamera: QueryRows, subscribed: SubscribedCameras): UnsubscribedCamera[] {
  return (framesPerCamera as unknown as UnsubscribedCamera[])
    .filter((c) => c.frames > 0 && governingEntry(subscribed.users.get(c.user), c.device) === undefined)
    .map(({ user, device, frames }) => ({ user, device, frames }))
    .sort((a, b) => b.frames - a.frames);
}

/**
 * One day's report from the results of the daily-report queries (named as its fields; `totals`
 * is a one-row query) and the cameras no subscription names, over every customer or, with
 * `user`, one customer's cameras. Checked against specs/daily-report.schema.json, so the SQL and
 * the record cannot drift apart.
 */
export function dailyReport(
  day: string,
  source: ReportSource,
  subscribed: SubscribedCameras,
  results: Map<string, QueryRows>,
  user?: string,
): DailyReport {
  const rows = (name: string): QueryRows => {
    const r = results.get(name);
    if (!r) throw new Error(`report: no result for query ${name}`);
    return r;
  };
  const report = {
    day,
    ...(user !== undefined ? { user } : {}),
    source,
    subscriptions: subscribed.file,
    totals: rows('totals')[0],
    threatsByUser: rows('threatsByUser'),
    threatsByHour: rows('threatsByHour'),
    topDevices: rows('topDevices'),
    threatsByRule: rows('threatsByRule'),
    rejectionReasons: rows('rejectionReasons'),
    alertOutcomes: rows('alertOutcomes'),
    alertLatency: rows('alertLatency'),
    unsubscribedCameras: unsubscribedCameras(rows('framesPerCamera'), subscribed),
  };
  return assertValid('daily-report', report, `daily report ${day}`);
}
