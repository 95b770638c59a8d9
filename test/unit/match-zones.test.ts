import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorPoint, compileZone, doubledArea, zoneContains } from '../../steps/match/zones.js';

const square = compileZone('door', [
  [0.1, 0.5],
  [0.4, 0.5],
  [0.4, 1.0],
  [0.1, 1.0],
]);

test('inside, outside, on an edge and on a corner of a square zone', () => {
  assert.equal(zoneContains(square, 0.25, 0.75), true);
  assert.equal(zoneContains(square, 0.05, 0.75), false);
  assert.equal(zoneContains(square, 0.25, 0.45), false);
  assert.equal(zoneContains(square, 0.1, 0.75), true); // left edge
  assert.equal(zoneContains(square, 0.25, 1.0), true); // bottom edge = bottom of the frame
  assert.equal(zoneContains(square, 0.4, 0.5), true); // corner
  assert.equal(zoneContains(square, 0.4 + 1e-6, 0.75), false); // just outside the right edge
});

test('a concave zone: the notch is outside', () => {
  // A U open at the top: the notch between x 0.4 and 0.6 above y 0.6 is not part of it.
  const u = compileZone('u', [
    [0.2, 0.2],
    [0.4, 0.2],
    [0.4, 0.6],
    [0.6, 0.6],
    [0.6, 0.2],
    [0.8, 0.2],
    [0.8, 0.9],
    [0.2, 0.9],
  ]);
  assert.equal(zoneContains(u, 0.5, 0.4), false); // in the notch
  assert.equal(zoneContains(u, 0.5, 0.7), true); // below it
  assert.equal(zoneContains(u, 0.3, 0.4), true); // left arm
  assert.equal(zoneContains(u, 0.7, 0.3), true); // right arm
  assert.equal(zoneContains(u, 0.5, 0.6), true); // on the notch's floor
  assert.equal(zoneContains(u, 0.5, 0.2), false); // between the arms' tops
});

test('a triangle, and the points in the order they were drawn either way round', () => {
  const clockwise = compileZone('t', [
    [0, 0],
    [1, 0],
    [0, 1],
  ]);
  const anticlockwise = compileZone('t', [
    [0, 1],
    [1, 0],
    [0, 0],
  ]);
  for (const t of [clockwise, anticlockwise]) {
    assert.equal(zoneContains(t, 0.2, 0.2), true);
    assert.equal(zoneContains(t, 0.5, 0.5), true); // on the hypotenuse
    assert.equal(zoneContains(t, 0.6, 0.6), false);
  }
});

test('the anchor point is the bottom-centre of the box; a zone on one line has no area', () => {
  const { x, y } = anchorPoint({ x: 0.2, y: 0.3, w: 0.2, h: 0.5 });
  assert.ok(Math.abs(x - 0.3) < 1e-12 && Math.abs(y - 0.8) < 1e-12);
  assert.equal(
    doubledArea([
      [0, 0],
      [0.5, 0.5],
      [1, 1],
    ]),
    0,
  );
  assert.notEqual(
    doubledArea([
      [0, 0],
      [1, 0],
      [0, 1],
    ]),
    0,
  );
});
