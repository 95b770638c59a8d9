import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { assertValid } from '../../specs/index.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { COCO_LABELS } from '../../steps/detect/default-model.js';
import { chooseModel } from '../../steps/detect/model.js';
import { tempDir, vigil } from '../helpers/cli.js';
import { changeModelConfig, layDefaultModel } from '../helpers/models.js';

const fixture = (name: string) => readFile(join(packageRoot(), 'test', 'fixtures', name));

/**
 * `vigil step detect` as a pipeline worker runs it for one datum, without the engine: a
 * hand-laid PFS_ROOT holding the validated frame and the models repo, and Pachyderm's variables.
 */
describe('vigil step detect on a hand-laid /pfs', () => {
  let pfs: string;

  before(async () => {
    pfs = await tempDir('vigil-detect-step-');
    await layDefaultModel(join(pfs, 'models'));
    const astronaut = await sharp(await fixture('astronaut.png'))
      .jpeg({ quality: 90 })
      .toBuffer();
    const frames: Record<string, Uint8Array> = {
      '20261126T041500Z.jpg': astronaut,
      '20261126T041501.250Z.jpg': await fixture('truncated.jpg'),
      '20261126T041502Z.jpg': astronaut,
      '20261126T041503Z.jpg': astronaut,
    };
    for (const [name, bytes] of Object.entries(frames)) {
      await mkdir(join(pfs, 'validated', 'valid', 'u1-cam1'), { recursive: true });
      await writeFile(join(pfs, 'validated', 'valid', 'u1-cam1', name), bytes);
    }
  });
  after(() => rm(pfs, { recursive: true, force: true }));

  const step = (frame: string, env: Record<string, string> = {}) =>
    vigil(['step', 'detect'], {
      root: pfs,
      env: {
        PFS_ROOT: pfs,
        validated: join(pfs, 'validated', 'valid', 'u1-cam1', frame),
        validated_COMMIT: 'c0ffee01',
        models: join(pfs, 'models'),
        models_COMMIT: 'model0001',
        PACH_DATUM_ID: 'd1',
        ...env,
      },
    });
  const output = async (name: string) =>
    assertValid('detection', JSON.parse(await readFile(join(pfs, 'out', 'u1-cam1', name), 'utf8')), name);

  it('writes /<user>-<device>/<ts>.json with the frame, the model version and what it found', async () => {
    const r = await step('20261126T041500Z.jpg');
    assert.equal(r.code, 0, r.stderr);
    const record = await output('20261126T041500Z.json');
    const frameBytes = await readFile(join(pfs, 'validated', 'valid', 'u1-cam1', '20261126T041500Z.jpg'));
    const weights = await readFile(join(pfs, 'models', 'centernet', 'centernet.bin'));
    assert.equal(record.user, 'u1');
    assert.equal(record.device, 'cam1');
    assert.equal(record.capturedAt, '2026-11-26T04:15:00.000Z');
    assert.deepEqual(record.frame, {
      repo: 'validated',
      commit: 'c0ffee01',
      path: '/valid/u1-cam1/20261126T041500Z.jpg',
      sha256: sha256(frameBytes),
      size: frameBytes.length,
    });
    assert.deepEqual(record.frameSize, { width: 512, height: 512 });
    assert.deepEqual(record.model, { name: 'centernet', commit: 'model0001', weightsSha256: sha256(weights), backend: 'wasm' });
    assert.ok(
      record.objects.some((o) => o.label === 'person' && o.score >= 0.5),
      JSON.stringify(record.objects),
    );
    assert.ok(record.inferenceMs > 0);
    assert.equal(record.error, undefined);
  });

  it('records why a frame cannot be decoded instead of failing the datum', async () => {
    const r = await step('20261126T041501.250Z.jpg');
    assert.equal(r.code, 0, r.stderr);
    const record = await output('20261126T041501.250Z.json');
    assert.equal(record.capturedAt, '2026-11-26T04:15:01.250Z');
    assert.deepEqual(record.objects, []);
    assert.match(record.error ?? '', /^cannot decode the frame: /);
  });

  it('fails at once, naming the file, when the weights do not match their sha256', async () => {
    const models = join(pfs, 'corrupt-models');
    const dir = await layDefaultModel(models);
    const weights = await readFile(join(dir, 'centernet.bin'));
    await writeFile(join(dir, 'centernet.bin'), weights.subarray(0, weights.length - 1));
    const r = await step('20261126T041503Z.jpg', { models });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /vigil: model file models@model0001:\/centernet\/centernet\.bin is corrupt: sha256 [0-9a-f]{64}, expected 1b635a15/,
    );
    assert.equal(existsSync(join(pfs, 'out', 'u1-cam1', '20261126T041503Z.json')), false);
  });

  it('runs the model VIGIL_MODEL names, read through its own model.yaml', async () => {
    const models = join(pfs, 'two-models');
    await layDefaultModel(models);
    await changeModelConfig(await layDefaultModel(models, 'upper'), { labels: COCO_LABELS.map((l) => l.toUpperCase()) });
    const r = await step('20261126T041502Z.jpg', { models, VIGIL_MODEL: 'upper' });
    assert.equal(r.code, 0, r.stderr);
    const record = await output('20261126T041502Z.json');
    assert.equal(record.model.name, 'upper');
    assert.ok(record.objects.some((o) => o.label === 'PERSON'));
    assert.equal(await chooseModel(models, {}), 'centernet', 'several models and no VIGIL_MODEL: centernet');
    assert.equal(await chooseModel(join(pfs, 'models'), {}), 'centernet');
    assert.equal(await chooseModel(join(pfs, 'corrupt-models'), { VIGIL_MODEL: 'other' }), 'other');
  });

  it('refuses a backend VIGIL_TF_BACKEND names that is not one of its own', async () => {
    const r = await step('20261126T041503Z.jpg', { VIGIL_TF_BACKEND: 'cpu' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VIGIL_TF_BACKEND=cpu is not a backend; use one of tensorflow-gpu, tensorflow, wasm/);
    assert.equal(existsSync(join(pfs, 'out', 'u1-cam1', '20261126T041503Z.json')), false);
  });
});
