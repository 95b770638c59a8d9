/**
 * Which stored files are a customer's, and their expiry: `vigil retain` (each customer's
 * `retention.frames` and `retention.records` in subscriptions.yaml), `vigil erase` (a request,
 * frames only), and `vigil serve`'s daily retention. Frames are the raw repo's files,
 * validated's /valid/ frames and the alerts repo's incident snapshots; records are what was made
 * from them: detections and matches (and their shadows), validated's rejections, incident
 * records, deliveries, digest marks and the warehouse's partitions of a camera and day.
 *
 * Every commit of every repo is read (history included: a file deleted from the head stays in
 * older commits), through the diffs between consecutive commits. An object is expired only when
 * no file that is not selected, in any repo, holds the same bytes (content addressing shares
 * identical bytes between paths).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { SubscriptionsFile } from '../../specs/index.js';
import { parseFramePath, parseSource, parseTimestamp } from '../contract/frame-path.js';
import { incidentOfRecordPath, incidentOfSnapshotPath, parseIncidentId } from '../contract/incident-id.js';
import { parseValidFramePath, REPOS, VALIDATED_FOLDERS } from '../contract/repos.js';
import { parsePartitionFile } from '../contract/warehouse-partitions.js';
import type { ExpiredObject } from '../engine/store/expiry.js';
import type { FileEntry, FileTree, Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { formatBytes } from './output.js';

/** What expires: the pictures of people, or the records made from them (records need frames to be made again). */
export type ExpiryKind = 'frames' | 'records';

/** Which files: one customer's frames or records, optionally one camera's, older than a time and/or within [from, to). */
export interface FileSelection {
  kind: ExpiryKind;
  customer: string;
  camera?: string;
  before?: Date;
  from?: Date;
  to?: Date;
}

/** Whose a stored file is, and the capture times it covers: one instant, or a UTC day for a warehouse partition. */
export interface OwnedFile {
  kind: ExpiryKind;
  user: string;
  device: string;
  first: Date;
  last: Date;
}

/** A selected file: where it is, and whose. */
interface SelectedFile extends FileEntry, OwnedFile {
  repo: string;
}

export interface ExpiryPlan {
  /** Every selected file (all commits), by repo and path. */
  files: SelectedFile[];
  /** The objects to expire, with their sizes and kind: selected, not shared with an unselected file, not expired yet. */
  objects: Map<string, { size: number; kind: ExpiryKind }>;
  /** Selected objects kept because an unselected file holds the same bytes. */
  shared: number;
}

const DAY_MS = 86_400_000;

type Owner = Omit<OwnedFile, 'kind' | 'first' | 'last'>;
const at = (kind: ExpiryKind, owner: Owner, time: Date): OwnedFile => ({
  kind,
  user: owner.user,
  device: owner.device,
  first: time,
  last: time,
});

/** `/<user>-<device>/<ts>.json`, or a duplicate's `/<user>-<device>/<ts>/<ext>.json`: a record of one frame. */
function frameRecord(path: string): OwnedFile | null {
  const m = /^\/([^/]+)\/([^/]+?)(?:\/[^/]+)?\.json$/.exec(path);
  const owner = m ? parseSource(m[1]!) : null;
  const time = m ? parseTimestamp(m[2]!) : null;
  return owner && !('error' in owner) && time instanceof Date ? at('records', owner, time) : null;
}

/** An incident's file (its record, or its snapshot) by the incident's start. */
function incidentFile(kind: ExpiryKind, id: string | null): OwnedFile | null {
  const parts = id ? parseIncidentId(id) : null;
  return parts && at(kind, parts, parts.start);
}

/** What a repo path is, per repo of the data contract: a frame, a record, or (null) neither. */
const OWNED_FILES: Record<string, (path: string) => OwnedFile | null> = {
  [REPOS.raw]: (path) => {
    const frame = parseFramePath(path);
    return 'error' in frame ? null : at('frames', frame, frame.capturedAt);
  },
  [REPOS.validated]: (path) => {
    const rejected = `/${VALIDATED_FOLDERS.rejected}/`;
    if (path.startsWith(rejected)) return frameRecord(path.slice(rejected.length - 1));
    const frame = parseValidFramePath(path);
    return 'error' in frame ? null : at('frames', frame, frame.capturedAt);
  },
  [REPOS.alerts]: (path) => incidentFile('frames', incidentOfSnapshotPath(path)) ?? incidentFile('records', incidentOfRecordPath(path)),
  [REPOS.detections]: frameRecord,
  [REPOS.matches]: frameRecord,
  [REPOS.detectionsShadow]: frameRecord,
  [REPOS.matchesShadow]: frameRecord,
  [REPOS.deliveries]: (path) => incidentFile('records', incidentOfRecordPath(path)),
  [REPOS.digests]: (path) => incidentFile('records', incidentOfRecordPath(path)),
  [REPOS.warehouse]: (path) => {
    const { day, camera } = parsePartitionFile(path)?.partition ?? { day: null, camera: null };
    const owner = camera === null ? null : parseSource(camera);
    if (day === null || !owner || 'error' in owner) return null;
    const start = new Date(`${day}T00:00:00Z`);
    return { kind: 'records', user: owner.user, device: owner.device, first: start, last: new Date(start.getTime() + DAY_MS - 1) };
  },
};

/** The repos whose files retention or erasure may select, in the order plans list them. */
const OWNED_REPOS = Object.keys(OWNED_FILES);

/** Whose a file of `repo` is, and when it was captured; null for a file that is no customer's frame or record. */
export function ownedFile(repo: string, path: string): OwnedFile | null {
  return OWNED_FILES[repo]?.(path) ?? null;
}

/** Whether a selection names the file: the whole span it covers must lie in the selection's times. */
export function selects(selections: FileSelection[], file: OwnedFile): boolean {
  return selections.some(
    (s) =>
      s.kind === file.kind &&
      s.customer === file.user &&
      (s.camera === undefined || s.camera === file.device) &&
      (s.before === undefined || file.last < s.before) &&
      (s.from === undefined || file.first >= s.from) &&
      (s.to === undefined || file.last < s.to),
  );
}

/** Every (path, object) pair the repo's commits ever held, each once. */
async function everyFile(store: Store, repo: string): Promise<FileEntry[]> {
  const commits = await store.listCommits(repo).catch((e: unknown) => {
    if (e instanceof VigilError) return []; // no such repo yet
    throw e;
  });
  const seen = new Map<string, FileEntry>();
  const trees = new Map<string, FileTree>();
  const treeOf = async (id: string) => {
    let tree = trees.get(id);
    if (!tree) {
      tree = await store.tree(repo, id);
      trees.set(id, tree);
    }
    return tree;
  };
  for (const commit of [...commits].reverse()) {
    const tree = await treeOf(commit.id);
    const parent = commit.parent ? await treeOf(commit.parent).catch(() => null) : null;
    for (const change of tree.changesSince(parent)) {
      if (change.after) seen.set(`${change.path}\0${change.after.sha256}`, change.after);
    }
  }
  return [...seen.values()];
}

/** The files `selections` name, in every commit of every repo, and the objects their expiry removes. */
export async function planExpiry(store: Store, selections: FileSelection[]): Promise<ExpiryPlan> {
  const files: SelectedFile[] = [];
  const keep = new Set<string>();
  for (const { name: repo } of await store.listRepos()) {
    for (const entry of await everyFile(store, repo)) {
      const owned = ownedFile(repo, entry.path);
      if (owned && selects(selections, owned)) files.push({ ...entry, repo, ...owned });
      else keep.add(entry.sha256);
    }
  }
  const order = (f: SelectedFile) => OWNED_REPOS.indexOf(f.repo);
  files.sort((a, b) => order(a) - order(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const objects: ExpiryPlan['objects'] = new Map();
  let shared = 0;
  for (const f of files) {
    if (keep.has(f.sha256)) {
      shared++;
      continue;
    }
    if (objects.has(f.sha256) || (await store.expiry.get(f.sha256))) continue;
    objects.set(f.sha256, { size: f.size, kind: f.kind });
  }
  return { files, objects, shared };
}

type Removed = Record<ExpiryKind, { objects: number; bytes: number }>;

/**
 * Expires the plan's objects; returns the objects and bytes removed of each kind. `vigil sql`'s
 * cache of the warehouse holds copies of its rows: it is dropped when a partition expires, and
 * made again from the partitions that remain.
 */
export async function applyExpiry(store: Store, plan: ExpiryPlan, entry: Omit<ExpiredObject, 'sha256'>): Promise<Removed> {
  const of = (kind: ExpiryKind) => [...plan.objects].filter(([, o]) => o.kind === kind).map(([sha]) => sha);
  const removed = { frames: await store.expireObjects(of('frames'), entry), records: await store.expireObjects(of('records'), entry) };
  if (plan.files.some((f) => f.repo === REPOS.warehouse && plan.objects.has(f.sha256))) {
    const { dropWarehouseCache } = await import('./warehouse-cache.js');
    await dropWarehouseCache(store);
  }
  return removed;
}

/** One line per repo and kind: how many frames (files) or records the plan names there, of how many cameras, from which day to which. */
export function describePlan(plan: ExpiryPlan): string[] {
  const lines: string[] = [];
  for (const repo of OWNED_REPOS) {
    for (const kind of ['frames', 'records'] as const) {
      const files = plan.files.filter((f) => f.repo === repo && f.kind === kind);
      if (files.length === 0) continue;
      const cameras = new Set(files.map((f) => `${f.user}-${f.device}`));
      const days = files.map((f) => f.first.toISOString().slice(0, 10)).sort();
      const noun = kind === 'frames' ? 'file' : 'record';
      lines.push(
        `${repo}: ${files.length} ${noun}${files.length === 1 ? '' : 's'} of ${[...cameras].sort().join(', ')}, captured ${days[0]} to ${days.at(-1)}`,
      );
    }
  }
  return lines;
}

const UNIT_MS: Record<string, number> = { d: DAY_MS, w: 7 * DAY_MS, y: 365 * DAY_MS };

/** A retention period as subscriptions.yaml writes it (`30d`, `6w`, `2y`), in ms. */
export function parsePeriod(text: string, where: string): number {
  const m = /^([1-9][0-9]{0,4})([dwy])$/.exec(text);
  if (!m) throw new VigilError(`${where}: "${text}" is not a period such as 30d, 6w or 2y`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** One customer's retention periods, in ms; `problem` when records would go before the frames they are made from. */
interface CustomerRetention {
  user: string;
  frames?: { text: string; ms: number };
  records?: { text: string; ms: number };
  problem?: string;
}

/**
 * Each customer's retention from a subscriptions.yaml (`where` names it). A records period
 * shorter than the frames period is a problem: a model or rules commit would make the records
 * again from the frames still kept (`vigil rules check` refuses it; `vigil retain` keeps such
 * records as long as the frames).
 */
export function customerRetention(doc: SubscriptionsFile | null, where: string): CustomerRetention[] {
  return (doc?.users ?? []).flatMap((user) => {
    const period = (kind: ExpiryKind) => {
      const text = user.retention?.[kind];
      return text ? { text, ms: parsePeriod(text, `${where}, user ${user.id}, retention.${kind}`) } : undefined;
    };
    const frames = period('frames');
    const records = period('records');
    if (!frames && !records) return [];
    const problem =
      frames && records && records.ms < frames.ms
        ? `${where}, user ${user.id}: retention.records ${records.text} is shorter than retention.frames ${frames.text}: records are made from frames, so they must be kept at least as long`
        : undefined;
    return [{ user: user.id, frames, records, ...(problem ? { problem } : {}) }];
  });
}

/** Each customer's retention from rules@master:/subscriptions.yaml, as selections of what is older than it at `now`. */
export async function retentionSelections(
  store: Store,
  now: Date,
): Promise<{ selections: FileSelection[]; periods: string[]; problems: string[] }> {
  const head = await store.headCommit(REPOS.rules).catch(() => null);
  const file = head ? await store.fileAt(REPOS.rules, head.id, '/subscriptions.yaml') : null;
  if (!file) return { selections: [], periods: [], problems: [] };
  const doc = parseYaml(await readFile(store.objectPath(file.sha256), 'utf8')) as SubscriptionsFile | null;
  const selections: FileSelection[] = [];
  const periods: string[] = [];
  const problems: string[] = [];
  for (const c of customerRetention(doc, `${REPOS.rules}:/subscriptions.yaml`)) {
    const said: string[] = [];
    for (const kind of ['frames', 'records'] as const) {
      const period = c[kind];
      if (!period) continue;
      const ms = kind === 'records' && c.frames ? Math.max(period.ms, c.frames.ms) : period.ms;
      const before = new Date(now.getTime() - ms);
      selections.push({ kind, customer: c.user, before });
      said.push(`${kind} ${period.text} (before ${before.toISOString()})`);
    }
    periods.push(`${c.user}: ${said.join(', ')}`);
    if (c.problem) problems.push(`${c.problem}; its records are kept as long as its frames`);
  }
  return { selections, periods, problems };
}

/**
 * Applies every customer's frame and record retention at `now` (`vigil retain`, and `vigil serve`
 * daily); `say` gets what it removes (or would, in a dry run). Returns the objects and bytes removed.
 */
export async function retain(store: Store, opts: { now: Date; dryRun?: boolean; say: (line: string) => void }): Promise<Removed> {
  const none = { frames: { objects: 0, bytes: 0 }, records: { objects: 0, bytes: 0 } };
  const { selections, periods, problems } = await retentionSelections(store, opts.now);
  if (selections.length === 0) {
    opts.say('no customer has a retention period (retention.frames, retention.records in rules@master:/subscriptions.yaml)');
    return none;
  }
  for (const line of periods) opts.say(`retention ${line}`);
  for (const line of problems) opts.say(`warning: ${line}`);
  const plan = await planExpiry(store, selections);
  for (const line of describePlan(plan)) opts.say(line);
  if (opts.dryRun) {
    let bytes = 0;
    for (const o of plan.objects.values()) bytes += o.size;
    opts.say(`dry run: would remove ${plan.objects.size} objects (${formatBytes(bytes)})`);
    return none;
  }
  const removed = await applyExpiry(store, plan, { date: opts.now.toISOString(), reason: 'retention' });
  const { frames, records } = removed;
  opts.say(
    `removed ${frames.objects} objects (${formatBytes(frames.bytes)}) of expired frames` +
      (records.objects > 0 ? `, ${records.objects} objects (${formatBytes(records.bytes)}) of expired records` : '; their records stay'),
  );
  if (plan.shared > 0) opts.say(`${plan.shared} expired files kept their bytes: files still retained hold the same bytes`);
  return removed;
}
