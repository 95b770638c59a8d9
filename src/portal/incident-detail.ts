/**
 * Everything an incident's page shows beyond its index row, read through the Store API: the
 * alert record, each frame's match record (its objects and scores under the rule that fired),
 * the people's marks, and the provenance, `vigil trace --verify`'s walk from the record to the
 * camera frames with every hash re-computed (src/lineage).
 */
import { validatorFor, type Alert, type IncidentFeedback, type Match, type MatchedObject } from '../../specs/index.js';
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import { traceBack, type Trace } from '../lineage/trace.js';
import { readJsonObject } from './records.js';
import { readFeedback, type MarkedIncident } from './feedback.js';
import type { IncidentRow } from './queries.js';

/** Frames shown on one page of an incident. */
export const FRAMES_PER_PAGE = 24;

export interface IncidentFrame {
  capturedAt: string;
  localTime: string;
  /** The validated frame, or null when the match record could not be read. */
  frame: { repo: string; commit: string; path: string } | null;
  /** The objects of the rule that made the incident, on this frame. */
  objects: MatchedObject[];
  /** The match record's path in matches. */
  match: string;
}

export interface IncidentDetail {
  alert: Alert;
  frames: IncidentFrame[];
  /** Index of the first frame shown; the alert's `matches` count them all. */
  offset: number;
  feedback: IncidentFeedback | null;
  trace: Trace;
}

/** The alert record of an index row (its file at the commit the index read it at). */
export async function readAlert(store: Store, row: IncidentRow): Promise<Alert | null> {
  const doc = await readJsonObject(store, row.sha256);
  return validatorFor('alert')(doc) ? doc : null;
}

async function readMatch(store: Store, sha256: string): Promise<Match | null> {
  const doc = await readJsonObject(store, sha256).catch(() => null);
  return validatorFor('match')(doc) ? doc : null;
}

/** The incident as a mark records it: its record, where that lies, and its first match (for the model and rules versions). */
export async function markedIncident(store: Store, row: IncidentRow, alert: Alert): Promise<MarkedIncident> {
  const first = alert.matches[0];
  return {
    alert,
    record: { commit: row.commit, path: row.path, sha256: row.sha256 },
    firstMatch: first ? await readMatch(store, first.sha256) : null,
  };
}

export async function incidentDetail(store: Store, row: IncidentRow, alert: Alert, offset: number): Promise<IncidentDetail> {
  const shown = alert.matches.slice(offset, offset + FRAMES_PER_PAGE);
  const frames = await Promise.all(
    shown.map(async (ref): Promise<IncidentFrame> => {
      const match = await readMatch(store, ref.sha256);
      const fired = match?.fired.find((f) => f.ruleId === alert.rule.id);
      return {
        capturedAt: match?.capturedAt ?? '',
        localTime: match?.localTime ?? '',
        frame: match ? { repo: match.frame.repo, commit: match.frame.commit ?? 'master', path: match.frame.path } : null,
        objects: fired?.objects ?? [],
        match: ref.path,
      };
    }),
  );
  const [feedback, trace] = await Promise.all([
    readFeedback(store, `${alert.user}-${alert.device}`, alert.id),
    traceBack(store, { repo: REPOS.alerts, ref: row.commit, path: row.path }),
  ]);
  return { alert, frames, offset, feedback, trace };
}
