/**
 * Incidents as the index holds them, from the alert records of alerts@master
 * (/<user>-<device>/<incident>.json, specs/alert.schema.json): one row per incident, its
 * deliveries sent and failed counted. The snapshot beside a record is named with the commit the
 * record was read at, the address emails link to
 * (`/frames/alerts@<commit>/<user>-<device>/<incident>.jpg`).
 */
import type { DuckDBAppender } from '@duckdb/node-api';
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import type { IndexDb, IndexedFile, IndexSource } from './index-db.js';
import { appendTime, isIncidentRecord, readRecords } from './records.js';

function appendText(a: DuckDBAppender, value: string | null | undefined): void {
  if (value === null || value === undefined) a.appendNull();
  else a.appendVarchar(value);
}

/**
 * alerts@master as a source of the index. `commit` gives the head being indexed (the snapshot's
 * address); a record that is not an Alert is left out and reported.
 */
export function alertsSource(store: Store, commit: () => string, report: (line: string) => void): IndexSource {
  return {
    repo: REPOS.alerts,
    tables: ['incidents'],
    wants: isIncidentRecord,
    async load(db: IndexDb, files: IndexedFile[]): Promise<void> {
      const alerts = await readRecords(store, files, 'alert', (file) =>
        report(`portal: ${REPOS.alerts}@${commit()}:${file.path} is not an alert record; left out of the portal`),
      );
      await db.append('incidents', (a) => {
        for (const { file, record: alert } of alerts) {
          a.appendInteger(file.id);
          a.appendVarchar(alert.id);
          a.appendVarchar(alert.user);
          a.appendVarchar(alert.device);
          appendText(a, alert.camera?.name);
          a.appendInteger(alert.rule.id);
          a.appendVarchar(alert.rule.name);
          a.appendVarchar(alert.rule.severity);
          appendTime(a, alert.first.capturedAt);
          appendTime(a, alert.last.capturedAt);
          a.appendInteger(alert.frameCount);
          a.appendDouble(Date.parse(alert.last.capturedAt) + alert.rule.cooldownSeconds * 1000);
          a.appendInteger(alert.deliveries.filter((d) => d.status === 'sent').length);
          a.appendInteger(alert.deliveries.filter((d) => d.status === 'failed').length);
          a.appendVarchar(commit());
          a.appendVarchar(file.path);
          a.appendVarchar(file.sha256);
          appendText(a, alert.snapshot?.path);
          a.endRow();
        }
      });
    },
  };
}
