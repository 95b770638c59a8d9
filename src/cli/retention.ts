/**
 * Which stored files are pictures of a customer's cameras, and their expiry: `vigil retain` (each
 * customer's `retention.frames` in subscriptions.yaml), `vigil erase` (a request), and `vigil
 * serve`'s daily retention. Frames are the raw repo's files, validated's /valid/ frames and the
 * alerts repo's incident snapshots; the records made from them (detections, matches,
 * incidents, deliveries, warehouse rows) are never touched here.
 *
 * Every commit of those repos is read (history included: a frame deleted from the head stays in
 * older commits), through the diffs between consecutive commits. An object is expired only when
 * no other file of those repos that is not selected holds the same bytes (content addressing
 * shares identical frames between paths).
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { SubscriptionsFile } from '../../specs/index.js';
import { parseFramePath } from '../contract/frame-path.js';
import { incidentOfSnapshotPath, parseIncidentId } from '../contract/incident-id.js';
import { parseValidFramePath, REPOS } from '../contract/repos.js';
import type { ExpiredObject } from '../engine/store/expiry.js';
import type { FileEntry, FileTree, Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { formatBytes } from './output.js';

/** Which frames: one customer's, optionally one camera's, captured before a time and/or within [from, to). */
export interface FrameSelection {
  customer: string;
  camera?: string;
  before?: Date;
  from?: Date;
  to?: Date;
}

/** A stored frame: where, and which camera and capture time it is of. */
interface FrameFile extends FileEntry {
  repo: string;
  user: string;
  device: string;
  capturedAt: Date;
}

export interface ExpiryPlan {
  /** Every selected file (all commits), by repo and path. */
  files: FrameFile[];
  /** The objects to expire, with their sizes: selected, not shared with an unselected file, not expired yet. */
  objects: Map<string, number>;
  /** Selected objects kept because an unselected file holds the same bytes. */
  shared: number;
}

const FRAME_REPOS = [REPOS.raw, REPOS.validated, REPOS.alerts] as const;

/** A repo path that is a frame of some camera, with its camera and time; null for any other file. */
function frameOf(repo: string, path: string): Omit<FrameFile, keyof FileEntry | 'repo'> | null {
  if (repo === REPOS.alerts) {
    const id = incidentOfSnapshotPath(path);
    const parts = id ? parseIncidentId(id) : null;
    return parts && { user: parts.user, device: parts.device, capturedAt: parts.start };
  }
  const frame = repo === REPOS.raw ? parseFramePath(path) : parseValidFramePath(path);
  return 'error' in frame ? null : { user: frame.user, device: frame.device, capturedAt: frame.capturedAt };
}

function selected(frame: Omit<FrameFile, keyof FileEntry | 'repo'>, selections: FrameSelection[]): boolean {
  return selections.some(
    (s) =>
      s.customer === frame.user &&
      (s.camera === undefined || s.camera === frame.device) &&
      (s.before === undefined || frame.capturedAt < s.before) &&
      (s.from === undefined || frame.capturedAt >= s.from) &&
      (s.to === undefined || frame.capturedAt < s.to),
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

/** The frames `selections` name, in every commit of the frame repos, and the objects their expiry removes. */
export async function planExpiry(store: Store, selections: FrameSelection[]): Promise<ExpiryPlan> {
  const files: FrameFile[] = [];
  const keep = new Set<string>();
  for (const repo of FRAME_REPOS) {
    for (const entry of await everyFile(store, repo)) {
      const frame = frameOf(repo, entry.path);
      if (frame && selected(frame, selections)) files.push({ ...entry, repo, ...frame });
      else keep.add(entry.sha256);
    }
  }
  files.sort((a, b) => (a.repo !== b.repo ? (a.repo < b.repo ? -1 : 1) : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const objects = new Map<string, number>();
  let shared = 0;
  for (const f of files) {
    if (keep.has(f.sha256)) {
      shared++;
      continue;
    }
    if (objects.has(f.sha256) || (await store.expiry.get(f.sha256))) continue;
    objects.set(f.sha256, f.size);
  }
  return { files, objects, shared };
}

/** Expires the plan's objects; returns the objects and bytes removed. */
export function applyExpiry(
  store: Store,
  plan: ExpiryPlan,
  entry: Omit<ExpiredObject, 'sha256'>,
): Promise<{ objects: number; bytes: number }> {
  return store.expireObjects(plan.objects.keys(), entry);
}

/** One line per repo: how many frame files the plan names there, of how many cameras, from which day to which. */
export function describePlan(plan: ExpiryPlan): string[] {
  const lines: string[] = [];
  for (const repo of FRAME_REPOS) {
    const files = plan.files.filter((f) => f.repo === repo);
    if (files.length === 0) continue;
    const cameras = new Set(files.map((f) => `${f.user}-${f.device}`));
    const days = files.map((f) => f.capturedAt.toISOString().slice(0, 10)).sort();
    lines.push(
      `${repo}: ${files.length} file${files.length === 1 ? '' : 's'} of ${[...cameras].sort().join(', ')}, captured ${days[0]} to ${days.at(-1)}`,
    );
  }
  return lines;
}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<string, number> = { d: DAY_MS, w: 7 * DAY_MS, y: 365 * DAY_MS };

/** A retention period as subscriptions.yaml writes it (`30d`, `6w`, `2y`), in ms. */
export function parsePeriod(text: string, where: string): number {
  const m = /^([1-9][0-9]{0,4})([dwy])$/.exec(text);
  if (!m) throw new VigilError(`${where}: "${text}" is not a period such as 30d, 6w or 2y`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Each customer's frame retention from rules@master:/subscriptions.yaml, as selections of what is older than it at `now`. */
export async function retentionSelections(store: Store, now: Date): Promise<{ selections: FrameSelection[]; periods: string[] }> {
  const head = await store.headCommit(REPOS.rules).catch(() => null);
  const file = head ? await store.fileAt(REPOS.rules, head.id, '/subscriptions.yaml') : null;
  if (!file) return { selections: [], periods: [] };
  const doc = parseYaml(await readFile(store.objectPath(file.sha256), 'utf8')) as SubscriptionsFile | null;
  const selections: FrameSelection[] = [];
  const periods: string[] = [];
  for (const user of doc?.users ?? []) {
    const frames = user.retention?.frames;
    if (!frames) continue;
    const ms = parsePeriod(frames, `${REPOS.rules}:/subscriptions.yaml, user ${user.id}, retention.frames`);
    const before = new Date(now.getTime() - ms);
    selections.push({ customer: user.id, before });
    periods.push(`${user.id}: frames ${frames} (before ${before.toISOString()})`);
  }
  return { selections, periods };
}

/**
 * Applies every customer's frame retention at `now` (`vigil retain`, and `vigil serve` daily);
 * `say` gets what it removes (or would, in a dry run). Returns the objects and bytes removed.
 */
export async function retainFrames(
  store: Store,
  opts: { now: Date; dryRun?: boolean; say: (line: string) => void },
): Promise<{ objects: number; bytes: number }> {
  const { selections, periods } = await retentionSelections(store, opts.now);
  if (selections.length === 0) {
    opts.say('no customer has a retention period for frames (retention.frames in rules@master:/subscriptions.yaml)');
    return { objects: 0, bytes: 0 };
  }
  for (const line of periods) opts.say(`retention ${line}`);
  const plan = await planExpiry(store, selections);
  for (const line of describePlan(plan)) opts.say(line);
  let bytes = 0;
  for (const size of plan.objects.values()) bytes += size;
  if (opts.dryRun) {
    opts.say(`dry run: would remove ${plan.objects.size} objects (${formatBytes(bytes)})`);
    return { objects: 0, bytes: 0 };
  }
  const removed = await applyExpiry(store, plan, { date: opts.now.toISOString(), reason: 'retention' });
  opts.say(`removed ${removed.objects} objects (${formatBytes(removed.bytes)}) of expired frames; their records stay`);
  if (plan.shared > 0) opts.say(`${plan.shared} expired files kept their bytes: frames still retained hold the same bytes`);
  return removed;
}
