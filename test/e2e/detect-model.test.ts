import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parse } from 'yaml';
import type { Box, DetectedObject } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { VigilError } from '../../src/pfs/errors.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { iou } from '../../steps/detect/core.js';
import { startBackend, type Runtime } from '../../steps/detect/backend.js';
import { COCO_LABELS, defaultModelFiles } from '../../steps/detect/default-model.js';
import { detectInFrame } from '../../steps/detect/frame.js';
import { loadDetector, type Detector } from '../../steps/detect/model.js';
import { tempDir } from '../helpers/cli.js';
import { changeModelConfig, layDefaultModel } from '../helpers/models.js';

const fixture = (name: string) => readFile(join(packageRoot(), 'test', 'fixtures', name));
const ANIMALS = COCO_LABELS.slice(COCO_LABELS.indexOf('bird'), COCO_LABELS.indexOf('giraffe') + 1);

/** Hand-drawn boxes around what the photographs show, as fractions of the frame. */
const ASTRONAUT_PERSON: Box = { x: 0.04, y: 0.03, w: 0.67, h: 0.97 };
const MOTORCYCLE: Box = { x: 0.13, y: 0.15, w: 0.79, h: 0.75 };

function best(objects: DetectedObject[], label: string): DetectedObject {
  const found = objects.filter((o) => o.label === label).sort((a, b) => b.score - a.score)[0];
  assert.ok(found, `no ${label} among ${JSON.stringify(objects.map((o) => [o.label, o.score]))}`);
  return found;
}

describe('the default model files', () => {
  it('are model.json, its weights under the name model.json gives, labels.json and a valid model.yaml', async () => {
    const files = await defaultModelFiles();
    assert.deepEqual(
      files.map((f) => f.path),
      ['/centernet/model.json', '/centernet/centernet.bin', '/centernet/labels.json', '/centernet/model.yaml'],
    );
    const modelJson = JSON.parse(await readFile(files[0].file!, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    assert.deepEqual(
      modelJson.weightsManifest.flatMap((g) => g.paths),
      ['centernet.bin'],
    );
    const labels = JSON.parse(Buffer.from(files[2].data!).toString('utf8')) as string[];
    assert.equal(labels.length, 80);
    assert.deepEqual([labels[0], labels[2], labels[3], labels[15], labels[16]], ['person', 'car', 'motorcycle', 'cat', 'dog']);
    const config = assertValid('model-config', parse(Buffer.from(files[3].data!).toString('utf8')), 'model.yaml');
    assert.equal(config.labels, 'labels.json');
    assert.equal(config.sha256?.['labels.json'], sha256(files[2].data!));
  });
});

describe('the detector on real photographs', () => {
  let modelsDir: string;
  let runtime: Runtime;
  let detector: Detector;
  const detect = async (bytes: Uint8Array, d = detector) => {
    const r = await detectInFrame(d, bytes);
    assert.equal(r.error, undefined);
    return r;
  };

  before(async () => {
    modelsDir = await tempDir('vigil-detect-model-');
    await layDefaultModel(modelsDir);
    runtime = await startBackend();
    detector = await loadDetector(modelsDir, 'centernet', runtime);
  });
  after(() => rm(modelsDir, { recursive: true, force: true }));

  it('runs on a fast backend, never the pure-JS cpu one, and fingerprints the weights', async () => {
    assert.ok(['tensorflow-gpu', 'tensorflow', 'wasm'].includes(runtime.backend));
    assert.notEqual(runtime.tf.getBackend(), 'cpu');
    assert.equal(detector.weightsSha256, sha256(await readFile(join(modelsDir, 'centernet', 'centernet.bin'))));
    assert.equal(detector.inputName, 'tower_0/images');
    assert.deepEqual(detector.input, { width: 512, height: 512 });
  });

  it('finds the person in astronaut.png with a box around her', async () => {
    const r = await detect(await fixture('astronaut.png'));
    assert.deepEqual(r.frameSize, { width: 512, height: 512 });
    const person = best(r.objects, 'person');
    assert.ok(person.score >= 0.5, `person scored ${person.score}`);
    assert.ok(iou(person.box, ASTRONAUT_PERSON) >= 0.7, `person box ${JSON.stringify(person.box)}`);
    assert.ok(r.inferenceMs > 0);
  });

  it('finds the motorcycle in the non-square motorcycle_left.png where it stands', async () => {
    const r = await detect(await fixture('motorcycle_left.png'));
    assert.deepEqual(r.frameSize, { width: 741, height: 500 });
    const moto = best(r.objects, 'motorcycle');
    assert.ok(moto.score >= 0.5, `motorcycle scored ${moto.score}`);
    assert.ok(iou(moto.box, MOTORCYCLE) >= 0.7, `motorcycle box ${JSON.stringify(moto.box)}`);
    // Scores ≥ 0.2 after per-class NMS: no two boxes of a class overlap by more than half.
    for (const a of r.objects) {
      assert.ok(a.score >= 0.2);
      for (const b of r.objects) if (a !== b && a.classId === b.classId) assert.ok(iou(a.box, b.box) <= 0.5);
    }
  });

  it('maps boxes back through the letterbox padding of a tall frame', async () => {
    // astronaut.png under a 300-pixel band: the person must land in the lower 512 of 812 rows.
    const tall = await sharp(await fixture('astronaut.png'))
      .extend({ top: 300, background: '#808080' })
      .png()
      .toBuffer();
    const r = await detect(tall);
    assert.deepEqual(r.frameSize, { width: 512, height: 812 });
    const expected = { ...ASTRONAUT_PERSON, y: (300 + ASTRONAUT_PERSON.y * 512) / 812, h: (ASTRONAUT_PERSON.h * 512) / 812 };
    const person = best(r.objects, 'person');
    assert.ok(iou(person.box, expected) >= 0.7, `person box ${JSON.stringify(person.box)}, expected about ${JSON.stringify(expected)}`);
  });

  it('reports boxes on the frame as shown when it carries an EXIF orientation', async () => {
    // Pixels stored rotated, tagged "rotate 90° clockwise to show": the boxes are on the upright picture.
    const stored = await sharp(await fixture('motorcycle_left.png'))
      .rotate(270)
      .jpeg()
      .toBuffer();
    const tagged = await sharp(stored).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const r = await detect(tagged);
    assert.deepEqual(r.frameSize, { width: 741, height: 500 });
    assert.ok(iou(best(r.objects, 'motorcycle').box, MOTORCYCLE) >= 0.7);
  });

  it('sees no person and no animal above 0.5 in coffee.png', async () => {
    const r = await detect(await fixture('coffee.png'));
    const threats = r.objects.filter((o) => o.score > 0.5 && (o.label === 'person' || ANIMALS.includes(o.label)));
    assert.deepEqual(threats, []);
  });

  it('calls the cat in chelsea.png a cat (stretching the frame instead makes it a dog)', async () => {
    const r = await detect(await fixture('chelsea.png'));
    const top = [...r.objects].sort((a, b) => b.score - a.score)[0];
    assert.equal(top.label, 'cat');
    assert.ok(top.score >= 0.45, `cat scored ${top.score}`);
  });

  it('decodes a grayscale frame and an RGBA frame', async () => {
    assert.ok(best((await detect(await fixture('camera.png'))).objects, 'person').score >= 0.5);
    assert.ok(best((await detect(await fixture('horse.png'))).objects, 'horse').score >= 0.5);
  });

  it('records an error, and no objects, for a frame it cannot decode', async () => {
    const r = await detectInFrame(detector, await fixture('truncated.jpg'));
    assert.match(r.error ?? '', /cannot decode the frame/);
    assert.deepEqual(r.objects, []);
  });

  it('follows model.yaml: stretch instead of letterbox, inline labels, no code change', async () => {
    const dir = await layDefaultModel(modelsDir, 'stretched');
    const labels = COCO_LABELS.map((l) => l.toUpperCase());
    await changeModelConfig(dir, { resize: 'stretch', labels });
    const stretched = await loadDetector(modelsDir, 'stretched', runtime);
    const r = await detect(await fixture('motorcycle_left.png'), stretched);
    assert.ok(iou(best(r.objects, 'MOTORCYCLE').box, MOTORCYCLE) >= 0.7);
    stretched.model.dispose();
  });
});

describe('a broken model', () => {
  let modelsDir: string;
  let runtime: Runtime;
  before(async () => {
    modelsDir = await tempDir('vigil-detect-broken-');
    runtime = await startBackend();
  });
  after(() => rm(modelsDir, { recursive: true, force: true }));

  it('is refused when a weights byte differs from the sha256 in model.yaml, naming the file', async () => {
    const dir = await layDefaultModel(modelsDir, 'flipped');
    const weights = await readFile(join(dir, 'centernet.bin'));
    weights[1000] ^= 0xff;
    await writeFile(join(dir, 'centernet.bin'), weights);
    await assert.rejects(loadDetector(modelsDir, 'flipped', runtime), (e: Error) => {
      assert.match(e.message, new RegExp(`model file ${join(dir, 'centernet.bin')} is corrupt: sha256 [0-9a-f]{64}, expected 1b635a15`));
      return true;
    });
  });

  it('is refused when a file is missing, naming it', async () => {
    const dir = await layDefaultModel(modelsDir, 'partial');
    await rm(join(dir, 'model.json'));
    await assert.rejects(loadDetector(modelsDir, 'partial', runtime), { message: `model file ${join(dir, 'model.json')} is missing` });
    await assert.rejects(loadDetector(modelsDir, 'nothing', runtime), {
      message: `model file ${join(modelsDir, 'nothing', 'model.yaml')} is missing`,
    });
  });

  it('is refused when model.yaml has a misspelt field or a wrong value, naming each with the fix', async () => {
    const dir = await layDefaultModel(modelsDir, 'typo');
    const path = join(dir, 'model.yaml');
    await writeFile(
      path,
      (await readFile(path, 'utf8')).replace('resize: letterbox', 'resise: letterbox').replace('tensor: tower_0/detections', 'tensor: 7'),
    );
    await assert.rejects(loadDetector(modelsDir, 'typo', runtime), (e: Error) => {
      assert.ok(e instanceof VigilError, String(e));
      assert.equal(
        e.message,
        [
          `model file ${path}: unknown field "resise" (did you mean "resize"?); fields: description, inputName, inputSize, inputLayout, resize, valueRange, output, outputName, outputLayout, labels, sha256`,
          `model file ${path}: output.tensor: 7 must be string`,
        ].join('\n'),
      );
      return true;
    });
  });

  it('is refused when model.yaml does not fit the graph', async () => {
    const dir = await layDefaultModel(modelsDir, 'misfit');
    await changeModelConfig(dir, { inputSize: { width: 320, height: 320 } });
    await assert.rejects(
      loadDetector(modelsDir, 'misfit', runtime),
      /model\.yaml inputSize 320x320 \(nhwc\) does not fit the model's input tower_0\/images \[1,512,512,3\]/,
    );
    const rows = { format: 'rows', columns: ['x1', 'y1', 'x2', 'y2', 'score', 'class'], boxUnits: 'pixels' } as const;
    await changeModelConfig(dir, {
      inputSize: { width: 512, height: 512 },
      output: { ...rows, columns: [...rows.columns], tensor: 'no/such/node' },
    });
    await assert.rejects(loadDetector(modelsDir, 'misfit', runtime), /model\.yaml does not fit the model: a test inference failed/);
    // A format whose tensors the graph has, but not in the shape the format needs.
    const tfod = {
      format: 'tf-object-detection',
      boxes: 'tower_0/detections',
      scores: 'tower_0/detections',
      classes: 'tower_0/detections',
    } as const;
    await changeModelConfig(dir, { output: tfod });
    await assert.rejects(
      loadDetector(modelsDir, 'misfit', runtime),
      /model\.yaml does not fit the model's outputs: output tower_0\/detections is \[1, 100, 6\]; expected \[1, N, 4\]/,
    );
  });
});
