/**
 * The validate step's decisions that keep one raw file from failing a job: where each file's
 * outcome goes (a function of its own path), which file of a frame is kept, and the name checks
 * that refuse what no camera gives (a reset clock, a name longer than any frame's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME_PATH_MAX_BYTES } from '../../src/contract/frame-path.js';
import { duplicateRejectionPath, unparsedRejectionPath } from '../../src/contract/repos.js';
import { resolveConfig } from '../../steps/validate/config.js';
import { duplicateReason, frameGroups, judge, keepOrder, type Inspection } from '../../steps/validate/core.js';

const config = resolveConfig({}, 'defaults');
const NOW = new Date('2026-11-26T12:00:00Z');
const decoded: Inspection = { bytes: 50_000, format: 'jpeg', header: { width: 741, height: 500 }, decode: { lumaStdDev: 40 } };
const codes = (v: ReturnType<typeof judge>) => (v.valid ? [] : v.reasons.map((r) => r.code));

test('an unparseable file is rejected under a path of its own path, never of its bytes', () => {
  const a = unparsedRejectionPath('/a.jpg');
  assert.match(a, /^\/rejected\/_unparsed\/[0-9a-f]{64}\.json$/);
  assert.notEqual(a, unparsedRejectionPath('/b.jpg'));
  assert.equal(a, unparsedRejectionPath('/a.jpg'), 'the same path, the same record, in every job');
  // A name of any length gives a short path: a record can always be written.
  assert.equal(unparsedRejectionPath(`/${'x'.repeat(255)}`).length, a.length);
});

test("a frame's other files are rejected at /rejected/<user>-<device>/<ts>/<ext as written>.json", () => {
  assert.equal(duplicateRejectionPath('/u1-cam1/20261126T041500Z.png'), '/rejected/u1-cam1/20261126T041500Z/png.json');
  assert.equal(duplicateRejectionPath('/u1-cam1/20261126T041500Z.JPG'), '/rejected/u1-cam1/20261126T041500Z/JPG.json');
  assert.equal(duplicateRejectionPath('/u1-cam1/20261126T041500.250Z.webp'), '/rejected/u1-cam1/20261126T041500.250Z/webp.json');
  assert.equal(duplicateRejectionPath('/u1-cam1/yesterday.jpg'), null);
  // A trailing dot is no extension: such a name is no frame, and never lands on a frame's path.
  assert.equal(duplicateRejectionPath('/u1-cam1/20261126T041500Z.'), null);
});

test('files that name one camera and time are decided together; every other file alone', () => {
  const paths = [
    '/u1-cam1/20261126T041500Z.jpg',
    '/u1-cam1/20261126T041500Z.jpg.bak',
    '/u1-cam1/20261126T041500Z.png',
    '/u1-cam1/20261126T041500Z.',
    '/u1-cam1/20261126T041500.250Z.jpg',
    '/u1-cam1/sub/20261126T041500Z.jpg',
    '/frame.jpg',
    '/u2-cam1/20261126T041500Z.JPG',
  ];
  assert.deepEqual(
    frameGroups(paths.map((repoPath) => ({ repoPath }))).map((g) => g.map((f) => f.repoPath)),
    [
      ['/u1-cam1/20261126T041500Z.jpg', '/u1-cam1/20261126T041500Z.png'],
      ['/u1-cam1/20261126T041500Z.jpg.bak'],
      ['/u1-cam1/20261126T041500Z.'],
      ['/u1-cam1/20261126T041500.250Z.jpg'],
      ['/u1-cam1/sub/20261126T041500Z.jpg'],
      ['/frame.jpg'],
      ['/u2-cam1/20261126T041500Z.JPG'],
    ],
  );
});

test('the keep rule: a valid file first, then jpg, jpeg, png, webp, other extensions, then the path', () => {
  const order = (files: Array<[string, boolean]>) =>
    files
      .map(([path, valid]) => ({ path, valid }))
      .sort(keepOrder)
      .map((f) => f.path);
  const t = '/u1-cam1/20261126T041500Z';
  assert.deepEqual(
    order([
      [`${t}.webp`, true],
      [`${t}.png`, true],
      [`${t}.jpeg`, true],
      [`${t}.jpg`, true],
    ]),
    [`${t}.jpg`, `${t}.jpeg`, `${t}.png`, `${t}.webp`],
  );
  assert.deepEqual(
    order([
      [`${t}.jpg`, false],
      [`${t}.png`, true],
    ]),
    [`${t}.png`, `${t}.jpg`],
    'a broken jpg never wins over a good png',
  );
  assert.deepEqual(
    order([
      [`${t}.gif`, false],
      [`${t}.jpg`, false],
      [`${t}.JPG`, false],
    ]),
    [`${t}.JPG`, `${t}.jpg`, `${t}.gif`],
    'extensions in any case rank alike; the path (code units: upper case first) decides',
  );
});

test('the duplicate reason names both paths and the rule', () => {
  const frame = judge('/u1-cam1/20261126T041500Z.png', decoded, config, NOW);
  assert.ok(frame.valid);
  const reason = duplicateReason('/u1-cam1/20261126T041500Z.png', '/u1-cam1/20261126T041500Z.jpg', frame.frame);
  assert.deepEqual(reason, {
    code: 'duplicate',
    message:
      '/u1-cam1/20261126T041500Z.png and /u1-cam1/20261126T041500Z.jpg are one frame (u1-cam1 at 2026-11-26T04:15:00.000Z), ' +
      'and /u1-cam1/20261126T041500Z.jpg was kept: a valid file first, then by extension (jpg, jpeg, png, webp), then by name.',
    measured: '/u1-cam1/20261126T041500Z.png',
    limit: '/u1-cam1/20261126T041500Z.jpg',
  });
});

test('a capture time before 2000 is a reset camera clock; the floor is a setting', () => {
  const reset = judge('/u1-cam1/19700101T000000Z.jpg', decoded, config, NOW);
  assert.ok(!reset.valid);
  assert.deepEqual(reset.reasons, [
    {
      code: 'name',
      message:
        'The capture time 1970-01-01T00:00:00.000Z is before 2000-01-01T00:00:00.000Z: no working camera clock gives it (a reset clock does).',
      measured: '1970-01-01T00:00:00.000Z',
      limit: '2000-01-01T00:00:00.000Z',
    },
  ]);
  assert.equal(reset.frame?.source, 'u1-cam1', 'rejected beside its camera');
  assert.ok(judge('/u1-cam1/20000101T000000Z.jpg', decoded, config, NOW).valid, 'the floor itself is accepted');
  const later = resolveConfig({ minCapturedAt: '2020-01-01T00:00:00Z' }, 'c.yaml');
  assert.deepEqual(codes(judge('/u1-cam1/20190101T000000Z.jpg', decoded, later, NOW)), ['name']);
  assert.throws(() => resolveConfig({ minCapturedAt: 'last year' }, 'c.yaml'), /c\.yaml: minCapturedAt: .*date-time/);
});

test('no age limit by default: a 2026 frame stays valid when judged decades later; maxAgeSeconds sets one', () => {
  const decadesLater = new Date('2090-01-01T00:00:00Z');
  assert.ok(judge('/u1-cam1/20261126T041500Z.jpg', decoded, config, decadesLater).valid);
  const dayOld = resolveConfig({ maxAgeSeconds: 86_400 }, 'c.yaml');
  assert.ok(judge('/u1-cam1/20261125T120000Z.jpg', decoded, dayOld, NOW).valid, 'exactly a day old');
  const old = judge('/u1-cam1/20261125T115959Z.jpg', decoded, dayOld, NOW);
  assert.ok(!old.valid);
  assert.deepEqual(old.reasons[0], {
    code: 'name',
    message: 'The capture time 2026-11-25T11:59:59.000Z is 86401 s old; at most 86400 s is allowed.',
    measured: 86_401,
    limit: 86_400,
  });
});

test('a path longer than any frame path is rejected for its length, with the limit', () => {
  const longest = `/${'u'.repeat(64)}-${'d'.repeat(64)}/20261126T041500.250Z.jpeg`;
  assert.equal(Buffer.byteLength(longest), FRAME_PATH_MAX_BYTES);
  assert.ok(judge(longest, decoded, config, NOW).valid, 'the longest frame path is a frame');
  const long = `/u1-cam1/${'x'.repeat(250)}.jpg`;
  const v = judge(long, decoded, config, NOW);
  assert.ok(!v.valid);
  assert.deepEqual(v.reasons[0], {
    code: 'name',
    message: `The path is 263 bytes long; a frame's path is at most ${FRAME_PATH_MAX_BYTES} bytes (/<user>-<device>/<ts>.<jpg|jpeg|png|webp>).`,
    measured: 263,
    limit: FRAME_PATH_MAX_BYTES,
  });
  assert.equal(v.frame, null);
});

test('a frame too large to decode is rejected for its resolution, which its header gives', () => {
  const bomb: Inspection = { bytes: 109_445, format: 'png', header: { width: 30_000, height: 30_000 } };
  const v = judge('/u1-cam1/20261126T041500Z.png', bomb, config, NOW);
  assert.ok(!v.valid);
  assert.deepEqual(
    v.reasons.map((r) => [r.code, r.measured, r.limit]),
    [['resolution', '30000x30000', '160..8192']],
  );
});
