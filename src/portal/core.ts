/**
 * The portal's decisions, records in and records out: who may see which camera's files, how a
 * mark moves an incident, when a camera counts as silent, which addresses a sign-in may send a
 * browser back to. The routes and the index apply these; nothing here does I/O.
 */
import type { FeedbackMark, IncidentFeedback, PortalUser } from '../../specs/index.js';
import { parseSource } from '../contract/frame-path.js';
import { REPOS, VALIDATED_FOLDERS } from '../contract/repos.js';

/** The person signed in. */
export type Viewer = Pick<PortalUser, 'name' | 'role' | 'customer'>;

/** The customer (`<user>` of `<user>-<device>`) a viewer is restricted to; null for an operator, who sees every customer. */
export function customerScope(viewer: Viewer): string | null {
  return viewer.role === 'operator' ? null : (viewer.customer ?? '');
}

/** Whether `viewer` may see camera `source` (`<user>-<device>`). A customer without a customer sees nothing. */
export function maySeeCamera(viewer: Viewer, source: string): boolean {
  const scope = customerScope(viewer);
  if (scope === null) return true;
  const owner = parseSource(source);
  return !('error' in owner) && scope !== '' && owner.user === scope;
}

/** The repos whose files the portal serves at /frames/: camera frames, validated frames, and the alerts' snapshots. */
export const SERVED_REPOS: ReadonlySet<string> = new Set([REPOS.raw, REPOS.validated, REPOS.alerts]);

/**
 * The camera a file of `repo` belongs to, by the folder the data contract puts it in:
 * `/<user>-<device>/...` in raw and alerts, `/valid/<user>-<device>/...` and
 * `/rejected/<user>-<device>/...` in validated. Null for any other path (a root file, validated's
 * `/rejected/_unparsed/`), which only operators may open.
 */
export function cameraOfPath(repo: string, path: string): string | null {
  const parts = path.split('/');
  if (parts[0] !== '') return null;
  const folders: string[] = Object.values(VALIDATED_FOLDERS);
  const source = repo === REPOS.validated ? (folders.includes(parts[1] ?? '') ? parts[2] : undefined) : parts[1];
  if (source === undefined || parts.length < (repo === REPOS.validated ? 4 : 3)) return null;
  return 'error' in parseSource(source) ? null : source;
}

/** Whether `viewer` may open `path` of `repo` at /frames/. */
export function maySeeFile(viewer: Viewer, repo: string, path: string): boolean {
  if (!SERVED_REPOS.has(repo)) return false;
  const camera = cameraOfPath(repo, path);
  return camera === null ? customerScope(viewer) === null : maySeeCamera(viewer, camera);
}

export type FeedbackState = IncidentFeedback['state'];
export type FeedbackAction = FeedbackMark['action'];

/** What each action does to an incident, and from which states it may be taken. */
const TRANSITIONS: Record<FeedbackAction, { from: FeedbackState[]; to: FeedbackState }> = {
  acknowledge: { from: ['open'], to: 'acknowledged' },
  close: { from: ['open', 'acknowledged'], to: 'closed' },
  false_positive: { from: ['open', 'acknowledged'], to: 'false_positive' },
  reopen: { from: ['closed', 'false_positive'], to: 'open' },
};

export const FEEDBACK_ACTIONS = Object.keys(TRANSITIONS) as FeedbackAction[];

/** The actions a person can take on an incident whose marks left it in `state` (`open` when it has none). */
export function actionsFrom(state: FeedbackState): FeedbackAction[] {
  return FEEDBACK_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(state));
}

/** The state `action` leaves the incident in, or why it cannot be taken now. */
export function applyAction(state: FeedbackState, action: FeedbackAction): FeedbackState | { error: string } {
  const t = TRANSITIONS[action];
  if (!t.from.includes(state)) {
    return {
      error: `the incident is ${state.replace('_', ' ')}: ${action.replace('_', ' ')} takes an incident that is ${t.from.join(' or ')}`,
    };
  }
  return t.to;
}

/** A camera is silent after max(10 minutes, 5 times its median interval between frames over the last day). */
export const SILENT_FLOOR_MS = 10 * 60_000;
export const SILENT_INTERVALS = 5;

/** How long without a frame makes a camera silent, given its median interval (null: too few frames to have one). */
export function silentAfterMs(medianIntervalMs: number | null): number {
  return Math.max(SILENT_FLOOR_MS, SILENT_INTERVALS * (medianIntervalMs ?? 0));
}

export function isSilent(lastFrameMs: number, medianIntervalMs: number | null, nowMs: number): boolean {
  return nowMs - lastFrameMs > silentAfterMs(medianIntervalMs);
}

/** Where a sign-in may send the browser back to: a path of this site, never another host (`//evil`, `/\evil`). */
export function localPath(next: string | undefined | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n]/.test(next)) return '/';
  return next;
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A UTC day `YYYY-MM-DD`, checked to be a real date; null otherwise. */
export function parseDay(day: string | undefined): string | null {
  const m = DAY_RE.exec(day ?? '');
  if (!m) return null;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === day ? day : null;
}

/** The UTC day `days` after `day` (negative: before). */
export function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The UTC day of an instant. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
