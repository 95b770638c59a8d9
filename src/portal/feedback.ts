/**
 * People's marks on incidents, as versioned records: the feedback repo holds one
 * IncidentFeedback (specs/feedback.schema.json) per incident that was ever marked, at
 * /<user>-<device>/<incident>.json beside where alerts keeps the incident, and every mark is a
 * commit. The record carries the incident's alert record, first frame, the objects that fired
 * and the model and rules versions, so that an evaluation can take the marks as labels without
 * the portal.
 */
import type { Alert, FeedbackMark, IncidentFeedback, Match } from '../../specs/index.js';
import { validatorFor } from '../../specs/index.js';
import { REPOS } from '../contract/repos.js';
import type { FileEntry, Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { appendTime, isIncidentRecord, readJsonObject, readRecords } from './records.js';
import { applyAction, type FeedbackAction, type FeedbackState, type Viewer } from './core.js';
import type { IndexDb, IndexedFile, IndexSource } from './index-db.js';

/** The feedback repo as a source of the index: the state each incident's marks left it in, and the last mark. */
export function feedbackSource(store: Store, report: (line: string) => void): IndexSource {
  return {
    repo: REPOS.feedback,
    tables: ['feedback'],
    wants: isIncidentRecord,
    async load(db: IndexDb, files: IndexedFile[]): Promise<void> {
      const records = await readRecords(store, files, 'feedback', (file) =>
        report(`portal: ${REPOS.feedback}:${file.path} is not a feedback record; left out of the portal`),
      );
      await db.append('feedback', (a) => {
        for (const { file, record } of records) {
          const last = record.marks[record.marks.length - 1]!;
          a.appendInteger(file.id);
          a.appendVarchar(record.incident.id);
          a.appendVarchar(record.state);
          a.appendVarchar(last.by);
          appendTime(a, last.at);
          a.endRow();
        }
      });
    },
  };
}

/** The incident's feedback record at the head of feedback@master, or null when nobody marked it. */
export async function readFeedback(store: Store, source: string, incidentId: string): Promise<IncidentFeedback | null> {
  const entry = await feedbackEntry(store, `/${source}/${incidentId}.json`);
  if (!entry) return null;
  const doc = await readJsonObject(store, entry.sha256);
  return validatorFor('feedback')(doc) ? doc : null;
}

async function feedbackEntry(store: Store, path: string): Promise<FileEntry | null> {
  const head = await store.headCommit(REPOS.feedback).catch(() => null);
  if (!head) return null;
  return (await store.listFiles(REPOS.feedback, head.id)).find((f) => f.path === path) ?? null;
}

/** The incident a mark is about, as the portal read it: the alert record, where it lies, and its first match. */
export interface MarkedIncident {
  alert: Alert;
  /** The alert record's file: alerts@commit:path with its sha256. */
  record: { commit: string; path: string; sha256: string };
  firstMatch: Match | null;
}

/** Serialises marks within this process: a mark reads the record and commits the next one. */
let marking: Promise<unknown> = Promise.resolve();

/**
 * Adds `viewer`'s mark to the incident's feedback and commits it to feedback@master (the repo
 * is made on the first mark). A mark the incident's state does not allow is refused (VigilError).
 */
export function addMark(
  store: Store,
  incident: MarkedIncident,
  viewer: Viewer,
  action: FeedbackAction,
  note: string,
  now: Date,
): Promise<IncidentFeedback> {
  const next = marking.then(async () => {
    const { alert } = incident;
    const source = `${alert.user}-${alert.device}`;
    const previous = await readFeedback(store, source, alert.id);
    const state = applyAction(previous?.state ?? 'open', action);
    if (typeof state !== 'string') throw new VigilError(state.error);
    const mark: FeedbackMark = {
      action,
      by: viewer.name,
      role: viewer.role,
      at: now.toISOString(),
      ...(note ? { note: note.slice(0, 500) } : {}),
    };
    const record: IncidentFeedback = {
      incident: {
        id: alert.id,
        user: alert.user,
        device: alert.device,
        rule: alert.rule,
        alert: { repo: REPOS.alerts, commit: incident.record.commit, path: incident.record.path, sha256: incident.record.sha256 },
        frame: alert.first.frame,
        objects: alert.objects,
        ...(incident.firstMatch ? { model: incident.firstMatch.model, rules: incident.firstMatch.rules } : {}),
      },
      state: state as FeedbackState,
      marks: [...(previous?.marks ?? []), mark],
    };
    const bytes = `${JSON.stringify(record, null, 2)}\n`;
    if (!(await store.listRepos()).some((r) => r.name === REPOS.feedback)) {
      await store.createRepo(REPOS.feedback, { description: "people's marks on incidents (the portal)" }).catch((e: unknown) => {
        if (!(e instanceof VigilError && /exists/.test(e.message))) throw e;
      });
    }
    const object = await store.addObject(Buffer.from(bytes));
    await store.commit(
      REPOS.feedback,
      'master',
      { put: [{ path: `/${source}/${alert.id}.json`, ...object }] },
      { description: `${viewer.name}: ${action} ${alert.id}` },
    );
    return record;
  });
  marking = next.catch(() => {});
  return next;
}
