/**
 * `vigil step validate` on a group datum (pipelines/validated.yaml): the raw files of one frame,
 * same camera and capture time under several extensions, decided as one. One becomes the frame
 * by the keep rule; each other becomes a duplicate rejection naming both paths. Real fixtures,
 * the step as a child process on a hand-laid PFS_ROOT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { assertValid, type Rejection } from '../../specs/index.js';
import { sha256 } from '../../src/pfs/files.js';
import { fixture, runValidateStep } from '../helpers/validate.js';

const COMMIT = 'c0ffee0000000000000000000000000000000002';
const T = '/u1-cam1/20261126T041500Z';

async function record(root: string, path: string): Promise<Rejection> {
  const file = join(root, 'out', path);
  return assertValid('rejection', JSON.parse(await readFile(file, 'utf8')), file);
}

async function validSize(root: string, path: string): Promise<[number?, number?]> {
  const meta = await sharp(join(root, 'out', path)).metadata();
  return [meta.width, meta.height];
}

test('two valid files of one frame: the jpg is the frame, the png a duplicate naming both', async () => {
  const [rocket, motorcycle] = [await fixture('rocket.jpg'), await fixture('motorcycle_left.png')];
  const { root, result, outputs } = await runValidateStep({ [`${T}.jpg`]: rocket, [`${T}.png`]: motorcycle }, `${T}.png`, {
    raw_COMMIT: COMMIT,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(outputs, ['/rejected/u1-cam1/20261126T041500Z/png.json', '/valid/u1-cam1/20261126T041500Z.jpg']);
  assert.deepEqual(await validSize(root, outputs[1]), [640, 427], 'the JPEG is the rocket, from the .jpg');
  const duplicate = await record(root, outputs[0]);
  assert.deepEqual(duplicate.input, { repo: 'raw', commit: COMMIT, path: `${T}.png`, sha256: sha256(motorcycle), size: motorcycle.length });
  assert.equal(duplicate.user, 'u1');
  assert.equal(duplicate.capturedAt, '2026-11-26T04:15:00.000Z');
  assert.deepEqual(
    duplicate.reasons.map((r) => r.code),
    ['duplicate'],
  );
  assert.ok(duplicate.reasons[0].message.includes(`${T}.png and ${T}.jpg are one frame`), duplicate.reasons[0].message);
});

test('a broken jpg beside a good png: the png is the frame, the jpg is rejected for both reasons', async () => {
  const [truncated, motorcycle] = [await fixture('truncated.jpg'), await fixture('motorcycle_left.png')];
  const { root, result, outputs } = await runValidateStep({ [`${T}.jpg`]: truncated, [`${T}.png`]: motorcycle }, `${T}.png`);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(outputs, ['/rejected/u1-cam1/20261126T041500Z/jpg.json', '/valid/u1-cam1/20261126T041500Z.jpg']);
  assert.deepEqual(await validSize(root, outputs[1]), [741, 500], 'the JPEG is the motorcycle, from the .png');
  const jpg = await record(root, outputs[0]);
  assert.deepEqual(
    jpg.reasons.map((r) => [r.code, r.measured, r.limit]),
    [
      ['decode', jpg.reasons[0].measured, undefined],
      ['duplicate', `${T}.jpg`, `${T}.png`],
    ],
  );
});

test('no file of the frame is valid: the first by extension is the frame rejection, the others duplicates', async () => {
  const text = Buffer.from('not an image');
  const { root, result, outputs } = await runValidateStep(
    { [`${T}.webp`]: text, [`${T}.PNG`]: text, [`${T}.gif`]: await fixture('rocket.jpg') },
    `${T}.webp`,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(outputs, [
    '/rejected/u1-cam1/20261126T041500Z/gif.json',
    '/rejected/u1-cam1/20261126T041500Z/webp.json',
    '/rejected/u1-cam1/20261126T041500Z.json',
  ]);
  const kept = await record(root, outputs[2]);
  assert.equal(kept.input.path, `${T}.PNG`);
  assert.deepEqual(
    kept.reasons.map((r) => r.code),
    ['format'],
  );
  const gif = await record(root, outputs[0]);
  assert.deepEqual(
    gif.reasons.map((r) => [r.code, r.limit]),
    [
      ['name', '/<user>-<device>/<ts>.<jpg|jpeg|png|webp>'],
      ['duplicate', `${T}.PNG`],
    ],
  );
});
