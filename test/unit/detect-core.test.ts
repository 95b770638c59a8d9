import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box, DetectedObject, RowLayout } from '../../specs/index.js';
import { iou, objectsOnFrame, placeFrame, suppressOverlaps, type Placement } from '../../steps/detect/core.js';
import { columnIndex, decodeRows } from '../../steps/detect/decode-rows.js';

const INPUT = { width: 512, height: 512 };
const LABELS = ['person', 'bicycle', 'car'];
const CENTERNET: RowLayout = { columns: ['x1', 'y1', 'x2', 'y2', 'score', 'class'], boxUnits: 'pixels' };

/** Rows of the rows format through its decoder and onto the frame. */
function decode(rows: number[][], over: { layout?: RowLayout; placement?: Placement } = {}): DetectedObject[] {
  const layout = over.layout ?? CENTERNET;
  const tensor = { values: rows.flat(), shape: [1, rows.length, rows[0]?.length ?? 6] };
  const candidates = decodeRows({ format: 'rows', tensor: 'detections', ...layout }, new Map([['detections', tensor]]), INPUT);
  return objectsOnFrame(candidates, LABELS, over.placement ?? { left: 0, top: 0, width: 512, height: 512 });
}

function assertBox(actual: Box, expected: Box, tolerance = 1e-3): void {
  for (const k of ['x', 'y', 'w', 'h'] as const) {
    assert.ok(
      Math.abs(actual[k] - expected[k]) <= tolerance,
      `box.${k} is ${actual[k]}, expected ${expected[k]} (${JSON.stringify(actual)})`,
    );
  }
}

describe('placeFrame', () => {
  it('letterboxes a wide frame: full width, centred vertically', () => {
    assert.deepEqual(placeFrame({ width: 741, height: 500 }, INPUT, 'letterbox'), { left: 0, top: 83, width: 512, height: 345 });
  });

  it('letterboxes a tall frame: full height, centred horizontally', () => {
    assert.deepEqual(placeFrame({ width: 427, height: 640 }, INPUT, 'letterbox'), { left: 85, top: 0, width: 342, height: 512 });
  });

  it('stretches any frame over the whole input', () => {
    assert.deepEqual(placeFrame({ width: 741, height: 500 }, INPUT, 'stretch'), { left: 0, top: 0, width: 512, height: 512 });
  });

  it('never shrinks a sliver of a frame to nothing', () => {
    const p = placeFrame({ width: 5000, height: 2 }, INPUT, 'letterbox');
    assert.equal(p.width, 512);
    assert.equal(p.height, 1);
  });
});

describe('the rows format, placed on the frame', () => {
  it('maps a letterboxed box back to fractions of a wide frame', () => {
    // 741x500 letterboxed: 512x345 at top 83. The frame's centre quarter is 128..384 x 83+86.25..83+258.75.
    const placement = placeFrame({ width: 741, height: 500 }, INPUT, 'letterbox');
    const [o] = decode([[128, 83 + 86.25, 384, 83 + 258.75, 0.9, 2]], { placement });
    assert.equal(o.label, 'car');
    assert.equal(o.classId, 2);
    assertBox(o.box, { x: 0.25, y: 0.25, w: 0.5, h: 0.5 });
  });

  it('maps a letterboxed box back to fractions of a tall frame', () => {
    const placement = placeFrame({ width: 427, height: 640 }, INPUT, 'letterbox'); // 342 wide at left 85
    const [o] = decode([[85, 0, 85 + 171, 256, 0.9, 0]], { placement });
    assertBox(o.box, { x: 0, y: 0, w: 0.5, h: 0.5 });
  });

  it('maps a stretched box back by the same fractions', () => {
    const [o] = decode([[51.2, 128, 256, 512, 0.5, 1]], { placement: placeFrame({ width: 741, height: 500 }, INPUT, 'stretch') });
    assertBox(o.box, { x: 0.1, y: 0.25, w: 0.4, h: 0.75 });
  });

  it('clips boxes to the frame, dropping one that lies wholly in the padding', () => {
    const placement = placeFrame({ width: 741, height: 500 }, INPUT, 'letterbox');
    const objects = decode(
      [
        [-6, 60, 600, 300, 0.8, 0],
        [10, 0, 100, 50, 0.7, 1],
      ],
      { placement },
    );
    assert.equal(objects.length, 1, 'the box above the frame (in the top padding) is dropped');
    assertBox(objects[0].box, { x: 0, y: 0, w: 1, h: (300 - 83) / 345 });
  });

  it('reads any column order and boxes normalised to the input', () => {
    const layout = { columns: ['class', 'score', 'y1', 'x1', 'y2', 'x2', 'skip'], boxUnits: 'normalized' } as RowLayout;
    const [o] = decode([[1, 0.75, 0.5, 0.25, 1, 0.75, 42]], { layout });
    assert.equal(o.label, 'bicycle');
    assert.equal(o.score, 0.75);
    assertBox(o.box, { x: 0.25, y: 0.5, w: 0.5, h: 0.5 });
  });

  it('keeps scores of at least 0.2 and drops padding rows and unknown classes', () => {
    const objects = decode([
      [0, 0, 100, 100, 0.2, 0],
      [200, 200, 300, 300, 0.1999, 0],
      [NaN, NaN, NaN, NaN, NaN, NaN],
      [0, 0, 100, 100, 0.9, 7],
      [0, 0, 100, 100, 0.9, 1.5],
    ]);
    assert.deepEqual(
      objects.map((o) => [o.label, o.score]),
      [['person', 0.2]],
    );
  });

  it('suppresses overlapping boxes of one class but keeps other classes on the same spot', () => {
    const objects = decode([
      [0, 0, 100, 100, 0.6, 0],
      [5, 5, 105, 105, 0.9, 0], // IoU 0.82 with the first: the weaker one goes
      [0, 0, 100, 100, 0.5, 1], // same place, another class: kept
      [60, 0, 160, 100, 0.4, 0], // IoU 0.29 with the best person: kept
    ]);
    assert.deepEqual(
      objects.map((o) => [o.label, o.score]),
      [
        ['person', 0.9],
        ['bicycle', 0.5],
        ['person', 0.4],
      ],
    );
  });

  it('rejects a layout that misses a column', () => {
    const layout = { columns: ['x1', 'y1', 'x2', 'y2', 'score'], boxUnits: 'pixels' } as RowLayout;
    assert.deepEqual(columnIndex(layout.columns), { error: 'columns must name class exactly once (it does 0 times)' });
    assert.throws(() => decode([[0, 0, 1, 1, 1]], { layout }), /class exactly once/);
  });
});

describe('iou and suppressOverlaps', () => {
  it('computes intersection over union', () => {
    assert.equal(iou({ x: 0, y: 0, w: 0.5, h: 0.5 }, { x: 0.25, y: 0, w: 0.5, h: 0.5 }), 1 / 3);
    assert.equal(iou({ x: 0, y: 0, w: 0.1, h: 0.1 }, { x: 0.5, y: 0.5, w: 0.1, h: 0.1 }), 0);
  });

  it('keeps a box overlapping exactly at the threshold', () => {
    const a = { label: 'person', classId: 0, score: 0.9, box: { x: 0, y: 0, w: 0.375, h: 0.5 } };
    const b = { ...a, score: 0.8, box: { x: 0.125, y: 0, w: 0.375, h: 0.5 } }; // IoU 0.125/0.25 = 0.5
    assert.equal(suppressOverlaps([b, a]).length, 2);
  });
});
