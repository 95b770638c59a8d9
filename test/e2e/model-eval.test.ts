/**
 * Evaluation with the real default model on the hand-labelled set (test/fixtures/eval): the
 * model-eval pipeline's record and its provenance, `vigil model eval` giving the same numbers,
 * the score warning of `vigil rules check` on the demo's rule 100, and a broken set refused.
 * The metric code's exact numbers are test/unit/model-evaluation.test.ts's.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertValid, type ModelEvaluation } from '../../specs/index.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { bestFoundScore } from '../../steps/detect/evaluation.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { layDefaultModel, layEvalSet } from '../helpers/models.js';

const head = async (root: string, repo: string) =>
  (JSON.parse(await vigilOk(['inspect', 'commit', `${repo}@master`, '--raw'], { root })) as { commit: { id: string } }).commit.id;

describe('the model-eval pipeline and vigil model eval, with the default model', () => {
  let dir: string;
  let root: string;
  let evalDir: string;
  let evaluation: ModelEvaluation;
  before(async () => {
    dir = await tempDir('vigil-model-eval-');
    root = join(dir, 'store');
    evalDir = await layEvalSet(join(dir, 'eval'));
    await vigilOk(['init'], { root });
    await vigilOk(['put', 'file', '-r', 'eval@master:/', '-f', evalDir], { root });
    await vigilOk(['put', 'file', '-r', 'rules@master:/', '-f', join(packageRoot(), 'demo', 'rules')], { root });
    assert.match(await vigilOk(['run', 'model-eval'], { root }), /model-eval: job \w+ JOB_SUCCESS: 1 processed/);
    evaluation = assertValid(
      'model-evaluation',
      JSON.parse(await vigilOk(['get', 'file', 'model-eval@master:/centernet.json'], { root })),
      'record',
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('records the model and the labelled set it evaluated, down to the sha256 of every file', async () => {
    assert.equal(evaluation.model.name, 'centernet');
    assert.equal(evaluation.model.commit, await head(root, 'models'));
    const annotations = await readFile(join(evalDir, 'annotations.json'));
    assert.deepEqual(evaluation.evalSet.annotations, {
      repo: 'eval',
      commit: await head(root, 'eval'),
      path: '/annotations.json',
      sha256: sha256(annotations),
      size: annotations.length,
    });
    assert.deepEqual(
      evaluation.evalSet.images.map((i) => i.path),
      ['astronaut.png', 'camera.png', 'chelsea.png', 'cat_det.jpg', 'motorcycle_left.png', 'horse.png', 'coffee.png', 'rocket.jpg'].map(
        (f) => `/images/${f}`,
      ),
    );
  });

  it('finds both people and the motorcycle, never the spoon, and scores no cat near 0.8', () => {
    const cls = (label: string) => evaluation.classes.find((c) => c.label === label)!;
    // Precision 1 is tp / (tp + fp + eps) in pycocotools: a hair under 1.
    const perfect = (label: string) => assert.ok(cls(label).ap50! > 1 - 1e-12, `${label} AP@0.5 ${cls(label).ap50}`);
    assert.equal(cls('person').groundTruth, 2);
    perfect('person');
    perfect('motorcycle');
    assert.deepEqual([cls('spoon').ap50, cls('spoon').ap], [0, 0], 'a class the model never finds counts as 0');
    assert.equal(cls('cat').groundTruth, 2);
    const cat = bestFoundScore(cls('cat'));
    assert.ok(cat !== null && cat < 0.6, `best cat ${cat}`);
    for (const v of [evaluation.ap, evaluation.ap50]) assert.ok(v !== null && v > 0.3 && v < 0.9, `AP ${v}`);
  });

  it("vigil model eval gives the same evaluation, from the store or from folders, with the rules' thresholds", async () => {
    const fromStore = JSON.parse(await vigilOk(['model', 'eval', '--raw'], { root })) as ModelEvaluation;
    assert.deepEqual(fromStore, evaluation);
    const models = await tempDir('vigil-model-eval-models-');
    await layDefaultModel(models);
    const fromFolders = JSON.parse(
      await vigilOk(['model', 'eval', '--raw', '--model-dir', models, '--eval-dir', evalDir], { root }),
    ) as ModelEvaluation;
    assert.deepEqual(fromFolders.classes, evaluation.classes);
    const table = await vigilOk(['model', 'eval'], { root });
    assert.match(
      table,
      new RegExp(
        `^centernet@${evaluation.model.commit} .* on eval@\\w+: 8 images, 10 labelled objects\\nAP@\\[\\.5:\\.95\\] ${evaluation.ap!.toFixed(3)}   AP@0\\.5 ${evaluation.ap50!.toFixed(3)}\\n`,
      ),
    );
    assert.match(table, /\ncat +2 +1\.000 +[\d.]+ +0\.80 +100 +- +0\.00 \(0\/2\)\n/, 'rule 100 finds no cat at 0.80');
    assert.match(table, /\nperson +2 +1\.000 +[\d.]+ +0\.50 +200 +1\.00 +1\.00 \(2\/2\)\n/);
    await rm(models, { recursive: true, force: true });
  });

  it("vigil rules check warns that the demo's rule 100 cannot fire on a cat with the bundled model", async () => {
    const out = await vigilOk(['rules', 'check', join(packageRoot(), 'demo', 'rules')], { root });
    const best = bestFoundScore(evaluation.classes.find((c) => c.label === 'cat')!)!;
    assert.ok(
      out.includes(
        `warning: rule 100: no cat in the evaluation set scored above ${best.toFixed(2)} with centernet@${evaluation.model.commit}; at 0.80 the rule would miss all of them (2 labelled); minScore `,
      ),
      out,
    );
    assert.match(out, /minScore 0\.\d\d finds 2 of 2 \(recall 90% or more\)/);
    assert.match(out, /note: rule 100: the evaluation set labels no dog, bear: unchecked/);
    // A new model commit makes the evaluation stale until model-eval runs again: no warning from old numbers.
    await vigilOk(['put', 'file', 'models@master:/centernet/NOTES', '-f', '-'], { root, input: 'a new commit' });
    assert.match(
      await vigilOk(['rules', 'check', join(packageRoot(), 'demo', 'rules')], { root }),
      /scores not checked: model-eval evaluated centernet@\w+, not models@master/,
    );
  });
});

describe('a broken labelled set', () => {
  it('is refused, naming the file and what is wrong', async () => {
    const dir = await tempDir('vigil-model-eval-bad-');
    const models = await layDefaultModel(join(dir, 'models'));
    const evalDir = await layEvalSet(join(dir, 'eval'));
    const annotations = JSON.parse(await readFile(join(evalDir, 'annotations.json'), 'utf8'));
    const evalWith = async (change: (a: typeof annotations) => void) => {
      const copy = structuredClone(annotations);
      change(copy);
      await writeFile(join(evalDir, 'annotations.json'), JSON.stringify(copy));
      const r = await vigil(['model', 'eval', '--model-dir', join(models, '..'), '--eval-dir', evalDir], { root: join(dir, 'none') });
      assert.equal(r.code, 1, r.stderr);
      return r.stderr;
    };
    assert.match(
      await evalWith((a) => {
        a.annotations[0].image_id = 99;
        a.annotations[1].category_id = 7;
        a.annotations[2].iscrowd = 1;
      }),
      /eval:\/annotations\.json: annotations\[0\]\.image_id 99 names no image\n.*annotations\[1\]\.category_id 7 names no category\n.*annotations\[2\] is a crowd region/,
    );
    assert.match(
      await evalWith((a) => (a.images[2].width = 450)),
      /eval:\/images\/chelsea\.png is 451x300, but eval:\/annotations\.json says 450x300 \(image 3\)/,
    );
    assert.match(
      await evalWith((a) => (a.images[0].file_name = 'gone.png')),
      /eval:\/images\/gone\.png is missing: eval:\/annotations\.json lists it \(image 1\)/,
    );
    assert.match(await evalWith((a) => delete a.categories), /eval:\/annotations\.json: .*categories/);
    await rm(dir, { recursive: true, force: true });
  });
});
