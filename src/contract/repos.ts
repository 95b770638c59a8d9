/**
 * The repos of the data contract (docs/ARCHITECTURE.md, "Stages and repos") and where each
 * keeps a frame's files. People commit to the three input repos (and, through the portal, to
 * feedback); every other repo is a pipeline's output and carries its name. Every pipeline names an input after its repo
 * (pipelines/*.yaml), so these are also the steps' input names and the repos lineage names.
 */
import { sha256 } from '../pfs/files.js';
import { parseFramePath, type FramePath } from './frame-path.js';

export const REPOS = {
  raw: 'raw',
  rules: 'rules',
  models: 'models',
  eval: 'eval',
  validated: 'validated',
  detections: 'detections',
  matches: 'matches',
  alerts: 'alerts',
  /** What customers were told about each incident, withdrawals included (the deliveries pipeline). */
  deliveries: 'deliveries',
  /** The marks of the incidents the latest digest tick summarised (the digests pipeline). */
  digests: 'digests',
  warehouse: 'warehouse',
  reports: 'reports',
  modelEval: 'model-eval',
  /** The candidate model's shadows of detections, matches and model-eval (pipelines/shadow/). */
  detectionsShadow: 'detections-shadow',
  matchesShadow: 'matches-shadow',
  modelEvalShadow: 'model-eval-shadow',
  /** Every promotion and rollback of models@master, one record each. */
  promotions: 'promotions',
  /** People's marks on incidents (acknowledged, closed, false positive), committed by the portal. */
  feedback: 'feedback',
} as const;

/** The models repo's branches: what detection uses, the model on trial, and the head before the last promotion. */
export const MODEL_BRANCHES = { current: 'master', candidate: 'candidate', previous: 'previous' } as const;

/** The eval repo: COCO annotations at the root, the images they name under /images/. */
export const EVAL_SET = { annotations: '/annotations.json', images: '/images' } as const;

/** `/<model>.json`: a model's evaluation in model-eval (and model-eval-shadow). */
export function evaluationPath(model: string): string {
  return `/${model}.json`;
}

export type RepoName = (typeof REPOS)[keyof typeof REPOS];

/** The validated repo's two folders: the standard JPEGs of accepted frames, and the rejection records. */
export const VALIDATED_FOLDERS = { valid: 'valid', rejected: 'rejected' } as const;

/** A frame as the repos name its files: its camera and its capture time as written. */
export type FrameName = Pick<FramePath, 'source' | 'ts'>;

/** `/valid/<user>-<device>/<ts>.jpg`: a frame's standard JPEG in validated. */
export function validFramePath(frame: FrameName): string {
  return `/${VALIDATED_FOLDERS.valid}/${frame.source}/${frame.ts}.jpg`;
}

/** `/rejected/<user>-<device>/<ts>.json`: a frame's rejection record in validated. */
export function rejectionPath(frame: FrameName): string {
  return `/${VALIDATED_FOLDERS.rejected}/${frame.source}/${frame.ts}.json`;
}

/**
 * `/rejected/_unparsed/<sha256 of the raw path>.json`: the rejection of a raw file whose path
 * names no frame. Named by the path, never the bytes, so that no two files share one; the
 * record's `input.path` says which file it is. (`_unparsed` is no `<user>-<device>`.)
 */
export function unparsedRejectionPath(rawPath: string): string {
  return `/${VALIDATED_FOLDERS.rejected}/_unparsed/${sha256(rawPath)}.json`;
}

/**
 * `/rejected/<user>-<device>/<ts>/<ext>.json`: the rejection of a raw frame that another file of
 * the same camera and time (another extension) was kept over; `<ext>` as the raw file writes it.
 * Null when `rawPath` is no frame path.
 */
export function duplicateRejectionPath(rawPath: string): string | null {
  const frame = parseFramePath(rawPath);
  if ('error' in frame) return null;
  const ext = rawPath.slice(rawPath.lastIndexOf('.') + 1);
  return `/${VALIDATED_FOLDERS.rejected}/${frame.source}/${frame.ts}/${ext}.json`;
}

/** `/<user>-<device>/<ts>.json`: a frame's record in detections and in matches. */
export function frameRecordPath(frame: FrameName): string {
  return `/${frame.source}/${frame.ts}.json`;
}

/** Whether `path` of validated lies in `folder`. */
export function inValidatedFolder(folder: keyof typeof VALIDATED_FOLDERS, path: string): boolean {
  return path.startsWith(`/${VALIDATED_FOLDERS[folder]}/`);
}

/** The frame a path of validated's valid folder is a standard JPEG of, or why it is none. */
export function parseValidFramePath(path: string): FramePath | { error: string } {
  return parseFramePath(inValidatedFolder('valid', path) ? path.slice(VALIDATED_FOLDERS.valid.length + 1) : path);
}
