import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';

test('vigil deploy --print gives the pachctl commands: input repos, their data, the secrets, then pipelines upstream first', async () => {
  const out = await vigilOk(['deploy', '--print', '--model-dir', 'm', '--rules-dir', 'r', '--eval-dir', 'e'], { root: await tempDir() });
  assert.deepEqual(out.trim().split('\n'), [
    'pachctl create repo eval',
    'pachctl create repo models',
    'pachctl create repo raw',
    'pachctl create repo rules',
    'vigil deploy --export-model --model-dir m',
    'pachctl put file -r models@master:/ -f m',
    'pachctl put file -r rules@master:/ -f r',
    'pachctl put file -r eval@master:/ -f e',
    'pachctl create secret -f vigil-alerts.secret.json',
    'pachctl create pipeline -f pipelines/validated.yaml',
    'pachctl create pipeline -f pipelines/detections.yaml',
    'pachctl create pipeline -f pipelines/matches.yaml',
    'pachctl create pipeline -f pipelines/alerts.yaml',
    'pachctl create pipeline -f pipelines/digests.yaml',
    'pachctl create pipeline -f pipelines/deliveries.yaml',
    'pachctl create pipeline -f pipelines/model-eval.yaml',
    'pachctl create pipeline -f pipelines/warehouse.yaml',
    'pachctl create pipeline -f pipelines/reports.yaml',
  ]);
});

test('vigil deploy --export-model writes the default detector for the models repo', async () => {
  const cwd = await tempDir();
  await vigilOk(['deploy', '--export-model', '--model-dir', 'm'], { root: cwd, cwd });
  assert.deepEqual(readdirSync(join(cwd, 'm', 'centernet')).sort(), ['centernet.bin', 'labels.json', 'model.json', 'model.yaml']);
  const bad = await vigil(['deploy'], { root: cwd, cwd });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--print, --export-model/);
});
