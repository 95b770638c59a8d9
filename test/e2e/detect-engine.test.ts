import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { assertValid } from '../../specs/index.js';
import { readPipelineSpecs } from '../../src/engine/pps/spec.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { COCO_LABELS } from '../../steps/detect/default-model.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { changeModelConfig, layDefaultModel } from '../helpers/models.js';

const fixture = (name: string) => readFile(join(packageRoot(), 'test', 'fixtures', name));

describe('pipelines/detections.yaml', () => {
  it('is a valid Pachyderm spec: validated frames crossed with the models repo, batched, on a GPU', async () => {
    // readPipelineSpecs checks it against Pachyderm's CreatePipelineRequest schema (ajv-draft-04).
    const [spec] = await readPipelineSpecs(join(packageRoot(), 'pipelines', 'detections.yaml'));
    assert.equal(spec.name, 'detections');
    assert.deepEqual(spec.input, {
      cross: [
        { pfs: { name: 'validated', repo: 'validated', branch: 'master', glob: '/valid/*/*' } },
        { pfs: { name: 'models', repo: 'models', branch: 'master', glob: '/' } },
      ],
    });
    assert.deepEqual(spec.transform.cmd, ['vigil', 'step', 'detect']);
    const { version } = JSON.parse(await readFile(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    assert.equal(spec.transform.image, `vigil/vigil:${version}`);
    assert.equal(spec.transform.datumBatching, true);
    assert.equal(spec.parallelism, undefined, 'the engine picks one worker per core');
    assert.deepEqual(spec.request.resourceLimits, { gpu: { type: 'nvidia.com/gpu', number: 1 } });
  });
});

/** pipelines/detections.yaml run by the embedded engine, with validated and models as plain input repos. */
describe('the detections pipeline through the engine', () => {
  let dir: string;
  let root: string;
  let modelDir: string;
  const headCommit = async (repo: string) =>
    (JSON.parse(await vigilOk(['inspect', 'commit', `${repo}@master`, '--raw'], { root })) as { commit: { id: string } }).commit.id;
  const record = async (path: string) =>
    assertValid('detection', JSON.parse(await vigilOk(['get', 'file', `detections@master:${path}`], { root })), path);

  before(async () => {
    dir = await tempDir('vigil-detect-engine-');
    root = join(dir, 'store');
    modelDir = await layDefaultModel(join(dir, 'models'));
    const frames = join(dir, 'frames', 'valid', 'u1-cam1');
    await mkdir(frames, { recursive: true });
    await writeFile(
      join(frames, '20261126T041500Z.jpg'),
      await sharp(await fixture('astronaut.png'))
        .jpeg()
        .toBuffer(),
    );
    await writeFile(join(frames, '20261126T041501Z.jpg'), await fixture('truncated.jpg'));
    await vigilOk(['create', 'repo', 'validated'], { root });
    await vigilOk(['create', 'repo', 'models'], { root });
    await vigilOk(['put', 'file', '-r', 'models@master:/', '-f', join(dir, 'models')], { root });
    await vigilOk(['put', 'file', '-r', 'validated@master:/', '-f', join(dir, 'frames')], { root });
    await vigilOk(['create', 'pipeline', '-f', join(packageRoot(), 'pipelines', 'detections.yaml')], { root });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes a record per frame carrying the validated and models commits it was made from', async () => {
    assert.match(await vigilOk(['run', 'detections'], { root }), /JOB_SUCCESS: 2 processed/);
    const found = await record('/u1-cam1/20261126T041500Z.json');
    assert.equal(found.frame.commit, await headCommit('validated'));
    assert.equal(found.model.commit, await headCommit('models'));
    assert.ok(found.objects.some((o) => o.label === 'person' && o.score >= 0.5));
    const broken = await record('/u1-cam1/20261126T041501Z.json');
    assert.match(broken.error ?? '', /cannot decode the frame/);
  });

  it('re-runs every frame when a new model version is committed, recording the new version', async () => {
    const before = await headCommit('models');
    await changeModelConfig(modelDir, { labels: COCO_LABELS.map((l) => l.toUpperCase()) });
    await vigilOk(['put', 'file', 'models@master:/centernet/model.yaml', '-f', join(modelDir, 'model.yaml')], { root });
    assert.match(await vigilOk(['run', 'detections'], { root }), /JOB_SUCCESS: 2 processed, 0 skipped/);
    const found = await record('/u1-cam1/20261126T041500Z.json');
    assert.notEqual(found.model.commit, before);
    assert.equal(found.model.commit, await headCommit('models'));
    assert.ok(found.objects.some((o) => o.label === 'PERSON'));
  });

  it('fails the job, naming the file, when the committed weights are corrupt', async () => {
    const weights = await readFile(join(modelDir, 'centernet.bin'));
    weights[10] ^= 0xff;
    await vigilOk(['put', 'file', 'models@master:/centernet/centernet.bin', '-f', '-'], { root, input: weights });
    const r = await vigil(['run', 'detections'], { root });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /JOB_FAILURE/);
    assert.match(r.stdout + r.stderr, new RegExp(`model file models@${await headCommit('models')}:/centernet/centernet\\.bin is corrupt`));
  });
});

describe('vigil init', () => {
  it('commits the default detector into the models repo', async () => {
    const root = await tempDir('vigil-detect-init-');
    try {
      await vigilOk(['init'], { root });
      const listed = await vigilOk(['list', 'file', 'models@master:/centernet/'], { root });
      for (const file of ['model.json', 'centernet.bin', 'labels.json', 'model.yaml'])
        assert.match(listed, new RegExp(`/centernet/${file.replace('.', '\\.')}`));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
