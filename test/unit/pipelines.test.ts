import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { inputBranches, officialValidator, parsePipelineSpecs } from '../../src/engine/pps/spec.js';
import { dependencyOrder } from '../../src/engine/pps/pipelines.js';
import { STEPS } from '../../src/cli/commands/step.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { CLUSTER_STATE_DIR } from '../../steps/alert/ledger.js';
import { DEFAULT_SECRETS_DIR } from '../../steps/alert/secrets.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';

const root = packageRoot();
const dir = join(root, 'pipelines');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
const INPUT_REPOS = ['eval', 'models', 'raw', 'rules'];

test('the project has one spec per stage', () => {
  assert.deepEqual(files, [
    'alerts.yaml',
    'detections.yaml',
    'matches.yaml',
    'model-eval.yaml',
    'reports.yaml',
    'validated.yaml',
    'warehouse.yaml',
  ]);
});

test("every spec validates against Pachyderm's official CreatePipelineRequest schema", () => {
  const validate = officialValidator();
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      assert.ok(validate(doc.toJS()), `${file}: ${JSON.stringify(validate.errors)}`);
    }
  }
});

test("every spec passes the engine's stricter checks and runs a vigil step from this version's image", () => {
  const specs = files.flatMap((f) => parsePipelineSpecs(readFileSync(join(dir, f), 'utf8'), f));
  for (const spec of specs) {
    assert.equal(
      `${spec.name}.yaml`,
      files.find((f) => f === `${spec.name}.yaml`),
      'a pipeline lives in pipelines/<its name>.yaml',
    );
    assert.equal(spec.transform.image, `vigil/vigil:${version}`, `${spec.name}: image`);
    assert.deepEqual(spec.transform.cmd.slice(0, 2), ['vigil', 'step'], `${spec.name}: cmd`);
    assert.ok((STEPS as readonly string[]).includes(spec.transform.cmd[2]), `${spec.name}: step ${spec.transform.cmd[2]}`);
    for (const { repo } of inputBranches(spec.input)) {
      assert.ok(
        INPUT_REPOS.includes(repo) || specs.some((s) => s.name === repo),
        `${spec.name}: input repo ${repo} is neither an input repo nor a pipeline`,
      );
    }
  }
  // No cycles; upstream first.
  assert.deepEqual(
    dependencyOrder(specs).map((s) => s.name),
    ['validated', 'detections', 'matches', 'alerts', 'model-eval', 'warehouse', 'reports'],
  );
});

test('alerts mounts its secret and the ledger claim where the step looks on a cluster', () => {
  const [alerts] = parsePipelineSpecs(readFileSync(join(dir, 'alerts.yaml'), 'utf8'), 'alerts.yaml');
  const request = alerts!.request as { transform: { secrets: unknown }; podPatch: string };
  assert.deepEqual(request.transform.secrets, [{ name: 'vigil-alerts', mountPath: DEFAULT_SECRETS_DIR }]);
  assert.deepEqual(JSON.parse(request.podPatch), [
    { op: 'add', path: '/volumes/-', value: { name: 'vigil-alert-ledger', persistentVolumeClaim: { claimName: 'vigil-alert-ledger' } } },
    { op: 'add', path: '/containers/0/volumeMounts/-', value: { name: 'vigil-alert-ledger', mountPath: CLUSTER_STATE_DIR } },
  ]);
});

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
