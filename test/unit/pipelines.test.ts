import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { officialValidator, parsePipelineSpecs, pfsInputs } from '../../src/engine/pps/spec.js';
import { dependencyOrder } from '../../src/engine/pps/pipelines.js';
import { STEPS } from '../../src/cli/commands/step.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { CLUSTER_STATE_DIR } from '../../steps/alert/ledger/ledger.js';
import { DEFAULT_SECRETS_DIR } from '../../steps/alert/secrets.js';

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
    'deliveries.yaml',
    'detections.yaml',
    'digests.yaml',
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
    for (const { repo, cron } of pfsInputs(spec.input)) {
      assert.ok(
        INPUT_REPOS.includes(repo) || specs.some((s) => s.name === repo) || (cron && repo === `${spec.name}_tick`),
        `${spec.name}: input repo ${repo} is neither an input repo nor a pipeline`,
      );
    }
  }
  // No cycles; upstream first.
  assert.deepEqual(
    dependencyOrder(specs).map((s) => s.name),
    ['validated', 'detections', 'matches', 'alerts', 'digests', 'deliveries', 'model-eval', 'warehouse', 'reports'],
  );
});

test('alerts, digests and deliveries mount the secret and the ledger claim where the step looks on a cluster', () => {
  for (const file of ['alerts.yaml', 'digests.yaml', 'deliveries.yaml']) {
    const [spec] = parsePipelineSpecs(readFileSync(join(dir, file), 'utf8'), file);
    const request = spec!.request as { transform: { secrets: unknown }; podPatch: string };
    assert.deepEqual(request.transform.secrets, [{ name: 'vigil-alerts', mountPath: DEFAULT_SECRETS_DIR }]);
    assert.deepEqual(JSON.parse(request.podPatch), [
      { op: 'add', path: '/volumes/-', value: { name: 'vigil-alert-ledger', persistentVolumeClaim: { claimName: 'vigil-alert-ledger' } } },
      { op: 'add', path: '/containers/0/volumeMounts/-', value: { name: 'vigil-alert-ledger', mountPath: CLUSTER_STATE_DIR } },
    ]);
  }
});
