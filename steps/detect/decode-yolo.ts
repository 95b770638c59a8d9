/**
 * A raw YOLO head: one candidate a row of [cx, cy, w, h, objectness?, a score per class], as
 * YOLOv5 ([1, N, 5 + classes], with objectness) and YOLOv8 ([1, 4 + classes, N], transposed,
 * without) export it. Every class scoring at least MIN_SCORE is a candidate; NMS follows.
 */
import type { YoloOutput } from '../../specs/index.js';
import { MIN_SCORE, unbatched, type Candidate, type OutputTensor, type Size } from './core.js';

export function decodeYolo(output: YoloOutput, tensors: ReadonlyMap<string, OutputTensor>, input: Size): Candidate[] {
  const tensor = tensors.get(output.tensor);
  const transposed = output.transposed ?? false;
  const [d1, d2] = unbatched(output.tensor, tensor, 2, transposed ? '[1, values, candidates]' : '[1, candidates, values]');
  const [count, width] = transposed ? [d2, d1] : [d1, d2];
  const first = output.objectness ? 5 : 4;
  if (width <= first) {
    throw new Error(`output ${output.tensor} has ${width} values per candidate; a YOLO head has ${first} and one per class`);
  }
  const { values } = tensor!;
  const at = transposed ? (i: number, k: number) => values[k * count + i] : (i: number, k: number) => values[i * width + k];
  const [ux, uy] = (output.boxUnits ?? 'pixels') === 'normalized' ? [input.width, input.height] : [1, 1];
  const candidates: Candidate[] = [];
  for (let i = 0; i < count; i++) {
    const objectness = output.objectness ? at(i, 4) : 1;
    if (!(objectness >= MIN_SCORE)) continue;
    for (let k = first; k < width; k++) {
      const score = objectness * at(i, k);
      if (!(score >= MIN_SCORE)) continue;
      const [cx, cy, w, h] = [at(i, 0) * ux, at(i, 1) * uy, at(i, 2) * ux, at(i, 3) * uy];
      candidates.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, labelIndex: k - first });
    }
  }
  return candidates;
}
