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

/** One output tensor of an inference: its values in row-major order and its shape. */
export interface OutputTensor {
  values: ArrayLike<number>;
  shape: readonly number[];
}

/**
 * A detection as a decoder reads it from the model's outputs, before it is placed on the frame:
 * corners in pixels of the model input, and the index of its label.
 */
export interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  labelIndex: number;
}

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

/**
 * Candidates as objects on the original frame: those scoring at least MIN_SCORE with a known
 * label, their boxes mapped from the model input back to fractions of the frame (undoing the
 * letterbox or stretch) and clipped to it, then per-class NMS.
 */
export function objectsOnFrame(candidates: Iterable<Candidate>, labels: readonly string[], placement: Placement): DetectedObject[] {
  const fx = (v: number) => clamp01((v - placement.left) / placement.width);
  const fy = (v: number) => clamp01((v - placement.top) / placement.height);
  const objects: DetectedObject[] = [];
  for (const c of candidates) {
    // Padding rows carry NaN; a class outside the labels cannot be named, so no rule could use it.
    if (!(c.score >= MIN_SCORE) || !Number.isInteger(c.labelIndex) || c.labelIndex < 0 || c.labelIndex >= labels.length) continue;
    const x1 = fx(Math.min(c.x1, c.x2));
    const x2 = fx(Math.max(c.x1, c.x2));
    const y1 = fy(Math.min(c.y1, c.y2));
    const y2 = fy(Math.max(c.y1, c.y2));
    if (!(x2 > x1 && y2 > y1)) continue; // entirely in the padding
    objects.push({
      label: labels[c.labelIndex],
      classId: c.labelIndex,
      score: round4(Math.min(1, c.score)),
      box: { x: round4(x1), y: round4(y1), w: round4(x2 - x1), h: round4(y2 - y1) },
    });
  }
  return suppressOverlaps(objects);
}

/** The tensor's dimensions past a leading batch of 1, or an error naming what was expected. */
export function unbatched(name: string, tensor: OutputTensor | undefined, rank: number, what: string): number[] {
  if (!tensor) throw new Error(`the model gave no output ${name}`);
  const [batch, ...dims] = tensor.shape;
  if (batch !== 1 || dims.length !== rank) {
    throw new Error(`output ${name} is [${tensor.shape.join(', ')}]; expected ${what}`);
  }
  return dims;
}
