/**
 * File-level provenance, checked (`vigil trace`). Backward: from any record of deliveries, alerts
 * (or an alert's snapshot), matches, detections, validated or a warehouse partition, along the
 * lineage each record carries, to the camera frame in raw. Forward: from a frame to what the
 * heads of the downstream repos derived from it. Every hop is re-hashed from the bytes the store
 * holds and compared with the sha256 the record that names it recorded (walk.ts); each kind of
 * file is read by its own reader (records.ts, snapshot.ts, validated.ts, warehouse.ts).
 */
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { Forward } from './forward.js';
import { hopKind, hopName, type FileTarget, type Hop, type HopKind, type Ref, type Trace, type TracedFrame } from './hop.js';
import { recordReaders } from './records.js';
import { snapshotReader } from './snapshot.js';
import { StoreView } from './store-view.js';
import { validatedReader } from './validated.js';
import { VersionChecks } from './versions.js';
import { Walk } from './walk.js';
import { warehouseReader } from './warehouse.js';

export { hopKind, hopName, type FileTarget, type Hop, type HopJob, type HopKind, type Trace, type TracedFrame } from './hop.js';
export { isRawSourceOf, onlySource } from './validated.js';

/** The walk over `store`, with a reader for every kind of file. */
function walkOver(view: StoreView): Walk {
  return new Walk(view, {
    raw: async () => ({ sources: [] }),
    snapshot: snapshotReader(view),
    validated: validatedReader(view),
    warehouse: warehouseReader(view),
    ...recordReaders(view, new VersionChecks(view)),
  });
}

/** The first hop: `target` resolved to a commit, its file checked against the commit. */
async function start(view: StoreView, target: FileTarget): Promise<{ kind: HopKind; ref: Ref }> {
  const kind = hopKind(target.repo, target.path);
  if (!kind) {
    throw new VigilError(
      `vigil trace follows files of deliveries, alerts (records and snapshots), matches, detections, validated (/valid/, /rejected/), warehouse (*.parquet) and raw; ${target.repo}:${target.path} is none of them`,
    );
  }
  const commit = await view.store.resolveCommit(target.repo, target.ref);
  if (!(await view.tree(target.repo, commit.id)).get(target.path)) {
    throw new VigilError(`file "${target.path}" not found in ${target.repo}@${target.ref}`);
  }
  return { kind, ref: { repo: target.repo, commit: commit.id, path: target.path } };
}

function summarise(direction: Trace['direction'], root: Hop): Trace {
  const frames = new Map<string, TracedFrame>();
  const problems: Trace['problems'] = [];
  let hops = 0;
  let expired = 0;
  const walk = (hop: Hop) => {
    hops++;
    if (hop.expired) expired++;
    for (const problem of hop.problems) problems.push({ hop: hopName(hop), problem });
    if (hop.kind === 'raw') frames.set(hopName(hop), { repo: hop.repo, commit: hop.commit, path: hop.path, sha256: hop.sha256 });
    hop.next.forEach(walk);
  };
  walk(root);
  return { direction, root, frames: [...frames.values()], hops, problems, expired };
}

/** Traces `target` (a record, a validated frame or a warehouse partition) back to the camera frames it came from. */
export async function traceBack(store: Store, target: FileTarget): Promise<Trace> {
  const view = new StoreView(store);
  const { kind, ref } = await start(view, target);
  return summarise('back', await walkOver(view).back(kind, ref));
}

/** Traces the camera frame `target` (raw@REF:/<user>-<device>/<ts>.<ext>) forward to what the heads of the downstream repos derived from it. */
export async function traceForward(store: Store, target: FileTarget): Promise<Trace> {
  const raw = REPOS.raw;
  if (target.repo !== raw) {
    throw new VigilError(
      `--frame takes a camera frame of ${raw}, e.g. ${raw}@master:/u1-cam1/20261126T041500Z.jpg; ${target.repo} is not ${raw}`,
    );
  }
  const view = new StoreView(store);
  const { ref } = await start(view, target);
  const walk = walkOver(view);
  const { hop } = await walk.examine('raw', ref);
  await new Forward(view, walk).from(hop);
  return summarise('forward', hop);
}
