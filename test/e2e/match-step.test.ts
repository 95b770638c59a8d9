import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertValid, type Detection } from '../../specs/index.js';
import { sha256 } from '../../src/pfs/files.js';
import { JOB_FAILURE_EXIT_CODE } from '../../src/pfs/errors.js';
import { vigil, tempDir } from '../helpers/cli.js';
import { layDefaultModel } from '../helpers/models.js';
import { FIXTURE_RULES_DIR, detection, obj } from '../helpers/match.js';

/**
 * A hand-laid /pfs for one datum of pipelines/matches.yaml: the detection of one frame, the
 * whole rules repo (the issue's sample files) and the models repo with the default model.
 */
async function layDatum(d: Detection): Promise<{ root: string; env: Record<string, string>; path: string }> {
  const root = await tempDir('vigil-pfs-');
  const path = `${`/${d.user}-${d.device}/${d.capturedAt.replace(/[-:]/g, '')}`.replace(/\.000Z$|Z$/, 'Z')}.json`;
  await mkdir(join(root, 'detections', `${d.user}-${d.device}`), { recursive: true });
  await writeFile(join(root, 'detections', path), JSON.stringify(d));
  await cp(FIXTURE_RULES_DIR, join(root, 'rules'), { recursive: true });
  await layDefaultModel(join(root, 'models'));
  const env = {
    PFS_ROOT: root,
    detections: join(root, 'detections', path),
    detections_COMMIT: 'det0001',
    rules: join(root, 'rules'),
    rules_COMMIT: 'rul0001',
    models: join(root, 'models'),
    models_COMMIT: 'mod0001',
    PACH_DATUM_ID: 'datum1',
  };
  return { root, env, path };
}

async function outputs(root: string): Promise<string[]> {
  return (await readdir(join(root, 'out'), { recursive: true }).catch(() => [] as string[])).filter((p) => p.endsWith('.json')).sort();
}

test('a frame on which rules fire gets a match record with its full lineage', async () => {
  // Thursday 19:00 in New York: the person is after hours, the dog always unsafe.
  const d = detection('u1', 'cam1', '2026-11-27T00:00:00Z', [obj('person', 0.9), obj('dog', 0.88), obj('cat', 0.5)]);
  const { root, env, path } = await layDatum(d);
  const r = await vigil(['step', 'match'], { root, env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await outputs(root), ['u1-cam1/20261127T000000Z.json']);

  const record = assertValid('match', JSON.parse(await readFile(join(root, 'out', path), 'utf8')), 'output');
  const detectionBytes = await readFile(env.detections);
  assert.deepEqual(record.detection, {
    repo: 'detections',
    commit: 'det0001',
    path,
    sha256: sha256(detectionBytes),
    size: detectionBytes.length,
  });
  assert.deepEqual(record.frame, d.frame);
  assert.deepEqual(record.model, d.model);
  assert.deepEqual(record.rules, {
    repo: 'rules',
    commit: 'rul0001',
    rulesSha256: sha256(await readFile(join(FIXTURE_RULES_DIR, 'rules.yaml'))),
    subscriptionsSha256: sha256(await readFile(join(FIXTURE_RULES_DIR, 'subscriptions.yaml'))),
  });
  assert.equal(record.localTime, '2026-11-26T19:00:00-05:00');
  assert.deepEqual(
    record.fired.map((f) => [f.ruleId, f.objects.map((o) => o.label)]),
    [
      [100, ['dog']],
      [200, ['person']],
    ],
  );
  assert.equal(record.fired[1].targets.pagerduty?.routingKeyEnv, 'VIGIL_SECRET_u1_PAGERDUTY');
});

test('a frame on which nothing fires writes nothing', async () => {
  const noon = detection('u1', 'cam1', '2026-11-26T17:00:00Z', [obj('person', 0.99), obj('cat', 0.6)]);
  const { root, env } = await layDatum(noon);
  const r = await vigil(['step', 'match'], { root, env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await outputs(root), []);
});

test('a frame from a device no subscription names fires nothing and is counted on stderr', async () => {
  const stranger = detection('u9', 'cam3', '2026-11-27T00:00:00Z', [obj('dog', 0.99)]);
  const { root, env } = await layDatum(stranger);
  const r = await vigil(['step', 'match'], { root, env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await outputs(root), []);
  assert.match(
    r.stderr,
    /\/u9-cam3\/20261127T000000Z\.json: no subscription names device "cam3" of user "u9"; nothing fired \(1 such frame/,
  );
});

test('an invalid rules commit fails the whole job (JOB_FAILURE_EXIT_CODE) with the validation message and writes nothing', async () => {
  const d = detection('u1', 'cam1', '2026-11-27T00:00:00Z', [obj('dog', 0.99)]);
  const { root, env } = await layDatum(d);
  const rulesFile = join(root, 'rules', 'rules.yaml');
  await writeFile(rulesFile, (await readFile(rulesFile, 'utf8')).replace('[dog, cat, bear]', '[dog, cat, racoon]'));
  const r = await vigil(['step', 'match'], { root, env });
  assert.equal(r.code, JOB_FAILURE_EXIT_CODE);
  assert.match(
    r.stderr,
    /^no frame can be matched against rules@rul0001: rules\.yaml: rules\[0\]\.classes\[2\]: "racoon" is not a label of the model \(centernet\); labels: person, bicycle/,
  );
  assert.deepEqual(await outputs(root), []);
});

test('a malformed detection record fails the datum, naming the file', async () => {
  const d = detection('u1', 'cam1', '2026-11-27T00:00:00Z', [obj('dog', 0.99)]);
  const { root, env, path } = await layDatum(d);
  await writeFile(env.detections, JSON.stringify({ ...d, objects: [{ label: 'dog', score: 2 }] }));
  const r = await vigil(['step', 'match'], { root, env });
  assert.equal(r.code, 1);
  assert.ok(r.stderr.startsWith(`vigil: detections:${path}: `), r.stderr);
  assert.match(r.stderr, /objects\[0\]\.score: 2 is out of range: must be <= 1/);
  assert.deepEqual(await outputs(root), []);
});
