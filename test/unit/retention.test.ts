/**
 * The pure parts of retention, erasure, garbage collection and the disk watch: retention periods
 * as subscriptions.yaml writes them (and its schema), what an expired read says, the free-space
 * thresholds, and the collector's node walk over trees that share subtrees.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validatorFor } from '../../specs/index.js';
import { parsePeriod } from '../../src/cli/retention.js';
import { describeExpiry, ExpiredObjectError } from '../../src/engine/store/expiry.js';
import { MemoryNodeStorage, Mst, type ValueCodec } from '../../src/engine/store/mst.js';
import { VigilError } from '../../src/pfs/errors.js';
import { diskThresholds, lowDiskReason } from '../../src/serve/disk-watch.js';

const DAY = 86_400_000;

test('retention periods: days, weeks and 365-day years; anything else names the file, the user and the text', () => {
  assert.equal(parsePeriod('30d', 'x'), 30 * DAY);
  assert.equal(parsePeriod('6w', 'x'), 42 * DAY);
  assert.equal(parsePeriod('2y', 'x'), 730 * DAY);
  for (const bad of ['30', '30 days', '0d', '-1d', '1.5y', '30D']) {
    assert.throws(
      () => parsePeriod(bad, 'rules:/subscriptions.yaml, user u1, retention.frames'),
      (e: unknown) =>
        e instanceof VigilError &&
        e.message === `rules:/subscriptions.yaml, user u1, retention.frames: "${bad}" is not a period such as 30d, 6w or 2y`,
    );
  }
});

test('subscriptions.yaml: retention takes frames and records periods, and nothing else (what vigil rules check reports)', () => {
  const check = validatorFor('subscriptions');
  const user = (retention: unknown) => ({ users: [{ id: 'u1', retention, devices: [{ id: 'cam1', rules: [] }] }] });
  assert.equal(check(user({ frames: '30d', records: '2y' })), true);
  assert.equal(check(user({ frames: '30 days' })), false);
  assert.equal(check(user({ frames: '30d', snapshots: '1d' })), false);
});

test('an expired read says when and why: retention, or erasure with its request', () => {
  assert.equal(
    describeExpiry({ sha256: 'a'.repeat(64), date: '2026-11-29T10:00:00.000Z', reason: 'retention' }),
    'expired on 2026-11-29 (retention)',
  );
  const erased = { sha256: 'b'.repeat(64), date: '2026-11-30T08:00:00.000Z', reason: 'erasure' as const, request: 'er-20261130-0a1b2c3d' };
  assert.equal(describeExpiry(erased), 'erased on 2026-11-30 (request er-20261130-0a1b2c3d)');
  const error = new ExpiredObjectError('raw@master:/u1-cam1/20261101T120000Z.jpg', erased);
  assert.ok(error instanceof VigilError, 'a user-facing error, printed without a stack');
  assert.match(
    error.message,
    /^raw@master:\/u1-cam1\/20261101T120000Z\.jpg: erased on 2026-11-30 \(request er-20261130-0a1b2c3d\); its path and sha256 b{64} stay/,
  );
});

test('disk watch: low under either threshold, thresholds from the environment, a bad value named', () => {
  const t = { minFreeBytes: 1000, minFreePercent: 5 };
  assert.equal(lowDiskReason({ freeBytes: 5000, totalBytes: 10_000 }, t), null);
  assert.match(
    lowDiskReason({ freeBytes: 999, totalBytes: 10_000 }, t)!,
    /has 999 bytes free \(10\.0%\), under the minimum of 1000 bytes or 5%/,
  );
  assert.match(lowDiskReason({ freeBytes: 4000, totalBytes: 100_000 }, t)!, /\(4\.0%\)/);
  assert.deepEqual(diskThresholds({}), { minFreeBytes: 2 ** 30, minFreePercent: 2 });
  assert.deepEqual(diskThresholds({ VIGIL_MIN_FREE_BYTES: '0', VIGIL_MIN_FREE_PERCENT: '10' }), { minFreeBytes: 0, minFreePercent: 10 });
  assert.throws(() => diskThresholds({ VIGIL_MIN_FREE_BYTES: '1GB' }), /VIGIL_MIN_FREE_BYTES="1GB" is not a number of bytes/);
});

test("the collector's mark walks each node once, however many trees share it, and sees every value", () => {
  const codec: ValueCodec<string> = {
    encode: (v, out) => out.utf8(v),
    decode: (input) => input.utf8(),
    weight: () => 0,
    equal: (a, b) => a === b,
  };
  const storage = new MemoryNodeStorage();
  const mst = new Mst(storage, codec);
  const entries = Array.from({ length: 2000 }, (_, i) => ({ key: `/k${String(i).padStart(5, '0')}`, value: `v${i}` }));
  const a = mst.buildSync(entries);
  const edit = mst.edit(a.hash);
  edit.put('/k00007', 'changed');
  const b = edit.persist();
  const seen = new Set<string>();
  const values: string[] = [];
  mst.walkNodes(a.hash, seen, (v) => values.push(v));
  const afterA = seen.size;
  assert.equal(afterA, a.written.length, 'every node of the first tree');
  assert.equal(values.length, 2000);
  mst.walkNodes(b.hash, seen, (v) => values.push(v));
  assert.equal(seen.size - afterA, b.written.length, 'of the second, only the nodes it does not share');
  assert.ok(values.includes('changed'));
});
