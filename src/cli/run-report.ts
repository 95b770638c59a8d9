/**
 * What `vigil run` says when it ends, computed from the store outside the engine (which knows
 * no record): the datums each pipeline's job processed, skipped and failed; the cameras whose
 * frames no subscription names (from the matches job's log); and what a model or rules change
 * did: the objects detected and the threats (rules fired on frames) gained and lost on frames
 * that were there before and were re-run, from the records before and after.
 */
import { readFile } from 'node:fs/promises';
import type { Detection, Match } from '../../specs/index.js';
import { unsubscribedCamera } from '../../steps/match/notices.js';
import { REPOS } from '../contract/repos.js';
import type { PipelineOutcome } from '../engine/pps/job-runner.js';
import type { FileEntry, FileTree, Store } from '../engine/store/store.js';
import { diffThreats, type FrameThreats } from './threat-diff.js';

/** The heads of the record repos a change summary compares, before the run. */
export interface RecordHeads {
  detections: string | null;
  matches: string | null;
}

async function headId(store: Store, repo: string): Promise<string | null> {
  if (!(await store.listRepos()).some((r) => r.name === repo)) return null;
  return (await store.headCommit(repo))?.id ?? null;
}

export async function recordHeads(store: Store): Promise<RecordHeads> {
  return { detections: await headId(store, REPOS.detections), matches: await headId(store, REPOS.matches) };
}

/** One row per pipeline that ran a job: PIPELINE, PROCESSED, SKIPPED, FAILED, then the totals. */
export function totalsRows(outcomes: readonly PipelineOutcome[]): string[][] {
  const jobs = outcomes.flatMap((o) => (o.job ? [o.job] : []));
  const sum = (f: (j: (typeof jobs)[number]) => number) => jobs.reduce((n, j) => n + f(j), 0);
  const rows = jobs.map((j) => [j.pipeline, String(j.dataProcessed), String(j.dataSkipped), String(j.dataFailed)]);
  return [...rows, ['total', String(sum((j) => j.dataProcessed)), String(sum((j) => j.dataSkipped)), String(sum((j) => j.dataFailed))]];
}

/** Frames per camera that no subscription names, as the matches job of this run logged them. */
export async function unsubscribedFrames(store: Store, outcomes: readonly PipelineOutcome[]): Promise<Map<string, number>> {
  const job = outcomes.find((o) => o.pipeline === REPOS.matches)?.job;
  const counts = new Map<string, number>();
  if (!job) return counts;
  const { readJobLog } = await import('../engine/pps/logs.js');
  for (const entry of await readJobLog(store.root, job.pipeline, job.id)) {
    const camera = unsubscribedCamera(entry.message);
    if (camera) counts.set(camera, (counts.get(camera) ?? 0) + 1);
  }
  return counts;
}

/** Objects gained and lost by label over frames detected again, each frame's labels compared as a multiset. */
export function objectChanges(frames: ReadonlyArray<{ before: Pick<Detection, 'objects'>; after: Pick<Detection, 'objects'> }>): {
  gained: Map<string, number>;
  lost: Map<string, number>;
} {
  const gained = new Map<string, number>();
  const lost = new Map<string, number>();
  const add = (m: Map<string, number>, label: string, n: number) => m.set(label, (m.get(label) ?? 0) + n);
  for (const { before, after } of frames) {
    const count = new Map<string, number>();
    for (const o of after.objects) add(count, o.label, 1);
    for (const o of before.objects) add(count, o.label, -1);
    for (const [label, n] of count) {
      if (n > 0) add(gained, label, n);
      if (n < 0) add(lost, label, -n);
    }
  }
  return { gained, lost };
}

const byCount = (m: Map<string, number>): string =>
  [...m]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([label, n]) => `${label} ${n}`)
    .join(', ') || 'none';

async function readJson<T>(store: Store, entry: FileEntry | null | undefined): Promise<T | null> {
  return entry ? (JSON.parse(await readFile(store.objectPath(entry.sha256), 'utf8')) as T) : null;
}

async function treeOf(store: Store, repo: string, id: string | null): Promise<FileTree | null> {
  return id ? store.tree(repo, id) : null;
}

/**
 * Lines on what re-running frames that were there before changed (a new model or rules commit,
 * or a reprocess): objects per label in detections, threats per rule and customer in matches.
 * New frames are not changes; none when nothing was re-run.
 */
export async function changeSummary(store: Store, before: RecordHeads): Promise<string[]> {
  const after = await recordHeads(store);
  const lines: string[] = [];
  const [oldDetections, newDetections] = [
    await treeOf(store, REPOS.detections, before.detections),
    await treeOf(store, REPOS.detections, after.detections),
  ];
  if (oldDetections && newDetections && before.detections !== after.detections) {
    const frames = [];
    for (const c of newDetections.changesSince(oldDetections)) {
      if (!c.before || !c.after) continue;
      const [b, a] = [await readJson<Detection>(store, c.before), await readJson<Detection>(store, c.after)];
      if (b && a) frames.push({ before: b, after: a });
    }
    if (frames.length > 0) {
      const { gained, lost } = objectChanges(frames);
      const models = [...new Set(frames.map((f) => `${f.after.model.name}@${f.after.model.commit}`))].join(', ');
      lines.push(
        `${REPOS.detections}: ${frames.length} frame(s) detected again (${REPOS.models}: ${models}): objects gained: ${byCount(gained)}; lost: ${byCount(lost)}`,
      );
    }
  }
  if (before.matches !== after.matches && after.matches && newDetections) {
    const [oldMatches, newMatches] = [
      await treeOf(store, REPOS.matches, before.matches),
      await treeOf(store, REPOS.matches, after.matches),
    ];
    const frames: FrameThreats[] = [];
    for (const c of newMatches!.changesSince(oldMatches)) {
      // A frame is re-run, not new, when its detection was there before the run and still is.
      if (!oldDetections?.get(c.path) || !newDetections.get(c.path)) continue;
      frames.push({ path: c.path, current: await readJson<Match>(store, c.before), candidate: await readJson<Match>(store, c.after) });
    }
    const diff = diffThreats(frames);
    const gained = diff.changes.reduce((n, c) => n + c.gained.length, 0);
    const lost = diff.changes.reduce((n, c) => n + c.lost.length, 0);
    if (gained + lost > 0) {
      lines.push(
        `${REPOS.matches}: threats (rules fired on frames) gained ${gained}, lost ${lost}, on ${diff.frames} frame(s) that were there before:`,
      );
      for (const c of diff.changes) {
        const example = c.gained[0] ?? c.lost[0]!;
        lines.push(
          `  rule ${c.ruleId} "${c.rule}" for ${c.user}: +${c.gained.length} -${c.lost.length} (e.g. ${example.path}: ${example.objects})`,
        );
      }
    }
  }
  return lines;
}
