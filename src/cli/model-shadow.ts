/**
 * Shadow runs of the candidate model (models@candidate): the shadow pipelines of
 * pipelines/shadow/ (detections-shadow, matches-shadow, model-eval-shadow), with detection
 * narrowed to the recent frames, and what they would change for customers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Detection, Match } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { MODEL_BRANCHES, REPOS, VALIDATED_FOLDERS, parseValidFramePath } from '../contract/repos.js';
import type { PipelineSpec } from '../engine/pps/spec.js';
import type { FileEntry, Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { packageRoot } from '../pfs/package-root.js';
import type { FrameThreats } from './threat-diff.js';

/** The shadow specs, one file each, in the order they must be created. */
export const SHADOW_SPECS = ['detections-shadow.yaml', 'matches-shadow.yaml', 'model-eval-shadow.yaml'] as const;

export function shadowSpecsDir(): string {
  return join(packageRoot(), 'pipelines', 'shadow');
}

/** `YYYYMMDD` of the `days` UTC days up to and including `until`'s, oldest first. */
export function windowDays(until: Date, days: number): string[] {
  if (!Number.isInteger(days) || days < 1) throw new VigilError(`--days ${days}: give a whole number of days, 1 or more`);
  const day = Date.UTC(until.getUTCFullYear(), until.getUTCMonth(), until.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(day - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, ''));
}

/** The glob of validated frames captured on those days: `/valid/*\/{20261125,20261126}T*`. */
export function windowGlob(days: readonly string[]): string {
  return `/${VALIDATED_FOLDERS.valid}/*/${days.length === 1 ? days[0] : `{${days.join(',')}}`}T*`;
}

/** When the newest validated frame was captured; null when there is none. */
export async function newestFrame(store: Store): Promise<Date | null> {
  const head = await store.headCommit(REPOS.validated).catch(() => null);
  if (!head) return null;
  let newest: Date | null = null;
  for (const f of await store.listFiles(REPOS.validated, head.id)) {
    const frame = parseValidFramePath(f.path);
    if (!('error' in frame) && (!newest || frame.capturedAt > newest)) newest = frame.capturedAt;
  }
  return newest;
}

/**
 * The shadow specs as written in pipelines/shadow/, detections-shadow reading only the frames
 * captured on `days` (null: every frame), each with its YAML text as it will be created.
 */
export async function shadowSpecs(days: readonly string[] | null): Promise<Array<{ file: string; spec: PipelineSpec; text: string }>> {
  const { parsePipelineSpecs } = await import('../engine/pps/spec.js');
  const out = [];
  for (const file of SHADOW_SPECS) {
    const path = join(shadowSpecsDir(), file);
    const document = parseYaml(await readFile(path, 'utf8')) as { input: { cross: Array<{ pfs: { repo: string; glob: string } }> } };
    if (days) for (const i of document.input.cross) if (i.pfs?.repo === REPOS.validated) i.pfs.glob = windowGlob(days);
    const text = JSON.stringify(document, null, 2);
    const [spec] = parsePipelineSpecs(text, path);
    out.push({ file, spec: spec!, text });
  }
  return out;
}

async function readJson<T>(store: Store, file: FileEntry): Promise<T> {
  return JSON.parse(await readFile(store.objectPath(file.sha256), 'utf8')) as T;
}

async function headTree(store: Store, repo: string): Promise<{ commit: string; files: Map<string, FileEntry> } | null> {
  const exists = (await store.listRepos()).some((r) => r.name === repo);
  const head = exists ? await store.headCommit(repo) : null;
  return head && { commit: head.id, files: new Map((await store.listFiles(repo, head.id)).map((f) => [f.path, f])) };
}

/** The frames the shadow detections hold, with what fired on each now and with the candidate, and the versions compared. */
export interface ShadowComparison {
  frames: FrameThreats[];
  /** The candidate's model version, from its detections. */
  candidate: Detection['model'] | null;
  /** The live model version on the same frames. */
  current: Detection['model'] | null;
  /** Frames whose live detection is missing or was made from another frame (the window is newer than the live run). */
  notComparable: string[];
  /** Why the shadow is not of the candidate head, when it is not. */
  stale?: string;
}

/** Reads detections-shadow, matches-shadow and the live detections and matches at their heads. */
export async function compareShadow(store: Store): Promise<ShadowComparison> {
  const shadowDetections = await headTree(store, REPOS.detectionsShadow);
  const shadowMatches = await headTree(store, REPOS.matchesShadow);
  if (!shadowDetections || !shadowMatches) {
    throw new VigilError('no shadow run to compare: commit a candidate to models@candidate, then run `vigil model shadow`');
  }
  const detections = await headTree(store, REPOS.detections);
  const matches = await headTree(store, REPOS.matches);
  const out: ShadowComparison = { frames: [], candidate: null, current: null, notComparable: [] };
  for (const [path, file] of shadowDetections.files) {
    const shadow = assertValid('detection', await readJson(store, file), `${REPOS.detectionsShadow}:${path}`);
    out.candidate ??= shadow.model;
    const liveFile = detections?.files.get(path);
    const live = liveFile && assertValid('detection', await readJson(store, liveFile), `${REPOS.detections}:${path}`);
    if (!live || live.frame.sha256 !== shadow.frame.sha256) {
      out.notComparable.push(path);
      continue;
    }
    out.current ??= live.model;
    const match = async (tree: typeof matches, repo: string): Promise<Match | null> => {
      const entry = tree?.files.get(path);
      return entry ? assertValid('match', await readJson(store, entry), `${repo}:${path}`) : null;
    };
    out.frames.push({ path, current: await match(matches, REPOS.matches), candidate: await match(shadowMatches, REPOS.matchesShadow) });
  }
  const head = await store.headCommit(REPOS.models, MODEL_BRANCHES.candidate);
  if (out.candidate && head && out.candidate.commit !== head.id) {
    out.stale = `the shadow detections are of ${REPOS.models}@${out.candidate.commit}, not the candidate head ${head.id}: run \`vigil model shadow\``;
  }
  return out;
}
