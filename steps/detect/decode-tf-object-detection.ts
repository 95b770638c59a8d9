/**
 * The TensorFlow Object Detection API's signature: detection_boxes [1, N, 4] as [y1, x1, y2, x2]
 * normalised to the input, detection_scores [1, N], detection_classes [1, N] with ids counted
 * from classOffset (1 in the API's label maps: 0 is the background), num_detections [1].
 */
import type { TfObjectDetectionOutput } from '../../specs/index.js';
import { MIN_SCORE, unbatched, type Candidate, type OutputTensor, type Size } from './core.js';

export function decodeTfObjectDetection(
  output: TfObjectDetectionOutput,
  tensors: ReadonlyMap<string, OutputTensor>,
  input: Size,
): Candidate[] {
  const boxes = tensors.get(output.boxes);
  const scores = tensors.get(output.scores);
  const classes = tensors.get(output.classes);
  const [rows, corners] = unbatched(output.boxes, boxes, 2, '[1, N, 4]');
  if (corners !== 4) throw new Error(`output ${output.boxes} is [${boxes!.shape.join(', ')}]; expected [1, N, 4]`);
  for (const [name, tensor] of [
    [output.scores, scores],
    [output.classes, classes],
  ] as const) {
    const [n] = unbatched(name, tensor, 1, `[1, ${rows}] like ${output.boxes}`);
    if (n !== rows) throw new Error(`output ${name} is [${tensor!.shape.join(', ')}]; expected [1, ${rows}] like ${output.boxes}`);
  }
  let count = rows;
  if (output.numDetections !== undefined) {
    const num = tensors.get(output.numDetections);
    if (num?.values.length !== 1) throw new Error(`output ${output.numDetections} must hold one number, the count of detections`);
    count = Math.min(rows, Math.round(num.values[0]));
  }
  const offset = output.classOffset ?? 1;
  const candidates: Candidate[] = [];
  for (let i = 0; i < count; i++) {
    const score = scores!.values[i];
    if (!(score >= MIN_SCORE)) continue;
    const b = (k: number) => boxes!.values[i * 4 + k];
    candidates.push({
      x1: b(1) * input.width,
      y1: b(0) * input.height,
      x2: b(3) * input.width,
      y2: b(2) * input.height,
      score,
      labelIndex: classes!.values[i] - offset,
    });
  }
  return candidates;
}
