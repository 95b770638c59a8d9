/**
 * COCO metrics on a hand-made set with known answers (checked against a transcription of
 * pycocotools' cocoeval.py evaluateImg and accumulate): a class found perfectly at IoU 0.5 but
 * not at 0.85, a class found only at loose IoUs, a class the model never finds, a class with no
 * labelled object, and a frame with no labels.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IOU_THRESHOLDS,
  bestFoundScore,
  boxIou,
  evaluateDetections,
  minScoreForRecall,
  operatingPoint,
  type DetectedBox,
  type LabelledBox,
} from '../../steps/detect/evaluation.js';

const near = (actual: number | null, expected: number, what: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${what} is ${actual}, expected ${expected}`);

// Images 1 and 2 hold labelled objects; image 3 none.
const TRUTHS: LabelledBox[] = [
  { image: 1, label: 'person', box: [0, 0, 100, 100] },
  { image: 1, label: 'cat', box: [200, 200, 50, 50] },
  { image: 2, label: 'person', box: [10, 10, 100, 200] },
  { image: 2, label: 'dog', box: [0, 0, 40, 40] },
];
const DETECTIONS: DetectedBox[] = [
  { image: 1, label: 'person', score: 0.9, box: [0, 0, 100, 100] }, // IoU 1: found at every threshold
  { image: 1, label: 'person', score: 0.6, box: [0, 0, 100, 100] }, // the same person again: a false positive
  { image: 1, label: 'cat', score: 0.4, box: [205, 205, 50, 50] }, // IoU 2025/2975 = 0.68: found up to IoU 0.65
  { image: 2, label: 'person', score: 0.8, box: [10, 10, 100, 160] }, // IoU 0.8: found up to 0.80, missed at 0.85+
  { image: 3, label: 'person', score: 0.7, box: [0, 0, 50, 50] }, // on the frame with no labels: a false positive
  { image: 3, label: 'horse', score: 0.95, box: [0, 0, 10, 10] }, // a class with no labelled object: not scored
];

describe('evaluateDetections: COCO AP@0.5 and AP@[.5:.95], 101-point interpolation', () => {
  const result = evaluateDetections([3, 1, 2], ['person', 'cat', 'dog', 'horse'], TRUTHS, DETECTIONS);
  const cls = (label: string) => result.classes.find((c) => c.label === label)!;

  it('uses the IoU thresholds 0.50, 0.55, ..., 0.95', () => {
    assert.equal(IOU_THRESHOLDS.length, 10);
    near(IOU_THRESHOLDS[0], 0.5, 'first');
    near(IOU_THRESHOLDS[6], 0.8, 'seventh');
    assert.equal(IOU_THRESHOLDS[9], 0.95);
    assert.equal(boxIou([200, 200, 50, 50], [205, 205, 50, 50]), 2025 / 2975);
  });

  it('person: AP 1 where both people are found; 51/101 at IoU 0.85-0.95, where one is', () => {
    // Ranked 0.9 TP, 0.8 TP (IoU 0.8), 0.7 FP, 0.6 FP. At IoU >= 0.85 the 0.8 misses: recall stops
    // at 0.5, and the precision at the 50 recall points above it is 0.
    near(cls('person').ap50, 1, 'person AP50');
    near(cls('person').ap, (7 + (3 * 51) / 101) / 10, 'person AP');
    assert.equal(cls('person').groundTruth, 2);
    assert.deepEqual(cls('person').detections, [
      { score: 0.9, truePositive: true },
      { score: 0.8, truePositive: true },
      { score: 0.7, truePositive: false },
      { score: 0.6, truePositive: false },
    ]);
  });

  it('cat: found at IoU 0.50-0.65 only, AP 0.4; dog, never found: 0; horse, never labelled: null', () => {
    near(cls('cat').ap50, 1, 'cat AP50');
    near(cls('cat').ap, 0.4, 'cat AP');
    assert.deepEqual([cls('dog').ap50, cls('dog').ap, cls('dog').detections], [0, 0, []]);
    assert.deepEqual([cls('horse').groundTruth, cls('horse').ap50, cls('horse').ap], [0, null, null]);
  });

  it('means over the labelled classes: AP@0.5 2/3, AP@[.5:.95] 632/1515', () => {
    near(result.ap50, 2 / 3, 'AP50');
    near(result.ap, 632 / 1515, 'AP');
  });

  it('counts at most 100 detections per image and class, the best ones', () => {
    const many: DetectedBox[] = Array.from({ length: 101 }, (_, i) => ({
      image: 1,
      label: 'person',
      score: 0.9 - i * 0.001,
      box: i === 100 ? [0, 0, 100, 100] : [500, 500, 10, 10],
    }));
    const capped = evaluateDetections([1], ['person'], [TRUTHS[0]], many).classes[0];
    assert.equal(capped.detections.length, 100);
    assert.equal(capped.ap50, 0, 'the 101st detection, the only hit, is not counted');
  });

  it('is null overall when nothing is labelled', () => {
    assert.deepEqual(evaluateDetections([3], ['person'], [], DETECTIONS).ap, null);
  });
});

describe('what a rule threshold gives', () => {
  const person = evaluateDetections([1, 2, 3], ['person'], TRUTHS, DETECTIONS).classes[0];
  const dog = evaluateDetections([1, 2, 3], ['dog'], TRUTHS, DETECTIONS).classes[0];

  it('precision and recall at IoU 0.5 of the detections at or above minScore', () => {
    assert.deepEqual(operatingPoint(person, 0.75), { minScore: 0.75, detections: 2, truePositives: 2, precision: 1, recall: 1 });
    assert.deepEqual(operatingPoint(person, 0.65), { minScore: 0.65, detections: 3, truePositives: 2, precision: 2 / 3, recall: 1 });
    assert.deepEqual(operatingPoint(person, 0.85), { minScore: 0.85, detections: 1, truePositives: 1, precision: 1, recall: 0.5 });
    assert.deepEqual(operatingPoint(person, 0.95), { minScore: 0.95, detections: 0, truePositives: 0, precision: null, recall: 0 });
  });

  it('the best score that found an object, and the highest minScore keeping a stated recall', () => {
    assert.equal(bestFoundScore(person), 0.9);
    assert.equal(bestFoundScore(dog), null);
    assert.equal(minScoreForRecall(person, 0.9), 0.8, 'both people: the lower of their scores');
    assert.equal(minScoreForRecall(person, 0.5), 0.9);
    assert.equal(minScoreForRecall(dog, 0.5), null, 'no threshold finds a dog');
  });
});
