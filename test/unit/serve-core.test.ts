import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IngestQueue } from '../../src/serve/admission.js';
import { bearerToken, isLoopback, tokenTransportAllowed } from '../../src/serve/auth.js';
import { clockFor } from '../../src/contract/zone-clock.js';
import { exifCaptureTime, parseCaptureHeader } from '../../src/serve/capture-time.js';
import { Refusal } from '../../src/serve/errors.js';
import { JpegSplitter } from '../../src/serve/jpeg-stream.js';
import { checkFormat, checkFramePath, checkSize, compareWithStored, frameFileName, type FrameLimits } from '../../src/serve/ingest-core.js';

const limits: FrameLimits = {
  maxBytes: 1000,
  formats: ['jpeg', 'png'],
  checkName: (path, now) => (path.includes('2099') && now.getUTCFullYear() < 2099 ? 'in the future' : null),
};
const now = new Date('2026-11-26T12:00:00Z');

function refusal(fn: () => unknown): Refusal {
  try {
    fn();
  } catch (e) {
    if (e instanceof Refusal) return e;
    throw e;
  }
  assert.fail('expected a Refusal');
}

test('a frame path: names, grammar, extension, then the capture time, each with its reason', () => {
  assert.deepEqual(checkFramePath('u1-cam1', '20261126T041500Z.jpg', limits, now), {
    source: 'u1-cam1',
    path: '/u1-cam1/20261126T041500Z.jpg',
    capturedAt: new Date('2026-11-26T04:15:00Z'),
  });
  assert.equal(refusal(() => checkFramePath('u1-cam1', `${'9'.repeat(252)}.jpg`, limits, now)).code, 'bad_path');
  assert.match(refusal(() => checkFramePath('u1', '20261126T041500Z.jpg', limits, now)).message, /not <user>-<device>/);
  assert.match(refusal(() => checkFramePath('u1-cam1', '20261126T041500Z.tiff', limits, now)).message, /extension "\.tiff"/);
  const future = refusal(() => checkFramePath('u1-cam1', '20991126T041500Z.png', limits, now));
  assert.deepEqual([future.status, future.code, future.message], [400, 'capture_time', '/u1-cam1/20991126T041500Z.png: in the future']);
});

test('size and format: 413 past the limit, 415 for bytes of no accepted format', () => {
  checkSize(1000, limits);
  assert.equal(refusal(() => checkSize(1001, limits)).status, 413);
  assert.equal(checkFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0]), limits), 'jpeg');
  const webp = refusal(() => checkFormat(Buffer.from('RIFF\x01\x02\x03\x04WEBPVP8 ', 'latin1'), limits));
  assert.deepEqual([webp.status, webp.code], [415, 'unsupported_format']);
  assert.match(webp.message, /WEBP, not one of jpeg, png/);
  assert.equal(frameFileName(new Date('2026-11-26T04:15:00.250Z'), 'jpeg'), '20261126T041500.250Z.jpg');
});

test('a frame already at the path: none, a resend, or a conflict', () => {
  assert.equal(compareWithStored(undefined, 'a'), 'new');
  assert.equal(compareWithStored('a', 'a'), 'duplicate');
  assert.equal(compareWithStored('a', 'b'), 'conflict');
});

test('the queue admits frames within its frames and bytes, then refuses with Retry-After', () => {
  const queue = new IngestQueue({ maxFrames: 2, maxBytes: 100, retryAfterSeconds: 3 });
  const a = queue.admit(60);
  const full = refusal(() => queue.admit(50));
  assert.deepEqual([full.status, full.code, full.headers], [503, 'queue_full', { 'Retry-After': '3' }]);
  const b = queue.admit(40);
  assert.equal(refusal(() => queue.admit(0)).code, 'queue_full');
  a();
  a(); // a second release changes nothing
  assert.deepEqual([queue.frames, queue.bytes], [1, 40]);
  b();
  assert.deepEqual([queue.frames, queue.bytes], [0, 0]);
});

test('capture times: the header with its zone; EXIF with its offset, else the camera zone (daylight saving included)', () => {
  assert.equal(parseCaptureHeader('2026-11-26T05:15:00+01:00').toISOString(), '2026-11-26T04:15:00.000Z');
  assert.equal(parseCaptureHeader('20261126T041500Z').toISOString(), '2026-11-26T04:15:00.000Z');
  assert.equal(refusal(() => parseCaptureHeader('2026-11-26 04:15')).code, 'capture_time');
  const wall = new Date('2026-11-26T23:15:00Z'); // 23:15 on the camera's clock
  assert.equal(
    exifCaptureTime({ dateTimeOriginal: wall, offsetTimeOriginal: '-05:00' }, 'Asia/Tokyo')?.toISOString(),
    '2026-11-27T04:15:00.000Z',
  );
  assert.equal(exifCaptureTime({ dateTimeOriginal: wall }, 'America/New_York')?.toISOString(), '2026-11-27T04:15:00.000Z');
  assert.equal(
    exifCaptureTime({ dateTimeOriginal: new Date('2026-07-01T12:00:00Z') }, 'America/New_York')?.toISOString(),
    '2026-07-01T16:00:00.000Z',
  );
  assert.equal(exifCaptureTime({ dateTimeOriginal: wall }, 'UTC')?.toISOString(), '2026-11-26T23:15:00.000Z');
  assert.equal(exifCaptureTime({}, 'UTC'), null);
  // 01:30 happens twice in New York on 2026-11-01: the first (EDT, UTC-4) is taken.
  assert.equal(clockFor('America/New_York').instantOf(new Date('2026-11-01T01:30:00Z')).toISOString(), '2026-11-01T05:30:00.000Z');
});

test('tokens: bearer header, and only over TLS, from loopback, or where the operator allows', () => {
  assert.equal(bearerToken('Bearer vgl_abc'), 'vgl_abc');
  assert.equal(bearerToken('Basic dXNlcg=='), null);
  assert.equal(bearerToken(undefined), null);
  for (const a of ['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', undefined]) assert.ok(!isLoopback(a), String(a));
  assert.equal(tokenTransportAllowed({ encrypted: false, remoteAddress: '192.168.1.2' }, false), false);
  assert.equal(tokenTransportAllowed({ encrypted: true, remoteAddress: '192.168.1.2' }, false), true);
  assert.equal(tokenTransportAllowed({ encrypted: false, remoteAddress: '192.168.1.2' }, true), true);
  assert.equal(tokenTransportAllowed({ encrypted: false, remoteAddress: '127.0.0.1' }, false), true);
});

test('a stream of JPEGs splits at each start and end of image, across chunk boundaries', () => {
  const a = Buffer.from([0xff, 0xd8, 1, 2, 0xff, 0x00, 3, 0xff, 0xd9]);
  const b = Buffer.from([0xff, 0xd8, 4, 0xff, 0xd9]);
  const stream = Buffer.concat([Buffer.from('--ffmpeg\r\nContent-Type: image/jpeg\r\n\r\n'), a, Buffer.from('\r\n--ffmpeg\r\n\r\n'), b]);
  const splitter = new JpegSplitter();
  const images = [...stream].flatMap((byte) => splitter.push(Buffer.from([byte])));
  assert.deepEqual(images, [a, b]);
  assert.deepEqual(new JpegSplitter().push(Buffer.concat([a, b, a.subarray(0, 4)])), [a, b]);
});
