/**
 * Incidents as the index holds them, from the alert records of alerts@master
 * (/<user>-<device>/<incident>.json, specs/alert.schema.json): one row per incident and one per
 * delivery. The snapshot beside a record is named with the commit the record was read at, the
 * address emails link to (`/frames/alerts@<commit>/<user>-<device>/<incident>.jpg`).
 */
import { readFile } from 'node:fs/promises';
import { DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { validatorFor, type Alert } from '../../specs/index.js';
import { parseIncidentId } from '../contract/incident-id.js';
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import type { IndexDb, IndexedFile, IndexSource } from './index-db.js';

/** Whether `path` of alerts is an incident's record (its snapshot is the .jpg beside it). */
export function isIncidentRecord(path: string): boolean {
  const [, source, file, ...rest] = path.split('/');
  if (rest.length > 0 || !file?.endsWith('.json')) return false;
  return parseIncidentId(file.slice(0, -'.json'.length))?.source === source;
}

/** A record of a repo as JSON, from the store's object; null when it is not JSON. */
export async function readJsonObject(store: Store, sha256: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(store.objectPath(sha256), 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

export function timestamp(iso: string | undefined): DuckDBTimestampValue | null {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? new DuckDBTimestampValue(BigInt(ms) * 1000n) : null;
}

export function appendText(a: DuckDBAppender, value: string | null | undefined): void {
  if (value === null || value === undefined) a.appendNull();
  else a.appendVarchar(value);
}

export function appendTime(a: DuckDBAppender, iso: string | undefined): void {
  const t = timestamp(iso);
  if (t) a.appendTimestamp(t);
  else a.appendNull();
}

/** What a delivery's outcome says beyond its status: the error, else the provider's answer. */
function deliveryDetail(d: Alert['deliveries'][number]): string | null {
  if (d.error) return d.error;
  if (d.deliveredAs) return `delivered as ${d.deliveredAs}`;
  const r = d.response;
  if (!r) return null;
  return [r.status !== undefined ? String(r.status) : '', r.messageId ? `id ${r.messageId}` : '', r.body ?? ''].filter(Boolean).join(' · ');
}

/**
 * alerts@master as a source of the index. `commit` gives the head being indexed (the snapshot's
 * address); a record that is not an Alert is left out and reported.
 */
export function alertsSource(store: Store, commit: () => string, report: (line: string) => void): IndexSource {
  return {
    repo: REPOS.alerts,
    tables: ['incidents', 'deliveries'],
    wants: isIncidentRecord,
    async load(db: IndexDb, files: IndexedFile[]): Promise<void> {
      const validate = validatorFor('alert');
      const alerts: Array<{ file: IndexedFile; alert: Alert }> = [];
      for (const file of files) {
        const doc = await readJsonObject(store, file.sha256);
        if (validate(doc)) alerts.push({ file, alert: doc });
        else report(`portal: ${REPOS.alerts}@${commit()}:${file.path} is not an alert record; left out of the portal`);
      }
      await db.append('incidents', (a) => {
        for (const { file, alert } of alerts) {
          a.appendInteger(file.id);
          a.appendVarchar(alert.id);
          a.appendVarchar(alert.user);
          a.appendVarchar(alert.device);
          appendText(a, alert.camera?.name);
          a.appendInteger(alert.rule.id);
          a.appendVarchar(alert.rule.name);
          a.appendVarchar(alert.rule.severity);
          a.appendDouble(alert.rule.cooldownSeconds * 1000);
          appendTime(a, alert.first.capturedAt);
          appendTime(a, alert.last.capturedAt);
          a.appendInteger(alert.frameCount);
          a.appendVarchar(commit());
          a.appendVarchar(file.path);
          a.appendVarchar(file.sha256);
          appendText(a, alert.snapshot?.path);
          a.endRow();
        }
      });
      await db.append('deliveries', (a) => {
        for (const { file, alert } of alerts) {
          for (const d of alert.deliveries) {
            a.appendInteger(file.id);
            a.appendVarchar(alert.id);
            a.appendVarchar(d.channel);
            a.appendVarchar(d.recipient);
            a.appendVarchar(d.status);
            a.appendInteger(d.attempts);
            appendTime(a, d.lastAttemptAt);
            appendText(a, deliveryDetail(d));
            a.endRow();
          }
        }
      });
    },
  };
}
