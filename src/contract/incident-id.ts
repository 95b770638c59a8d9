/**
 * Incident ids as the data contract fixes them: `<user>-<device>-r<rule id>-<first frame's UTC
 * time, basic form>`, e.g. `u1-cam1-r200-20261126T041500Z`. The alert step names incidents, their
 * files and its ledger's folders by them; `vigil trace` reads an incident's start back from its
 * file name. specs/alert.schema.json's `id` pattern says the same (test/unit/incident-id.test.ts
 * keeps the two in step).
 */
import { NAME_PATTERN, TIMESTAMP_PATTERN, formatTimestamp, parseTimestamp } from './frame-path.js';

export const INCIDENT_ID_PATTERN = new RegExp(`^(${NAME_PATTERN})-(${NAME_PATTERN})-r(-?[0-9]+)-(${TIMESTAMP_PATTERN})$`);

export interface IncidentIdParts {
  user: string;
  device: string;
  /** `<user>-<device>`: the folder the alerts repo and the ledger keep the incident under. */
  source: string;
  ruleId: number;
  /** The incident's first frame's capture time. */
  start: Date;
  /** The UTC day of its start, `YYYYMMDD`: the device-day (one alerts datum) the incident belongs to. */
  day: string;
}

export function incidentId(user: string, device: string, ruleId: number, firstCapturedAt: Date): string {
  return `${user}-${device}-r${ruleId}-${formatTimestamp(firstCapturedAt)}`;
}

/** What an incident id names, or null when `id` is not one. */
export function parseIncidentId(id: string): IncidentIdParts | null {
  const m = INCIDENT_ID_PATTERN.exec(id);
  if (!m) return null;
  const start = parseTimestamp(m[4]);
  if (!(start instanceof Date)) return null;
  return { user: m[1], device: m[2], source: `${m[1]}-${m[2]}`, ruleId: Number(m[3]), start, day: m[4].slice(0, 8) };
}

/** Where the alerts repo keeps an incident: its record, and its snapshot beside it. */
export function incidentPaths(id: string): { record: string; snapshot: string } {
  const source = id.split('-').slice(0, 2).join('-');
  return { record: `/${source}/${id}.json`, snapshot: `/${source}/${id}.jpg` };
}

/** The incident id of an alerts repo path that is an incident's record, or null (a snapshot, anything else). */
export function incidentOfRecordPath(path: string): string | null {
  return incidentOfPath(path, 'json');
}

/** The incident id of an alerts repo path that is an incident's snapshot, or null. */
export function incidentOfSnapshotPath(path: string): string | null {
  return incidentOfPath(path, 'jpg');
}

function incidentOfPath(path: string, ext: 'json' | 'jpg'): string | null {
  const m = /^\/[^/]+\/([^/]+)\.(json|jpg)$/.exec(path);
  return m && m[2] === ext && parseIncidentId(m[1]!) ? m[1]! : null;
}
