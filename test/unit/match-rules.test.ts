import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../src/pfs/errors.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { compilePolicy, readModelLabels } from '../../steps/match/rules.js';
import { tempDir } from '../helpers/cli.js';
import { layDefaultModel } from '../helpers/models.js';
import { MODEL_LABELS, fixturePolicyFiles, policyOf } from '../helpers/match.js';

const GOOD_RULES = `rules:
  - {id: 1, name: Dogs, classes: [dog]}
  - {id: 2, name: People at the door, classes: [person], zones: [door]}
`;
const GOOD_SUBSCRIPTIONS = `users:
  - id: u1
    devices:
      - id: cam1
        rules: [1, 2]
        zones: {door: [[0.1, 0.5], [0.4, 0.5], [0.4, 1.0]]}
`;

/** The problem lines of a policy that must be refused. */
function problems(rules: string, subscriptions: string): string[] {
  try {
    policyOf(rules, subscriptions);
  } catch (e) {
    assert.ok(e instanceof VigilError, `expected a VigilError, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('the policy was accepted');
}

test("the issue's two files are accepted exactly as written", async () => {
  const loaded = compilePolicy(await fixturePolicyFiles(), MODEL_LABELS);
  assert.equal(loaded.policy.ruleCount, 2);
  assert.deepEqual([...loaded.policy.users.get('u1')!.keys()], ['cam1']);
  assert.match(loaded.rulesSha256, /^[0-9a-f]{64}$/);
});

test("the README's documented rules.yaml and subscriptions.yaml are valid", async () => {
  const readme = await readFile(join(packageRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Stage match: rules and subscriptions'));
  const block = (first: string) => {
    const start = section.indexOf(`\`\`\`yaml\n${first}`);
    assert.ok(start >= 0, `README has a ${first} example`);
    return section.slice(start + 8, section.indexOf('```', start + 8));
  };
  const loaded = policyOf(block('# rules.yaml'), block('# subscriptions.yaml'));
  assert.equal(loaded.policy.ruleCount, 3);
});

test('an unknown class names the file, the path and the labels to choose from', () => {
  const lines = problems('rules:\n  - {id: 1, name: Pests, classes: [dog, cat, racoon]}\n', 'users: []\n');
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^rules\.yaml: rules\[0\]\.classes\[2\]: "racoon" is not a label of the model \(centernet\); labels: person, bicycle, car, /,
  );
});

test('duplicate rule ids, and a subscription naming a missing rule', () => {
  const lines = problems(
    'rules:\n  - {id: 1, name: Dogs, classes: [dog]}\n  - {id: 1, name: Cats, classes: [cat]}\n',
    'users:\n  - id: u1\n    devices:\n      - {id: cam1, rules: [1, 300]}\n',
  );
  assert.deepEqual(lines, [
    'rules.yaml: rules[1].id: 1 is also the id of rules[0] ("Dogs"); give each rule its own id',
    'subscriptions.yaml: users[0].devices[0].rules[1]: rule 300 is not in rules.yaml; rules: 1',
  ]);
});

test('an invalid time zone, bad polygons and scores outside 0-1', () => {
  const lines = problems(
    'rules:\n  - {id: 1, name: Dogs, classes: [dog], minScore: 1.5}\n',
    `users:
  - id: u1
    devices:
      - id: cam1
        timezone: America/New_Yrok
        rules: [1]
        zones:
          gate: [[0.1, 0.5], [0.4, 0.5]]
          yard: [[0.1, 0.5], [1.4, 0.5], [0.4, 1.0]]
`,
  );
  assert.deepEqual(lines, [
    'rules.yaml: rules[0].minScore: 1.5 is out of range: must be <= 1',
    'subscriptions.yaml: users[0].devices[0].zones.gate: has 2 item(s), needs at least 3',
    'subscriptions.yaml: users[0].devices[0].zones.yard[1][0]: 1.4 is out of range: must be <= 1',
  ]);
  // Structure first; the time zone is checked once the files are well-formed.
  const tz = problems(
    GOOD_RULES,
    GOOD_SUBSCRIPTIONS.replace('      - id: cam1\n', '      - id: cam1\n        timezone: America/New_Yrok\n'),
  );
  assert.deepEqual(tz, [
    'subscriptions.yaml: users[0].devices[0].timezone: "America/New_Yrok" is not an IANA time zone; write e.g. America/New_York, Europe/Berlin or UTC',
  ]);
});

test('a zone a rule needs must be defined on every device using the rule; flat zones are refused', () => {
  const lines = problems(
    GOOD_RULES,
    `users:
  - id: u1
    devices:
      - {id: cam1, rules: [2], zones: {gate: [[0, 0], [0.5, 0.5], [1, 1]]}}
`,
  );
  assert.deepEqual(lines, [
    'subscriptions.yaml: users[0].devices[0].zones.gate: its points lie on one line, so nothing can be inside; give the zone an area',
    'subscriptions.yaml: users[0].devices[0].rules[0]: rule 2 ("People at the door") needs zone "door", which this device does not define; its zones: gate',
  ]);
});

test('typos in field names, schedules, cooldowns and areas are explained with the fix', () => {
  const lines = problems(
    `rules:
  - id: 1
    name: Dogs
    classes: [dog]
    minscore: 0.8
  - {id: 2, name: Night, classes: [person], schedule: ["mon-fri 18:00-07:00", "weekdays 9-17"], cooldown: 5 minutes, minArea: 0.5, maxArea: 0.1, severity: high}
`,
    GOOD_SUBSCRIPTIONS.replace('rules: [1, 2]', 'rules: [1]').replace('    devices:', '    alerts: {emial: [a@example.com]}\n    devices:'),
  );
  assert.equal(
    lines[0],
    'rules.yaml: rules[0]: unknown field "minscore" (did you mean "minScore"?); fields: id, name, classes, minScore, minArea, maxArea, zones, excludeZones, minCount, schedule, severity, cooldown',
  );
  assert.equal(lines[1], 'rules.yaml: rules[1].severity: "high" is not one of critical, error, warning, info');
  assert.equal(
    lines[2],
    'subscriptions.yaml: users[0].alerts: unknown field "emial" (did you mean "email"?); fields: email, pagerduty, webhook, webhookSecretEnv, maxPerHour',
  );
  assert.equal(lines.length, 3);
  const semantic = problems(
    '  - {id: 2, name: Night, classes: [person], schedule: ["mon-fri 18:00-07:00", "weekdays 9-17"], cooldown: 5 minutes, minArea: 0.5, maxArea: 0.1}\n'.replace(
      /^/,
      'rules:\n',
    ),
    GOOD_SUBSCRIPTIONS.replace('rules: [1, 2]', 'rules: [2]'),
  );
  assert.deepEqual(semantic, [
    'rules.yaml: rules[0]: minArea 0.5 is larger than maxArea 0.1, so no object could match; swap them',
    'rules.yaml: rules[0].schedule[1]: "weekdays 9-17" is not a weekly window; write "<days> HH:MM-HH:MM", e.g. "mon-fri 18:00-07:00" or "sat,sun 00:00-24:00"',
    'rules.yaml: rules[0].cooldown: "5 minutes" is not a duration; write e.g. 30s, 5m, 1h or 1h30m',
  ]);
});

test('duplicate users and devices, broken YAML and an empty file', () => {
  const twice = `users:
  - {id: u1, devices: [{id: cam1, rules: [1]}]}
  - {id: u1, devices: [{id: cam2, rules: [1]}, {id: cam2, rules: [1]}]}
`;
  assert.deepEqual(problems(GOOD_RULES, twice), [
    'subscriptions.yaml: users[1].id: "u1" is also users[0]; list each user once',
    'subscriptions.yaml: users[1].devices[1].id: "cam2" is also devices[0] of user "u1"; list each device once',
  ]);
  const broken = problems('rules: [\n', '');
  assert.equal(broken.length, 2);
  assert.match(broken[0], /^rules\.yaml: not valid YAML: .* at line 2, column 1/);
  assert.equal(broken[1], 'subscriptions.yaml: the file is empty; see specs/subscriptions.schema.json');
});

test('the labels come from each model.yaml of the models repo', async () => {
  const models = await tempDir('vigil-models-');
  await layDefaultModel(models);
  await mkdir(join(models, 'birds'));
  await writeFile(
    join(models, 'birds', 'model.yaml'),
    [
      'inputSize: {width: 320, height: 320}',
      'valueRange: [0, 1]',
      'outputName: detections',
      'outputLayout: {columns: [y1, x1, y2, x2, score, class], boxUnits: normalized}',
      'labels: [heron, racoon]',
    ].join('\n'),
  );
  const labels = await readModelLabels(models, 'models');
  assert.deepEqual(
    labels.map((m) => [m.model, m.labels.length]),
    [
      ['birds', 2],
      ['centernet', 80],
    ],
  );
  const loaded = compilePolicy(
    { rules: Buffer.from('rules:\n  - {id: 1, name: Pests, classes: [dog, racoon]}\n'), subscriptions: Buffer.from('users: []\n') },
    labels,
  );
  assert.equal(loaded.policy.ruleCount, 1);
});
