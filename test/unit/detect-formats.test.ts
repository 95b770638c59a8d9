/**
 * One layout test per output format (specs/model-config.schema.json, DetectorOutput): known
 * boxes written into hand-built tensors as each exporter lays them out, decoded and placed back
 * on the frame.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box, DetectedObject, DetectorOutput, ModelConfig } from '../../specs/index.js';
import { objectsOnFrame, placeFrame, type OutputTensor, type Size } from '../../steps/detect/core.js';
import { decodeOutput, detectorOutput, outputTensorNames } from '../../steps/detect/output.js';

const LABELS = ['person', 'bicycle', 'car'];

function detect(output: DetectorOutput, tensors: Record<string, OutputTensor>, input: Size, frame: Size, mode: 'letterbox' | 'stretch') {
  assert.deepEqual(outputTensorNames(output).sort(), Object.keys(tensors).sort(), 'the format reads exactly these tensors');
  const candidates = decodeOutput(output, new Map(Object.entries(tensors)), input);
  return objectsOnFrame(candidates, LABELS, placeFrame(frame, input, mode));
}

function assertObjects(actual: DetectedObject[], expected: Array<{ label: string; score: number; box: Box }>): void {
  assert.deepEqual(
    actual.map((o) => [o.label, o.score]),
    expected.map((o) => [o.label, o.score]),
  );
  actual.forEach((o, i) => {
    for (const k of ['x', 'y', 'w', 'h'] as const) {
      assert.ok(Math.abs(o.box[k] - expected[i].box[k]) <= 1e-3, `${o.label}: box.${k} is ${o.box[k]}, expected ${expected[i].box[k]}`);
    }
  });
}

describe('tf-object-detection: separate boxes [y1, x1, y2, x2] normalised, scores, 1-based classes, num_detections', () => {
  const output: DetectorOutput = {
    format: 'tf-object-detection',
    boxes: 'detection_boxes',
    scores: 'detection_scores',
    classes: 'detection_classes',
    numDetections: 'num_detections',
  };
  const input = { width: 300, height: 300 };
  const tensors = (count: number): Record<string, OutputTensor> => ({
    detection_boxes: {
      shape: [1, 4, 4],
      values: [0.25, 0.1, 0.75, 0.5, 0.5, 0.5, 1, 1, 0, 0, 0.5, 0.5, 0, 0, 1, 1],
    },
    detection_scores: { shape: [1, 4], values: [0.9, 0.6, 0.95, 0.99] },
    // Class 1 is labels[0]: the label maps count from 1, 0 being the background.
    detection_classes: { shape: [1, 4], values: [1, 3, 0, 2] },
    num_detections: { shape: [1], values: [count] },
  });

  it('reads the first num_detections rows, with y before x and class ids from 1', () => {
    const objects = detect(output, tensors(2), input, { width: 600, height: 400 }, 'stretch');
    assertObjects(objects, [
      { label: 'person', score: 0.9, box: { x: 0.1, y: 0.25, w: 0.4, h: 0.5 } },
      { label: 'car', score: 0.6, box: { x: 0.5, y: 0.5, w: 0.5, h: 0.5 } },
    ]);
  });

  it('drops the background class 0 and keeps class 2 as labels[1]', () => {
    const objects = detect(output, tensors(4), input, { width: 600, height: 400 }, 'stretch');
    assert.deepEqual(
      objects.map((o) => [o.label, o.score]),
      [
        ['bicycle', 0.99],
        ['person', 0.9],
        ['car', 0.6],
      ],
    );
  });

  it('takes every row without num_detections, and classOffset 0 for 0-based ids', () => {
    const { num_detections: _, ...rest } = tensors(4);
    const objects = detect({ ...output, numDetections: undefined, classOffset: 0 }, rest, input, { width: 600, height: 400 }, 'stretch');
    // Ids 1, 3, 0, 2 are labels[1] (0.9), none (0.6, dropped), labels[0] (0.95), labels[2] (0.99).
    assert.deepEqual(
      objects.map((o) => [o.label, o.score]),
      [
        ['car', 0.99],
        ['person', 0.95],
        ['bicycle', 0.9],
      ],
    );
  });

  it('names the tensor whose shape does not fit', () => {
    const bad = { ...tensors(2), detection_scores: { shape: [1, 3], values: [0.9, 0.6, 0.95] } };
    assert.throws(() => detect(output, bad, input, input, 'stretch'), /output detection_scores is \[1, 3\]; expected \[1, 4\]/);
  });
});

describe('yolo: raw rows of centre, size, objectness and class scores, then NMS', () => {
  // A 741x500 frame letterboxed into 512x512 lies at top 83, 512x345: its centre quarter is
  // centred at (256, 255.5), 256 wide and 172.5 high.
  const input = { width: 512, height: 512 };
  const frame = { width: 741, height: 500 };
  const quarter = { x: 0.25, y: 0.25, w: 0.5, h: 0.5 };

  it('YOLOv5: [1, N, 5 + classes], score = objectness x class score, overlapping weaker boxes suppressed', () => {
    const rows = [
      [256, 255.5, 256, 172.5, 0.9, 0.1, 0.8, 0.05], // bicycle 0.72
      [260, 258, 250, 170, 0.8, 0.1, 0.8, 0.05], // the same bicycle, 0.64: suppressed
      [100, 150, 20, 20, 0.1, 0.9, 0.9, 0.9], // objectness 0.1: nothing here
      [256, 255.5, 256, 172.5, 0.5, 0.9, 0.1, 0.1], // a person on the same spot, 0.45: another class, kept
    ];
    const output: DetectorOutput = { format: 'yolo', tensor: 'output0', objectness: true };
    const objects = detect(output, { output0: { shape: [1, 4, 8], values: rows.flat() } }, input, frame, 'letterbox');
    assertObjects(objects, [
      { label: 'bicycle', score: 0.72, box: quarter },
      { label: 'person', score: 0.45, box: quarter },
    ]);
  });

  it('YOLOv8: transposed [1, 4 + classes, N], no objectness, boxes normalised', () => {
    const candidates = [
      [0.5, 255.5 / 512, 0.5, 172.5 / 512, 0.05, 0.1, 0.85], // car 0.85
      [0.1, 0.1, 0.05, 0.05, 0.1, 0.15, 0.19], // nothing reaches 0.2
    ];
    const values = [0, 1, 2, 3, 4, 5, 6].flatMap((k) => candidates.map((c) => c[k]));
    const output: DetectorOutput = { format: 'yolo', tensor: 'output0', objectness: false, transposed: true, boxUnits: 'normalized' };
    const objects = detect(output, { output0: { shape: [1, 7, 2], values } }, input, frame, 'letterbox');
    assertObjects(objects, [{ label: 'car', score: 0.85, box: quarter }]);
  });

  it('refuses a tensor too narrow for a YOLO head', () => {
    const output: DetectorOutput = { format: 'yolo', tensor: 'o', objectness: true };
    assert.throws(
      () => detect(output, { o: { shape: [1, 2, 5], values: new Array(10).fill(0) } }, input, frame, 'letterbox'),
      /has 5 values per candidate/,
    );
  });
});

describe('nanodet: per-level class scores and box distributions over bins, decoded from cell centres', () => {
  // A 64x64 input: stride 16 gives 4x4 cells, stride 32 2x2. Four bins per side.
  const input = { width: 64, height: 64 };
  const BINS = 4;
  const output = (centerOffset?: number): DetectorOutput => ({
    format: 'nanodet',
    levels: [
      { stride: 16, scores: 's16', boxes: 'b16' },
      { stride: 32, scores: 's32', boxes: 'b32' },
    ],
    ...(centerOffset === undefined ? {} : { centerOffset }),
  });
  /** Logits whose softmax puts all its weight on bin `b` (e^-100 elsewhere). */
  const peaked = (b: number) => Array.from({ length: BINS }, (_, i) => (i === b ? 50 : -50));
  /** Tensors with one cell of one level set: its class scores and each side's logits; the rest silent. */
  function level(cells: number, at: number, scores: number[], sides: number[][]): [OutputTensor, OutputTensor] {
    const s = new Array(cells * 3).fill(0.01);
    const b = new Array(cells * 4 * BINS).fill(0);
    s.splice(at * 3, scores.length, ...scores);
    b.splice(at * 4 * BINS, 4 * BINS, ...sides.flat());
    return [
      { shape: [1, cells, 3], values: s },
      { shape: [1, cells, 4 * BINS], values: b },
    ];
  }

  it('decodes distances as the expected bin times the stride from the cell corner (centerOffset 0, NanoDet-Plus priors)', () => {
    // Stride 16, cell 5 = column 1, row 1: centre (16, 16). Left 1, top 1, right 2, bottom 3 bins.
    const [s16, b16] = level(16, 5, [0.02, 0.03, 0.9], [peaked(1), peaked(1), peaked(2), peaked(3)]);
    // Stride 32, cell 3 = column 1, row 1: centre (32, 32). A person with a uniform distribution: 1.5 bins each side.
    const [s32, b32] = level(
      4,
      3,
      [0.6, 0.01, 0.01],
      [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    );
    const objects = detect(output(0), { s16, b16, s32, b32 }, input, { width: 128, height: 128 }, 'stretch');
    assertObjects(objects, [
      { label: 'car', score: 0.9, box: { x: 0, y: 0, w: 48 / 64, h: 64 / 64 } },
      // (32 - 48, 32 - 48) to (32 + 48, 32 + 48), clipped to the frame.
      { label: 'person', score: 0.6, box: { x: 0, y: 0, w: 1, h: 1 } },
    ]);
  });

  it('by default (centerOffset 0.5) the centre is the middle of the cell', () => {
    const [s16, b16] = level(16, 0, [0.9, 0, 0], [peaked(0), peaked(0), peaked(1), peaked(1)]);
    const [s32, b32] = level(4, 0, [0, 0, 0], [peaked(0), peaked(0), peaked(0), peaked(0)]);
    // Cell 0 centre (8, 8): right and bottom 16 away.
    const objects = detect(output(), { s16, b16, s32, b32 }, input, input, 'stretch');
    assertObjects(objects, [{ label: 'person', score: 0.9, box: { x: 8 / 64, y: 8 / 64, w: 16 / 64, h: 16 / 64 } }]);
  });

  it('refuses levels whose cells do not fit the stride on this input', () => {
    const [s16, b16] = level(15, 0, [0.9, 0, 0], [peaked(0), peaked(0), peaked(0), peaked(0)]);
    const [s32, b32] = level(4, 0, [0, 0, 0], [peaked(0), peaked(0), peaked(0), peaked(0)]);
    assert.throws(
      () => detect(output(), { s16, b16, s32, b32 }, input, input, 'stretch'),
      /outputs s16 \[1, 15, 3\] and b16 \[1, 15, 16\] do not fit stride 16 on a 64x64 input: expected \[1, 16, classes\]/,
    );
  });
});

describe('model.yaml: the output, or the rows format in its older spelling', () => {
  const base = { inputSize: { width: 1, height: 1 }, valueRange: [0, 1], labels: LABELS } as ModelConfig;
  const rows = { columns: ['x1', 'y1', 'x2', 'y2', 'score', 'class'], boxUnits: 'pixels' } as const;

  it('reads outputName with outputLayout as the rows format', () => {
    assert.deepEqual(detectorOutput({ ...base, outputName: 'd', outputLayout: { ...rows, columns: [...rows.columns] } }), {
      format: 'rows',
      tensor: 'd',
      columns: [...rows.columns],
      boxUnits: 'pixels',
    });
  });

  it('refuses both spellings at once, neither, and rows missing a column', () => {
    const output: DetectorOutput = { format: 'rows', tensor: 'd', ...rows, columns: [...rows.columns] };
    assert.deepEqual(detectorOutput({ ...base, output, outputName: 'd' }), {
      error: 'give output, or outputName with outputLayout, not both',
    });
    assert.match((detectorOutput(base) as { error: string }).error, /^output is missing/);
    assert.deepEqual(detectorOutput({ ...base, output: { ...output, columns: ['x1', 'y1', 'x2', 'y2', 'score'] } }), {
      error: 'output columns must name class exactly once (it does 0 times)',
    });
  });
});
