/**
 * COCO's detection metrics, computed as pycocotools' COCOeval does for bounding boxes
 * (cocoeval.py: evaluateImg, accumulate, summarize; maskApi.c: bbIou), over all object areas and
 * at most 100 detections per image and class. Pure: labelled and detected boxes in, the
 * evaluation out. Precision and recall at a score threshold (what a rule's minScore gives) follow
 * from the detections it returns.
 */
import type { ClassEvaluation } from '../../specs/index.js';

/** [x, y, width, height] in pixels of its image, as COCO writes boxes. */
export type PixelBox = readonly [number, number, number, number];

/** A labelled object of the set: its image id, its label (a category name) and its box. */
export interface LabelledBox {
  image: number;
  label: string;
  box: PixelBox;
}

/** A detection on an image of the set. */
export interface DetectedBox extends LabelledBox {
  score: number;
}

/** The IoU thresholds 0.50:0.05:0.95, as numpy's linspace makes them. */
export const IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5));
/** The 101 recall points 0:0.01:1 at which precision is interpolated. */
const RECALL_THRESHOLDS: readonly number[] = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01));
/** COCO's maxDets for the headline metrics. */
export const MAX_DETECTIONS = 100;

/** pycocotools' bbIou: intersection over union of two [x, y, w, h] boxes. */
export function boxIou(d: PixelBox, g: PixelBox): number {
  const w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0]);
  if (w <= 0) return 0;
  const h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1]);
  if (h <= 0) return 0;
  const i = w * h;
  return i / (d[2] * d[3] + g[2] * g[3] - i);
}

/** Highest score first, ties in their original order (numpy's stable mergesort of -score). */
function byScore<T extends { score: number }>(items: readonly T[]): T[] {
  return items
    .map((item, at) => ({ item, at }))
    .sort((a, b) => b.item.score - a.item.score || a.at - b.at)
    .map((x) => x.item);
}

/**
 * evaluateImg for one image and class: which of the (sorted, capped) detections match a labelled
 * object at each IoU threshold. Each detection takes the unmatched object it overlaps most, at
 * least at the threshold; of equal overlaps the later object wins, as in pycocotools.
 */
function matchImage(detections: readonly DetectedBox[], truths: readonly LabelledBox[]): boolean[][] {
  const ious = detections.map((d) => truths.map((g) => boxIou(d.box, g.box)));
  return IOU_THRESHOLDS.map((t) => {
    const taken = truths.map(() => false);
    return detections.map((_, di) => {
      let best = Math.min(t, 1 - 1e-10);
      let match = -1;
      for (let gi = 0; gi < truths.length; gi++) {
        if (taken[gi] || ious[di][gi] < best) continue;
        best = ious[di][gi];
        match = gi;
      }
      if (match >= 0) taken[match] = true;
      return match >= 0;
    });
  });
}

/** accumulate for one class and IoU threshold: the mean of the interpolated precision at the 101 recall points. */
function averagePrecision(hits: readonly boolean[], truths: number): number {
  const precision: number[] = [];
  const recall: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const hit of hits) {
    if (hit) tp++;
    else fp++;
    recall.push(tp / truths);
    precision.push(tp / (fp + tp + Number.EPSILON));
  }
  for (let i = precision.length - 1; i > 0; i--) if (precision[i] > precision[i - 1]) precision[i - 1] = precision[i];
  let sum = 0;
  let at = 0;
  for (const r of RECALL_THRESHOLDS) {
    while (at < recall.length && recall[at] < r) at++; // numpy's searchsorted, side 'left'
    sum += at < precision.length ? precision[at] : 0;
  }
  return sum / RECALL_THRESHOLDS.length;
}

const key = (image: number, label: string) => `${image}\n${label}`;

/** The boxes of each image and label, in their order. */
function groupBy<T extends LabelledBox>(boxes: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const b of boxes) {
    const k = key(b.image, b.label);
    const group = groups.get(k);
    if (group) group.push(b);
    else groups.set(k, [b]);
  }
  return groups;
}

const mean = (values: readonly number[]): number | null => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : null);

export interface Evaluation {
  /** AP at IoU 0.5, the mean over classes with labelled objects; null when there are none. */
  ap50: number | null;
  /** AP at IoU 0.50:0.95, the mean over IoUs and classes with labelled objects. */
  ap: number | null;
  classes: ClassEvaluation[];
}

/**
 * Evaluates the detections of `images` (ids, in any order) against the labelled objects, for
 * each of `labels` (the set's categories). Detections of other labels are not evaluated; a class
 * with no labelled object has AP null and does not count in the means, as in pycocotools.
 */
export function evaluateDetections(
  images: readonly number[],
  labels: readonly string[],
  truths: readonly LabelledBox[],
  detections: readonly DetectedBox[],
): Evaluation {
  const order = [...new Set(images)].sort((a, b) => a - b);
  const truthsOf = groupBy(truths);
  const detectionsOf = groupBy(detections);
  const classes = labels.map((label): ClassEvaluation => {
    const hitsAt = IOU_THRESHOLDS.map((): Array<{ score: number; hit: boolean }> => []);
    let labelled = 0;
    for (const image of order) {
      const gt = truthsOf.get(key(image, label)) ?? [];
      const dt = byScore(detectionsOf.get(key(image, label)) ?? []).slice(0, MAX_DETECTIONS);
      labelled += gt.length;
      matchImage(dt, gt).forEach((hits, t) => {
        for (const [i, hit] of hits.entries()) hitsAt[t].push({ score: dt[i].score, hit });
      });
    }
    const sorted = hitsAt.map((list) => byScore(list).map((x) => x.hit));
    const aps = labelled ? sorted.map((hits) => averagePrecision(hits, labelled)) : [];
    return {
      label,
      groundTruth: labelled,
      ap50: aps.length ? aps[0] : null,
      ap: mean(aps),
      detections: byScore(hitsAt[0]).map((x) => ({ score: x.score, truePositive: x.hit })),
    };
  });
  const scored = classes.filter((c) => c.groundTruth > 0);
  return { ap50: mean(scored.map((c) => c.ap50!)), ap: mean(scored.map((c) => c.ap!)), classes };
}

/** Precision and recall at IoU 0.5 of the class's detections scoring at least `minScore`. */
export interface OperatingPoint {
  minScore: number;
  detections: number;
  truePositives: number;
  /** Null when nothing scores that high. */
  precision: number | null;
  /** Null when the class has no labelled object. */
  recall: number | null;
}

export function operatingPoint(c: ClassEvaluation, minScore: number): OperatingPoint {
  const kept = c.detections.filter((d) => d.score >= minScore);
  const truePositives = kept.filter((d) => d.truePositive).length;
  return {
    minScore,
    detections: kept.length,
    truePositives,
    precision: kept.length ? truePositives / kept.length : null,
    recall: c.groundTruth ? truePositives / c.groundTruth : null,
  };
}

/** The highest score a detection that found a labelled object of the class had; null when none did. */
export function bestFoundScore(c: ClassEvaluation): number | null {
  const found = c.detections.filter((d) => d.truePositive).map((d) => d.score);
  return found.length ? Math.max(...found) : null;
}

/**
 * The highest minScore that keeps recall at least `recall` (0-1) for the class: the score of the
 * detection that finds the ceil(recall x labelled)-th object. Null when no threshold reaches it
 * (the model finds too few of them at any score).
 */
export function minScoreForRecall(c: ClassEvaluation, recall: number): number | null {
  const needed = Math.max(1, Math.ceil(recall * c.groundTruth - 1e-9));
  const found = c.detections.filter((d) => d.truePositive).map((d) => d.score);
  return c.groundTruth > 0 && found.length >= needed ? found[needed - 1] : null;
}
