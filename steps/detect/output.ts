/**
 * The detector's output formats (specs/model-config.schema.json, DetectorOutput): which tensors
 * each reads and how it becomes candidates. Pure: tensors in, candidates out.
 */
import type { DetectorOutput, ModelConfig } from '../../specs/index.js';
import type { Candidate, OutputTensor, Size } from './core.js';
import { columnIndex, decodeRows } from './decode-rows.js';
import { decodeNanodet } from './decode-nanodet.js';
import { decodeTfObjectDetection } from './decode-tf-object-detection.js';
import { decodeYolo } from './decode-yolo.js';

/**
 * The config's output: `output`, or the rows format as outputName with outputLayout spell it;
 * a reason when it gives neither, both, or an unusable one.
 */
export function detectorOutput(config: ModelConfig): DetectorOutput | { error: string } {
  const legacy = config.outputName !== undefined || config.outputLayout !== undefined;
  if (config.output && legacy) return { error: 'give output, or outputName with outputLayout, not both' };
  let output: DetectorOutput;
  if (config.output) output = config.output;
  else if (config.outputName !== undefined && config.outputLayout !== undefined)
    output = { format: 'rows', tensor: config.outputName, ...config.outputLayout };
  else
    return {
      error: 'output is missing: say how to read the detections (output: {format: rows | tf-object-detection | yolo | nanodet, ...})',
    };
  if (output.format === 'rows') {
    const columns = columnIndex(output.columns);
    if ('error' in columns) return { error: `output ${columns.error}` };
  }
  return output;
}

/** The graph outputs the format reads, each once, in a fixed order. */
export function outputTensorNames(output: DetectorOutput): string[] {
  return [...new Set(tensorsRead(output))];
}

function tensorsRead(output: DetectorOutput): string[] {
  switch (output.format) {
    case 'rows':
    case 'yolo':
      return [output.tensor];
    case 'tf-object-detection':
      return [output.boxes, output.scores, output.classes, ...(output.numDetections === undefined ? [] : [output.numDetections])];
    case 'nanodet':
      return output.levels.flatMap((l) => [l.scores, l.boxes]);
  }
}

/** The candidates in the model's outputs, in input pixels; throws when the tensors do not fit the format. */
export function decodeOutput(output: DetectorOutput, tensors: ReadonlyMap<string, OutputTensor>, input: Size): Candidate[] {
  switch (output.format) {
    case 'rows':
      return decodeRows(output, tensors, input);
    case 'tf-object-detection':
      return decodeTfObjectDetection(output, tensors, input);
    case 'yolo':
      return decodeYolo(output, tensors, input);
    case 'nanodet':
      return decodeNanodet(output, tensors, input);
  }
}
