/**
 * The daily reports as the reports pipeline wrote them (reports@master): `/daily/<day>.html`
 * over every customer, for operators, and `/daily/<day>/<user>.html` over one customer's cameras,
 * the only version a customer sees.
 */
import { REPOS } from '../contract/repos.js';
import type { FileEntry, Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';

export interface DailyReports {
  commit: string;
  /** The days with a report in this scope, oldest first. */
  days: string[];
  /** The stored page of `day`, or null. */
  page(day: string): FileEntry | null;
}

const DAY = '(\\d{4}-\\d{2}-\\d{2})';

/** The reports `customer` may see (every customer's when null) at the head of reports@master; none before its first commit. */
export async function dailyReports(store: Store, customer: string | null): Promise<DailyReports> {
  const head = await store.headCommit(REPOS.reports).catch((e: unknown) => {
    if (e instanceof VigilError) return null;
    throw e;
  });
  const files = head ? await store.listFiles(REPOS.reports, head.id) : [];
  const pattern = new RegExp(customer === null ? `^/daily/${DAY}\\.html$` : `^/daily/${DAY}/${customer}\\.html$`);
  const pages = new Map<string, FileEntry>();
  for (const f of files) {
    const day = pattern.exec(f.path)?.[1];
    if (day) pages.set(day, f);
  }
  return { commit: head?.id ?? '', days: [...pages.keys()].sort(), page: (day) => pages.get(day) ?? null };
}
