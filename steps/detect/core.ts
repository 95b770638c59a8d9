import type { Box, DetectedObject, ModelConfig } from '../../specs/index.js';

/** Detections below this score are dropped; rules apply their own, higher thresholds later. */
export const MIN_SCORE = 0.2;
/** Of two same-class boxes overlapping more than this, the lower-scoring one is dropped. */
export const NMS_IOU = 0.5;

export interface Size {
  width: number;
  height: number;
}

/** Where the resized frame lies inside the model input, in input pixels. */
export interface Placement {
  left: number;
  top: number;
  width: number;
  height: number;
}

export type ResizeMode = NonNullable<ModelConfig['resize']>;
export type OutputLayout = ModelConfig['outputLayout'];
type Column = OutputLayout['columns'][number];
const NEEDED_COLUMNS: readonly Column[] = ['x1', 'y1', 'x2', 'y2', 'score', 'class'];

/**
 * How a frame is fitted into the model input: `stretch` fills it; `letterbox` scales the frame
 * to fit whole, keeping its aspect ratio, and centres it (the rest is padding).
 */
export function placeFrame(frame: Size, input: Size, mode: ResizeMode): Placement {
  if (mode === 'stretch') return { left: 0, top: 0, width: input.width, height: input.height };
  const scale = Math.min(input.width / frame.width, input.height / frame.height);
  const width = Math.max(1, Math.min(input.width, Math.round(frame.width * scale)));
  const height = Math.max(1, Math.min(input.height, Math.round(frame.height * scale)));
  return { left: Math.floor((input.width - width) / 2), top: Math.floor((input.height - height) / 2), width, height };
}

/** The index of each needed column in a row, or a reason the layout is unusable. */
export function columnIndex(layout: OutputLayout): Record<Column, number> | { error: string } {
  const index = {} as Record<Column, number>;
  for (const name of NEEDED_COLUMNS) {
    const at = layout.columns.filter((c) => c === name).length;
    if (at !== 1) return { error: `outputLayout.columns must name ${name} exactly once (it does ${at} times)` };
    index[name] = layout.columns.indexOf(name);
  }
  return index;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/** Greedy non-maximum suppression within each class; the result is sorted by score, highest first. */
export function suppressOverlaps(objects: DetectedObject[], maxIou = NMS_IOU): DetectedObject[] {
  const kept: DetectedObject[] = [];
  for (const candidate of [...objects].sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => k.classId === candidate.classId && iou(k.box, candidate.box) > maxIou)) kept.push(candidate);
  }
  return kept;
}

export interface DecodeInput {
  /** The output tensor's values, row after row. */
  values: ArrayLike<number>;
  /** Values per row (the output's last dimension). */
  rowLength: number;
  layout: OutputLayout;
  labels: readonly string[];
  input: Size;
  placement: Placement;
}

/**
 * The model's output rows as objects on the original frame: rows scoring at least MIN_SCORE,
 * with a known class, their boxes mapped from the model input back to fractions of the frame
 * (undoing the letterbox or stretch) and clipped to it, then per-class NMS.
 */
export function decodeDetections(d: DecodeInput): DetectedObject[] {
  const col = columnIndex(d.layout);
  if ('error' in col) throw new Error(col.error);
  if (d.rowLength < d.layout.columns.length) {
    throw new Error(`output rows have ${d.rowLength} values but outputLayout.columns names ${d.layout.columns.length}`);
  }
  // Input pixels per box unit, then input pixels -> fraction of the frame.
  const [ux, uy] = d.layout.boxUnits === 'normalized' ? [d.input.width, d.input.height] : [1, 1];
  const fx = (v: number) => clamp01((v * ux - d.placement.left) / d.placement.width);
  const fy = (v: number) => clamp01((v * uy - d.placement.top) / d.placement.height);

  const objects: DetectedObject[] = [];
  for (let at = 0; at + d.rowLength <= d.values.length; at += d.rowLength) {
    const v = (c: Column) => d.values[at + col[c]];
    const score = v('score');
    const classId = v('class');
    // Padding rows carry NaN; a class outside the labels cannot be named, so no rule could use it.
    if (!(score >= MIN_SCORE) || !Number.isInteger(classId) || classId < 0 || classId >= d.labels.length) continue;
    const x1 = fx(Math.min(v('x1'), v('x2')));
    const x2 = fx(Math.max(v('x1'), v('x2')));
    const y1 = fy(Math.min(v('y1'), v('y2')));
    const y2 = fy(Math.max(v('y1'), v('y2')));
    if (x2 <= x1 || y2 <= y1) continue; // entirely in the padding
    objects.push({
      label: d.labels[classId],
      classId,
      score: round4(Math.min(1, score)),
      box: { x: round4(x1), y: round4(y1), w: round4(x2 - x1), h: round4(y2 - y1) },
    });
  }
  return suppressOverlaps(objects);
}
