/**
 * A raw NanoDet (generalised focal loss) head. Per feature level: class scores [1, cells,
 * classes], already through a sigmoid, and box distributions [1, cells, 4 * bins]. A cell of a
 * level with stride s covers s x s input pixels, cells running row by row; for each side (left,
 * top, right, bottom) a softmax over the bins gives a distribution whose expectation, times s, is
 * the side's distance from the cell's centre. Every class scoring at least MIN_SCORE is a
 * candidate; NMS follows.
 */
import type { NanodetOutput } from '../../specs/index.js';
import { MIN_SCORE, unbatched, type Candidate, type OutputTensor, type Size } from './core.js';

/** The expectation of the softmax over `bins` logits starting at `at`. */
function expectedBin(values: ArrayLike<number>, at: number, bins: number): number {
  let max = -Infinity;
  for (let b = 0; b < bins; b++) max = Math.max(max, values[at + b]);
  let sum = 0;
  let weighted = 0;
  for (let b = 0; b < bins; b++) {
    const e = Math.exp(values[at + b] - max);
    sum += e;
    weighted += b * e;
  }
  return weighted / sum;
}

export function decodeNanodet(output: NanodetOutput, tensors: ReadonlyMap<string, OutputTensor>, input: Size): Candidate[] {
  const offset = output.centerOffset ?? 0.5;
  const candidates: Candidate[] = [];
  for (const level of output.levels) {
    const columns = Math.ceil(input.width / level.stride);
    const cells = columns * Math.ceil(input.height / level.stride);
    const scores = tensors.get(level.scores);
    const boxes = tensors.get(level.boxes);
    const [scoreCells, classes] = unbatched(level.scores, scores, 2, `[1, ${cells}, classes] for stride ${level.stride}`);
    const [boxCells, sides] = unbatched(level.boxes, boxes, 2, `[1, ${cells}, 4 * bins] for stride ${level.stride}`);
    if (scoreCells !== cells || boxCells !== cells || sides % 4 !== 0 || sides < 4) {
      throw new Error(
        `outputs ${level.scores} [${scores!.shape.join(', ')}] and ${level.boxes} [${boxes!.shape.join(', ')}] do not fit stride ${level.stride} on a ${input.width}x${input.height} input: expected [1, ${cells}, classes] and [1, ${cells}, 4 * bins]`,
      );
    }
    const bins = sides / 4;
    for (let cell = 0; cell < cells; cell++) {
      let distances: number[] | undefined;
      for (let k = 0; k < classes; k++) {
        const score = scores!.values[cell * classes + k];
        if (!(score >= MIN_SCORE)) continue;
        distances ??= [0, 1, 2, 3].map((side) => expectedBin(boxes!.values, cell * sides + side * bins, bins) * level.stride);
        const cx = ((cell % columns) + offset) * level.stride;
        const cy = (Math.floor(cell / columns) + offset) * level.stride;
        const [left, top, right, bottom] = distances;
        candidates.push({ x1: cx - left, y1: cy - top, x2: cx + right, y2: cy + bottom, score, labelIndex: k });
      }
    }
  }
  return candidates;
}
