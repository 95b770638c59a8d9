import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValid, type DetectedObject } from '../../specs/index.js';
import { matchFrame, matchRecord, type FrameOutcome } from '../../steps/match/core.js';
import { compilePolicy } from '../../steps/match/rules.js';
import { MODEL_LABELS, detection, fixturePolicyFiles, obj, policyOf } from '../helpers/match.js';

/** One user, one UTC camera with two zones, subscribed to the given rules (YAML list items). */
function singleRulePolicy(ruleYaml: string) {
  return policyOf(
    `rules:\n  - id: 1\n    name: Test rule\n${ruleYaml.replace(/^/gm, '    ')}\n`,
    `users:
  - id: u1
    alerts: {email: [ops@example.com]}
    devices:
      - id: cam1
        rules: [1]
        zones:
          door: [[0.1, 0.5], [0.4, 0.5], [0.4, 1.0], [0.1, 1.0]]
          street: [[0.6, 0.0], [1.0, 0.0], [1.0, 1.0], [0.6, 1.0]]
`,
  ).policy;
}

const NOON_UTC = '2026-11-26T12:00:00Z';

function fire(policy: ReturnType<typeof singleRulePolicy>, objects: DetectedObject[], at = NOON_UTC): FrameOutcome {
  return matchFrame(policy, detection('u1', 'cam1', at, objects));
}

function firedIds(outcome: FrameOutcome): number[] {
  return outcome.kind === 'fired' ? outcome.fired.map((f) => f.ruleId) : [];
}

test("the issue's sample policy: after hours a person and a dog both fire, with targets and local time", async () => {
  const { policy, rulesSha256, subscriptionsSha256 } = compilePolicy(await fixturePolicyFiles(), MODEL_LABELS);
  // 2026-11-27T00:00Z is Thursday 19:00 in New York (EST, -05:00): after hours.
  const d = detection('u1', 'cam1', '2026-11-27T00:00:00Z', [obj('person', 0.91), obj('dog', 0.85), obj('chair', 0.99)]);
  const outcome = matchFrame(policy, d);
  assert.equal(outcome.kind, 'fired');
  if (outcome.kind !== 'fired') return;
  assert.equal(outcome.localTime, '2026-11-26T19:00:00-05:00');

  const record = matchRecord(d, outcome, {
    detection: { repo: 'detections', commit: 'd1', path: '/u1-cam1/20261127T000000Z.json', sha256: 'c'.repeat(64), size: 10 },
    rules: { repo: 'rules', commit: 'r1', rulesSha256, subscriptionsSha256 },
  });
  assertValid('match', record, 'match record');
  assert.equal(record.timezone, 'America/New_York');
  assert.equal(record.capturedAt, '2026-11-27T00:00:00Z');
  assert.deepEqual(record.frame, d.frame);
  assert.deepEqual(
    record.fired.map((f) => [f.ruleId, f.name, f.severity, f.cooldownSeconds, f.objects.map((o) => o.label)]),
    [
      [100, 'Unsafe animals', 'warning', 300, ['dog']],
      [200, 'Person after hours', 'critical', 300, ['person']],
    ],
  );
  for (const f of record.fired) {
    assert.deepEqual(f.targets, {
      email: ['security@example.com'],
      pagerduty: { routingKeyEnv: 'VIGIL_SECRET_u1_PAGERDUTY' },
      webhook: ['https://hooks.example.com/vigil'],
    });
  }
});

test('the sample policy at noon on a weekday: the animal fires, the person is safe', async () => {
  const { policy } = compilePolicy(await fixturePolicyFiles(), MODEL_LABELS);
  const noonNewYork = '2026-11-26T17:00:00Z';
  assert.deepEqual(firedIds(matchFrame(policy, detection('u1', 'cam1', noonNewYork, [obj('person', 0.99), obj('cat', 0.95)]))), [100]);
  assert.equal(matchFrame(policy, detection('u1', 'cam1', noonNewYork, [obj('person', 0.99)])).kind, 'quiet');
});

test('classes: only the listed labels count', () => {
  const p = singleRulePolicy('classes: [dog, cat]');
  assert.deepEqual(firedIds(fire(p, [obj('cat', 0.9)])), [1]);
  assert.equal(fire(p, [obj('horse', 0.99), obj('person', 0.99)]).kind, 'quiet');
});

test('minScore: the threshold itself passes, just below does not; default 0.5', () => {
  const p = singleRulePolicy('classes: [dog]\nminScore: 0.8');
  assert.deepEqual(firedIds(fire(p, [obj('dog', 0.8)])), [1]);
  assert.equal(fire(p, [obj('dog', 0.79)]).kind, 'quiet');
  const byDefault = singleRulePolicy('classes: [dog]');
  assert.deepEqual(firedIds(fire(byDefault, [obj('dog', 0.5)])), [1]);
  assert.equal(fire(byDefault, [obj('dog', 0.49)]).kind, 'quiet');
});

test('minArea and maxArea: box area as a fraction of the frame', () => {
  const p = singleRulePolicy('classes: [person]\nminArea: 0.01\nmaxArea: 0.25');
  const sized = (w: number, h: number) => obj('person', 0.9, { x: 0, y: 0, w, h });
  assert.equal(fire(p, [sized(0.05, 0.1)]).kind, 'quiet'); // 0.005: a speck far away
  assert.deepEqual(firedIds(fire(p, [sized(0.1, 0.1)])), [1]); // 0.01: the bound itself
  assert.deepEqual(firedIds(fire(p, [sized(0.5, 0.5)])), [1]); // 0.25
  assert.equal(fire(p, [sized(0.6, 0.6)]).kind, 'quiet'); // 0.36: too close, e.g. a face at the lens
});

test('zones: an object counts by the bottom-centre of its box, and the record names its zone', () => {
  const p = singleRulePolicy('classes: [person]\nzones: [door, street]');
  // Feet in the door (bottom-centre 0.25, 0.9) though the head is outside it.
  const inDoor = fire(p, [obj('person', 0.9, { x: 0.15, y: 0.1, w: 0.2, h: 0.8 })]);
  assert.equal(inDoor.kind, 'fired');
  if (inDoor.kind === 'fired') assert.equal(inDoor.fired[0].objects[0].zone, 'door');
  // The box overlaps the door but the person stands left of it (bottom-centre x 0.05).
  assert.equal(fire(p, [obj('person', 0.9, { x: 0, y: 0.5, w: 0.1, h: 0.4 })]).kind, 'quiet');
  // Feet cut off by the bottom of the frame: bottom-centre on the zone's bottom edge y = 1.
  const atEdge = fire(p, [obj('person', 0.9, { x: 0.15, y: 0.6, w: 0.2, h: 0.4 })]);
  assert.equal(atEdge.kind === 'fired' && atEdge.fired[0].objects[0].zone, 'door');
  // Exactly on the door's left edge counts as inside.
  assert.equal(fire(p, [obj('person', 0.9, { x: 0.05, y: 0.5, w: 0.1, h: 0.2 })]).kind, 'fired');
  const inStreet = fire(p, [obj('person', 0.9, { x: 0.7, y: 0.2, w: 0.1, h: 0.3 })]);
  assert.equal(inStreet.kind === 'fired' && inStreet.fired[0].objects[0].zone, 'street');
  // Between the zones.
  assert.equal(fire(p, [obj('person', 0.9, { x: 0.45, y: 0.2, w: 0.1, h: 0.3 })]).kind, 'quiet');
});

test('excludeZones: objects standing there do not count; without zones nothing is named', () => {
  const p = singleRulePolicy('classes: [person]\nexcludeZones: [street]');
  assert.equal(fire(p, [obj('person', 0.9, { x: 0.7, y: 0.2, w: 0.1, h: 0.3 })]).kind, 'quiet');
  const elsewhere = fire(p, [obj('person', 0.9, { x: 0.2, y: 0.2, w: 0.1, h: 0.3 })]);
  assert.equal(elsewhere.kind, 'fired');
  if (elsewhere.kind === 'fired') assert.equal('zone' in elsewhere.fired[0].objects[0], false);
});

test('minCount: one person is fine, two or more fire with every one of them', () => {
  const p = singleRulePolicy('classes: [person]\nminCount: 2');
  assert.equal(fire(p, [obj('person', 0.9), obj('person', 0.3)]).kind, 'quiet'); // the second is below minScore
  const two = fire(p, [obj('person', 0.9), obj('person', 0.7)]);
  assert.equal(two.kind === 'fired' && two.fired[0].objects.length, 2);
});

test('schedule: the rule is active only inside its windows of the device time zone', () => {
  const p = singleRulePolicy('classes: [person]\nschedule: ["mon-fri 18:00-07:00"]');
  assert.equal(fire(p, [obj('person', 0.9)], '2026-11-26T12:00:00Z').kind, 'quiet'); // Thursday noon
  assert.equal(fire(p, [obj('person', 0.9)], '2026-11-26T18:00:00Z').kind, 'fired'); // Thursday 18:00
  assert.equal(fire(p, [obj('person', 0.9)], '2026-11-28T06:59:00Z').kind, 'fired'); // Saturday 06:59, Friday's night
});

test('severity and cooldown: explicit values, and the defaults warning and 5m', () => {
  const explicit = fire(singleRulePolicy('classes: [dog]\nseverity: info\ncooldown: 1h30m'), [obj('dog', 0.9)]);
  assert.ok(explicit.kind === 'fired');
  assert.deepEqual([explicit.fired[0].severity, explicit.fired[0].cooldownSeconds], ['info', 5400]);
  const seconds = fire(singleRulePolicy('classes: [dog]\ncooldown: 30s'), [obj('dog', 0.9)]);
  assert.ok(seconds.kind === 'fired' && seconds.fired[0].cooldownSeconds === 30);
  const plain = fire(singleRulePolicy('classes: [dog]\ncooldown: 90'), [obj('dog', 0.9)]);
  assert.ok(plain.kind === 'fired' && plain.fired[0].cooldownSeconds === 90);
  const byDefault = fire(singleRulePolicy('classes: [dog]'), [obj('dog', 0.9)]);
  assert.ok(byDefault.kind === 'fired');
  assert.deepEqual([byDefault.fired[0].severity, byDefault.fired[0].cooldownSeconds], ['warning', 300]);
});

test('several rules on one frame each fire with their own objects, in subscription order', () => {
  const { policy } = policyOf(
    `rules:
  - {id: 7, name: Crowd, classes: [person], minCount: 3}
  - {id: 3, name: Vehicle at the door, classes: [car, truck], zones: [door], severity: error}
  - {id: 5, name: Anyone, classes: [person], minScore: 0.6}
  - {id: 9, name: Bear, classes: [bear]}
`,
    `users:
  - id: u1
    devices:
      - id: cam1
        rules: [3, 5, 7, 9]
        zones: {door: [[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]]}
`,
  );
  const outcome = matchFrame(
    policy,
    detection('u1', 'cam1', NOON_UTC, [
      obj('person', 0.95),
      obj('person', 0.55),
      obj('truck', 0.7, { x: 0.1, y: 0.6, w: 0.2, h: 0.3 }),
      obj('person', 0.65),
    ]),
  );
  assert.ok(outcome.kind === 'fired');
  assert.deepEqual(
    outcome.fired.map((f) => [f.ruleId, f.severity, f.objects.map((o) => `${o.label}:${o.score}${o.zone ? `@${o.zone}` : ''}`)]),
    [
      [3, 'error', ['truck:0.7@door']],
      [5, 'warning', ['person:0.95', 'person:0.65']],
      [7, 'warning', ['person:0.95', 'person:0.55', 'person:0.65']],
    ],
  );
  assert.deepEqual(outcome.fired[0].targets, {}); // a user without alerts: the match is still recorded
});

test('devices: "*" covers the user\'s other devices, a device\'s own entry wins, strangers fire nothing', () => {
  const { policy } = policyOf(
    `rules:
  - {id: 1, name: Dogs, classes: [dog]}
  - {id: 2, name: Cats, classes: [cat]}
`,
    `users:
  - id: u1
    devices:
      - {id: "*", rules: [1], timezone: Europe/Berlin}
      - {id: lobby, rules: [2]}
`,
  );
  const frame = (device: string, user = 'u1') => matchFrame(policy, detection(user, device, NOON_UTC, [obj('dog', 0.9), obj('cat', 0.9)]));
  const yard = frame('yard');
  assert.ok(yard.kind === 'fired');
  assert.deepEqual(firedIds(yard), [1]);
  assert.equal(yard.localTime, '2026-11-26T13:00:00+01:00');
  const lobby = frame('lobby');
  assert.deepEqual(firedIds(lobby), [2]);
  assert.ok(lobby.kind === 'fired' && lobby.localTime === '2026-11-26T12:00:00+00:00'); // default time zone UTC
  assert.equal(frame('yard', 'u2').kind, 'unsubscribed');
});

test('a frame the detector could not read has no objects and fires nothing', async () => {
  const { policy } = compilePolicy(await fixturePolicyFiles(), MODEL_LABELS);
  const unreadable = { ...detection('u1', 'cam1', '2026-11-27T00:00:00Z', []), error: 'Input buffer has corrupt header' };
  assert.equal(matchFrame(policy, unreadable).kind, 'quiet');
});
