import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';

/** Two customers: u1 pages through PagerDuty, u2 signs its webhooks with a key of its own; no value is written here. */
const SUBSCRIPTIONS = `users:
  - id: u1
    alerts: {email: [a@example.com], pagerduty: {routingKeyEnv: VIGIL_SECRET_u1_PAGERDUTY}}
    devices: [{id: cam1, timezone: UTC, rules: [100]}]
  - id: u2
    alerts: {webhook: ["https://hooks.example.com/x"], webhookSecretEnv: VIGIL_SECRET_u2_HOOK}
    devices: [{id: yard, timezone: UTC, rules: [100]}]
`;

test('vigil deploy --print gives every command for an empty cluster, in order: image, volume claim, repos and data, the secret file and secret, pipelines upstream first', async () => {
  const cwd = await tempDir();
  await mkdir(join(cwd, 'r'));
  await writeFile(join(cwd, 'r', 'subscriptions.yaml'), SUBSCRIPTIONS);
  const out = await vigilOk(['deploy', '--print', '--model-dir', 'm', '--rules-dir', 'r', '--eval-dir', 'e', '--namespace', 'pach'], {
    root: cwd,
    cwd,
    env: { VIGIL_SMTP_URL: 'smtps://vigil:planted-value@smtp.example.com', VIGIL_SECRET_u1_PAGERDUTY: 'planted-value' },
  });
  const pkg = relative(cwd, packageRoot());
  const created = (pipeline: string) => `pachctl create pipeline -f ${join(pkg, 'pipelines', `${pipeline}.yaml`)}`;
  assert.deepEqual(out.trim().split('\n'), [
    `docker build -t vigil/vigil:0.1.0 ${pkg}`,
    'docker push vigil/vigil:0.1.0',
    // alerts.yaml's podPatch mounts this claim: without it the pod stays Pending.
    `kubectl apply --namespace pach -f ${join(pkg, 'deploy', 'vigil-alert-ledger.pvc.yaml')}`,
    'pachctl create repo eval',
    'pachctl create repo models',
    'pachctl create repo raw',
    'pachctl create repo rules',
    'vigil deploy --export-model --model-dir m',
    'pachctl put file -r models@master:/ -f m',
    'pachctl put file -r rules@master:/ -f r',
    'vigil deploy --export-eval --eval-dir e',
    'pachctl put file -r eval@master:/ -f e',
    // The keys the alert steps read: the operator's, then each customer secret the subscriptions name; values from the shell.
    'kubectl create secret generic vigil-alerts --from-literal=VIGIL_SMTP_URL="$VIGIL_SMTP_URL" --from-literal=VIGIL_LEDGER_URL="$VIGIL_LEDGER_URL" --from-literal=VIGIL_SECRET_u1_PAGERDUTY="$VIGIL_SECRET_u1_PAGERDUTY" --from-literal=VIGIL_SECRET_u2_HOOK="$VIGIL_SECRET_u2_HOOK" --dry-run=client -o json > vigil-alerts.secret.json',
    'pachctl create secret -f vigil-alerts.secret.json',
    created('validated'),
    created('detections'),
    created('matches'),
    created('alerts'),
    created('digests'),
    created('deliveries'),
    created('model-eval'),
    created('warehouse'),
    created('reports'),
  ]);
  assert.doesNotMatch(out, /planted-value/, 'no value of a secret is printed');
});

test('vigil deploy --print: the default rules folder is one the package ships, and a missing one is refused', async () => {
  const cwd = await tempDir();
  const out = await vigilOk(['deploy', '--print'], { root: cwd, cwd });
  const rules = /pachctl put file -r rules@master:\/ -f (\S+)/.exec(out)![1]!;
  assert.ok(existsSync(join(cwd, rules, 'rules.yaml')), `${rules} holds rules.yaml`);
  const bad = await vigil(['deploy', '--print', '--rules-dir', 'nowhere'], { root: cwd, cwd });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /nowhere/);
});

test('vigil deploy --export-eval writes the labelled set the eval repo holds', async () => {
  const cwd = await tempDir();
  await vigilOk(['deploy', '--export-eval', '--eval-dir', 'e'], { root: cwd, cwd });
  const annotations = JSON.parse(readFileSync(join(cwd, 'e', 'annotations.json'), 'utf8')) as { images: Array<{ file_name: string }> };
  for (const image of annotations.images) assert.ok(existsSync(join(cwd, 'e', 'images', image.file_name)), image.file_name);
});

test('vigil deploy --export-model writes the default detector for the models repo', async () => {
  const cwd = await tempDir();
  await vigilOk(['deploy', '--export-model', '--model-dir', 'm'], { root: cwd, cwd });
  assert.deepEqual(readdirSync(join(cwd, 'm', 'centernet')).sort(), ['centernet.bin', 'labels.json', 'model.json', 'model.yaml']);
  const bad = await vigil(['deploy'], { root: cwd, cwd });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--print, --export-model, --export-eval/);
});
