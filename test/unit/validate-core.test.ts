import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validatorFor, type Rejection } from '../../specs/index.js';
import { VigilError } from '../../src/pfs/errors.js';
import { CONFIG_ENV, configVersion, loadConfig, resolveConfig } from '../../steps/validate/config.js';
import { judge, lumaStdDev, ownsFiles, rejectedPath, rejectionRecord, shouldDecode, type Inspection } from '../../steps/validate/core.js';
import { unparsedRejectionPath, validFramePath } from '../../src/contract/repos.js';
import { sniffFormat } from '../../src/contract/image-format.js';
import { tempDir } from '../helpers/cli.js';

const config = resolveConfig({}, 'defaults');
const NOW = new Date('2026-11-26T12:00:00Z');
const GOOD = '/u1-cam1/20261126T041500Z.jpg';
const decoded = (lumaStdDev: number): Inspection => ({
  bytes: 50_000,
  format: 'jpeg',
  header: { width: 741, height: 500 },
  decode: { lumaStdDev },
});
const codes = (v: ReturnType<typeof judge>) => (v.valid ? [] : v.reasons.map((r) => r.code));

test('the defaults are the issue’s limits', () => {
  assert.deepEqual(config, {
    formats: ['jpeg', 'png', 'webp'],
    minSide: 160,
    maxSide: 8192,
    maxBytes: 20 * 2 ** 20,
    minLumaStdDev: 4,
    maxFutureSeconds: 300,
    minCapturedAt: '2000-01-01T00:00:00Z',
    maxAgeSeconds: null,
    outputMaxSide: 1280,
    jpegQuality: 90,
  });
});

test('a config file overrides some limits; its version depends on content, not spelling', () => {
  const strict = resolveConfig({ minSide: 320, formats: ['png', 'jpeg'] }, 'x.yaml');
  assert.equal(strict.minSide, 320);
  assert.equal(strict.maxSide, 8192);
  assert.equal(configVersion(strict), configVersion(resolveConfig({ formats: ['jpeg', 'png'], minSide: 320 }, 'y.json')));
  assert.notEqual(configVersion(strict), configVersion(config));
  assert.match(configVersion(config), /^[0-9a-f]{64}$/);
  assert.equal(configVersion(config), configVersion(resolveConfig({ jpegQuality: 90 }, 'same as defaults')));
});

test('an invalid config is a VigilError naming the file and every bad field', () => {
  assert.throws(
    () => resolveConfig({ minSide: 'big', formats: ['gif'], colour: true }, 'limits.yaml'),
    (e: Error) =>
      e instanceof VigilError &&
      /limits\.yaml: minSide: "big" must be integer/.test(e.message) &&
      /limits\.yaml: formats\[0\]: "gif" is not one of jpeg, png, webp/.test(e.message) &&
      /limits\.yaml: unknown field "colour"/.test(e.message),
  );
  assert.throws(() => resolveConfig({ minSide: 900, maxSide: 800 }, 'c.yaml'), /minSide 900 is above maxSide 800/);
});

test('loadConfig reads YAML or JSON named by the environment, else the defaults', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'c.yaml'), 'minSide: 200\nmaxBytes: 1000000\n');
  await writeFile(join(dir, 'c.json'), '{"minLumaStdDev": 10}');
  assert.equal((await loadConfig({ [CONFIG_ENV]: join(dir, 'c.yaml') })).minSide, 200);
  assert.equal((await loadConfig({ [CONFIG_ENV]: join(dir, 'c.json') })).minLumaStdDev, 10);
  assert.deepEqual(await loadConfig({}), config);
  await assert.rejects(
    loadConfig({ [CONFIG_ENV]: join(dir, 'missing.yaml') }),
    (e: Error) => e instanceof VigilError && /cannot read the validate config .*missing\.yaml/.test(e.message),
  );
  await writeFile(join(dir, 'bad.yaml'), 'minSide: [1\n');
  await assert.rejects(loadConfig({ [CONFIG_ENV]: join(dir, 'bad.yaml') }), /is not YAML or JSON/);
});

test('the format comes from the magic bytes, never the extension', () => {
  const bytes = (...parts: Array<number[] | string>) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
  assert.equal(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF')), 'jpeg');
  assert.equal(sniffFormat(bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13])), 'png');
  assert.equal(sniffFormat(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 ')), 'webp');
  assert.equal(sniffFormat(bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt ')), null);
  assert.equal(sniffFormat(bytes('GIF89a')), 'gif');
  assert.equal(sniffFormat(bytes('hello, this is text')), null);
  assert.equal(sniffFormat(new Uint8Array(0)), null);
});

test('a good frame passes; its standard copy goes to /valid/<user>-<device>/<ts>.jpg', () => {
  const v = judge('/u1-cam1/20261126T041500Z.png', decoded(40), config, NOW);
  assert.ok(v.valid);
  assert.equal(validFramePath(v.frame), '/valid/u1-cam1/20261126T041500Z.jpg');
});

test('names: not a frame path, not a frame extension, or more than 5 minutes in the future', () => {
  for (const path of ['/u1-cam1/yesterday.jpg', '/frame.jpg', '/u1-cam1/sub/20261126T041500Z.jpg', '/u1cam1/20261126T041500Z.jpg']) {
    const v = judge(path, decoded(40), config, NOW);
    assert.deepEqual(codes(v), ['name'], path);
    assert.equal(v.frame, null, path);
    assert.equal(rejectedPath(v.frame, path), unparsedRejectionPath(path));
  }
  const gif = judge('/u1-cam1/20261126T041500Z.gif', decoded(40), config, NOW);
  assert.deepEqual(codes(gif), ['name']);
  assert.equal(rejectedPath(gif.frame, '/u1-cam1/20261126T041500Z.gif'), '/rejected/u1-cam1/20261126T041500Z.json');

  assert.ok(judge('/u1-cam1/20261126T120500Z.jpg', decoded(40), config, NOW).valid, 'exactly 5 minutes ahead is clock drift');
  const ahead = judge('/u1-cam1/20261126T120501Z.jpg', decoded(40), config, NOW);
  assert.ok(!ahead.valid);
  assert.deepEqual(ahead.reasons[0], {
    code: 'name',
    message: 'The capture time 2026-11-26T12:05:01.000Z is 301 s in the future; at most 300 s is allowed.',
    measured: 301,
    limit: 300,
  });
});

test('every failing check is reported, with the measured value and the limit', () => {
  const v = judge('/frame.png', { bytes: 21 * 2 ** 20, format: 'png', header: { width: 100, height: 9000 } }, config, NOW);
  assert.ok(!v.valid);
  assert.deepEqual(
    v.reasons.map((r) => [r.code, r.measured, r.limit]),
    [
      ['name', '/frame.png', '/<user>-<device>/<ts>.<jpg|jpeg|png|webp>'],
      ['resolution', '100x9000', '160..8192'],
      ['size', 21 * 2 ** 20, 20 * 2 ** 20],
    ],
  );
  assert.equal(v.reasons[2].message, 'The file is 21.0 MiB, over the 20.0 MiB limit.');

  const small = judge(GOOD, { bytes: 900, format: 'jpeg', header: { width: 100, height: 100 }, decode: { lumaStdDev: 0 } }, config, NOW);
  assert.deepEqual(codes(small), ['resolution', 'contrast']);
  assert.ok(!small.valid);
  assert.equal(small.reasons[1].message, 'The luma standard deviation is 0, below 4: a black, white or covered lens.');
});

test('format, decode and contrast failures', () => {
  const gif = judge(GOOD, { bytes: 900, format: 'gif' }, config, NOW);
  assert.ok(!gif.valid);
  assert.deepEqual(gif.reasons, [
    { code: 'format', message: 'The bytes are GIF, not one of jpeg, png, webp.', measured: 'gif', limit: 'jpeg, png, webp' },
  ]);
  assert.deepEqual(codes(judge(GOOD, { bytes: 12, format: null }, config, NOW)), ['format']);
  assert.deepEqual(codes(judge(GOOD, { bytes: 400, format: 'jpeg', header: { error: 'corrupt header' } }, config, NOW)), ['decode']);
  const cut = judge(
    GOOD,
    { bytes: 9000, format: 'jpeg', header: { width: 640, height: 480 }, decode: { error: 'VipsJpeg: premature end of JPEG image' } },
    config,
    NOW,
  );
  assert.ok(!cut.valid);
  assert.deepEqual(cut.reasons, [
    {
      code: 'decode',
      message: 'The image does not decode: VipsJpeg: premature end of JPEG image.',
      measured: 'VipsJpeg: premature end of JPEG image',
    },
  ]);
  assert.deepEqual(codes(judge(GOOD, decoded(3.99), config, NOW)), ['contrast']);
  assert.ok(judge(GOOD, decoded(4), config, NOW).valid);
  const pngOnly = resolveConfig({ formats: ['png'] }, 'png only');
  assert.deepEqual(codes(judge(GOOD, decoded(40), pngOnly, NOW)), ['format']);
});

test('decoding runs only where it is safe and can matter', () => {
  const header = { width: 800, height: 600 };
  assert.equal(shouldDecode({ bytes: 10, format: 'jpeg', header }, config), true);
  assert.equal(
    shouldDecode({ bytes: 10, format: 'jpeg', header: { width: 100, height: 100 } }, config),
    true,
    'too small still decodes: contrast is reported too',
  );
  assert.equal(shouldDecode({ bytes: 10, format: 'gif', header }, config), false);
  assert.equal(shouldDecode({ bytes: 10, format: 'jpeg', header: { error: 'x' } }, config), false);
  assert.equal(shouldDecode({ bytes: 10, format: 'jpeg', header: { width: 9000, height: 100 } }, config), false, 'a bomb is never decoded');
  assert.equal(shouldDecode({ bytes: 21 * 2 ** 20, format: 'jpeg', header }, config), false);
});

test('a rejection record carries the camera, the lineage and the config version, and fits its schema', () => {
  const v = judge(GOOD, decoded(1), config, NOW);
  assert.ok(!v.valid);
  const input = { repo: 'raw', commit: 'c0ffee', path: GOOD, sha256: 'a'.repeat(64), size: 50_000 };
  const record: Rejection = rejectionRecord(input, v.frame, v.reasons, configVersion(config));
  assert.deepEqual(
    { ...record, reasons: codes(v) },
    {
      user: 'u1',
      device: 'cam1',
      capturedAt: '2026-11-26T04:15:00.000Z',
      input,
      reasons: ['contrast'],
      configVersion: configVersion(config),
    },
  );
  const validate = validatorFor('rejection');
  assert.ok(validate(record), JSON.stringify(validate.errors));
  const unparsed = judge('/frame.jpg', decoded(40), config, NOW);
  assert.ok(!unparsed.valid);
  const bare = rejectionRecord({ ...input, path: '/frame.jpg' }, unparsed.frame, unparsed.reasons, 'v');
  assert.ok(validate(bare), JSON.stringify(validate.errors));
  assert.equal(bare.user, undefined);
});

test('a datum owns its file, or the too-deep files of a camera folder entry, but not a root folder', () => {
  assert.equal(ownsFiles('/u1-cam1/20261126T041500Z.jpg', false), true);
  assert.equal(ownsFiles('/frame.jpg', false), true);
  assert.equal(ownsFiles('/u1-cam1/sub', true), true);
  assert.equal(ownsFiles('/u1.cam1', true), false);
});

test('luma standard deviation on 0-255 (Rec. 601)', () => {
  assert.equal(lumaStdDev(new Uint8Array(300).fill(0), 3), 0);
  assert.equal(lumaStdDev(Uint8Array.from([0, 255, 0, 255]), 1), 127.5);
  const rgb = Uint8Array.from([0, 0, 0, 255, 255, 255]);
  assert.ok(Math.abs(lumaStdDev(rgb, 3) - 127.5) < 1e-9);
  // Pure red and pure blue differ in luma (76.2 vs 29.1): colour contrast counts as luma contrast.
  assert.ok(Math.abs(lumaStdDev(Uint8Array.from([255, 0, 0, 0, 0, 255]), 3) - ((0.299 - 0.114) * 255) / 2) < 1e-9);
});
