import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimestamp, parseFramePath } from '../../src/contract/frame-path.js';

test('parses a frame path into user, device and UTC capture time', () => {
  const p = parseFramePath('/u1-cam1/20261126T041500.250Z.jpg');
  assert.ok(!('error' in p));
  assert.equal(p.user, 'u1');
  assert.equal(p.device, 'cam1');
  assert.equal(p.capturedAt.toISOString(), '2026-11-26T04:15:00.250Z');
  assert.equal(p.ext, 'jpg');
  assert.equal(formatTimestamp(p.capturedAt), '20261126T041500.250Z');
});

test('rejects names that are not frames, saying why', () => {
  for (const bad of [
    '/u1-cam1/yesterday.jpg',
    '/frame.jpg',
    '/u1cam1/20261126T041500Z.jpg',
    '/u1-cam1/20260230T000000Z.jpg',
    '/a/b/c.jpg',
  ]) {
    const p = parseFramePath(bad);
    assert.ok('error' in p, bad);
  }
});
