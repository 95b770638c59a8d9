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
  const cases: Array<[string, RegExp]> = [
    ['/u1-cam1/yesterday.jpg', /"yesterday" is not a UTC timestamp YYYYMMDDTHHMMSS\[\.mmm\]Z/],
    ['/frame.jpg', /"\/frame\.jpg" is not \/<user>-<device>\/<ts>\.<ext>/],
    ['/u1cam1/20261126T041500Z.jpg', /"u1cam1" is not <user>-<device>/],
    ['/u1-cam1/20260230T000000Z.jpg', /"20260230T000000Z" is not a real date and time/],
    ['/a/b/c.jpg', /"\/a\/b\/c\.jpg" is not \/<user>-<device>\/<ts>\.<ext>/],
    ['/u1-cam1/20261126T041500Z', /"20261126T041500Z" has no extension/],
  ];
  for (const [bad, reason] of cases) {
    const p = parseFramePath(bad);
    assert.ok('error' in p, `${bad} must be refused`);
    assert.match(p.error, reason, bad);
  }
});
