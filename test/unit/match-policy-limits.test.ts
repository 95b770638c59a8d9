/**
 * What the policy refuses so that no rules commit can cost a worker unbounded memory or a zone
 * have no clear inside: file sizes checked before parsing, zones on one line, with crossing
 * edges or without area.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VigilError } from '../../src/pfs/errors.js';
import { MAX_YAML_BYTES } from '../../src/contract/policy-files.js';
import { compilePolicy } from '../../steps/match/rules.js';
import { MIN_ZONE_AREA, zoneProblem } from '../../steps/match/zones.js';
import { MODEL_LABELS } from '../helpers/match.js';

const MiB = 2 ** 20;
const RULES = 'rules:\n  - {id: 1, name: Dogs, classes: [dog]}\n';
const SUBSCRIPTIONS = 'users:\n  - id: u1\n    devices: [{id: cam1, rules: [1]}]\n';

/** The problem lines of a policy that must be refused. */
function problems(rules: string | Buffer, subscriptions: string | Buffer): string[] {
  try {
    compilePolicy({ rules: Buffer.from(rules), subscriptions: Buffer.from(subscriptions) }, MODEL_LABELS);
  } catch (e) {
    assert.ok(e instanceof VigilError, `expected a VigilError, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('the policy was accepted');
}

test('a 10 MB rules.yaml is refused before it is parsed, naming the limit', () => {
  // Valid YAML all through (comments): only the size can refuse it.
  const padded = Buffer.concat([Buffer.from(RULES), Buffer.alloc(10 * MiB, '# note\n')]);
  assert.deepEqual(problems(padded, SUBSCRIPTIONS), ['rules.yaml: the file is 10.0 MiB; rules.yaml may be at most 1.0 MiB']);
});

test('a subscriptions file over 2 MiB must be JSON: the YAML parser is never given it', () => {
  const json = `{"users": [{"id": "u1", "devices": [{"id": "cam1", "rules": [1]}]}]}${' '.repeat(5 * MiB)}`;
  assert.equal(compilePolicy({ rules: Buffer.from(RULES), subscriptions: Buffer.from(json) }, MODEL_LABELS).policy.deviceCount, 1);
  const yaml = SUBSCRIPTIONS + '# note\n'.repeat((5 * MiB) / 7);
  assert.deepEqual(problems(RULES, yaml), [
    `subscriptions.yaml: the file is 5.0 MiB and not JSON; YAML is read up to ${(MAX_YAML_BYTES / MiB).toFixed(1)} MiB (its parser needs tens of times the text in memory): write a larger file as JSON`,
  ]);
  const [broken] = problems(RULES, `${json.trim().slice(0, -1)}${' '.repeat(5 * MiB)}`);
  assert.match(broken, /^subscriptions\.yaml: the file is 5\.0 MiB and not JSON \(.+\); YAML is read up to 2\.0 MiB/);
  assert.deepEqual(problems(RULES, Buffer.alloc(33 * MiB, ' ')), [
    'subscriptions.yaml: the file is 33.0 MiB; subscriptions.yaml may be at most 32.0 MiB',
  ]);
});

test('zones: on one line, crossing edges and no area are refused, each for its reason', () => {
  const line = 'its points lie on one line, so nothing can be inside; give the zone an area';
  assert.equal(
    zoneProblem([
      [0.1, 0.1],
      [0.2, 0.2],
      [0.3, 0.3],
    ]),
    line,
    'floating point: the doubled area of these points is not exactly 0',
  );
  assert.equal(
    zoneProblem([
      [0, 0],
      [1, 1],
      [0.5, 0.5],
      [0.2, 0.2],
    ]),
    line,
  );
  assert.equal(
    zoneProblem([
      [0, 0],
      [1, 1],
      [1, 0],
      [0, 1],
    ]),
    'its edges [0, 0]-[1, 1] and [1, 0]-[0, 1] cross, so it has no clear inside; list the points in order around the zone',
  );
  // Two squares that touch at one corner: the edges meet there.
  assert.match(
    zoneProblem([
      [0, 0],
      [0.5, 0],
      [0.5, 0.5],
      [1, 0.5],
      [1, 1],
      [0.5, 1],
      [0.5, 0.5],
      [0, 0.5],
    ])!,
    /^its edges .* cross/,
  );
  const sliver = zoneProblem([
    [0, 0],
    [1, 0],
    [0.5, MIN_ZONE_AREA],
  ]);
  assert.equal(sliver, 'its area is 5.0e-7 of the frame, under 0.000001 (about one pixel), so nothing can stand in it; draw it larger');
});

test('zones people draw pass: a square, a triangle either way round, a concave U', () => {
  const zones = [
    [
      [0.1, 0.5],
      [0.4, 0.5],
      [0.4, 1.0],
      [0.1, 1.0],
    ],
    [
      [0, 1],
      [1, 0],
      [0, 0],
    ],
    [
      [0.2, 0.2],
      [0.4, 0.2],
      [0.4, 0.6],
      [0.6, 0.6],
      [0.6, 0.2],
      [0.8, 0.2],
      [0.8, 0.9],
      [0.2, 0.9],
    ],
  ] as Array<Array<[number, number]>>;
  for (const zone of zones) assert.equal(zoneProblem(zone), null, JSON.stringify(zone));
});

test('a zone has at most 100 points', () => {
  const circle = Array.from({ length: 101 }, (_, i) => {
    const a = (2 * Math.PI * i) / 101;
    return `[${(0.5 + 0.4 * Math.cos(a)).toFixed(4)}, ${(0.5 + 0.4 * Math.sin(a)).toFixed(4)}]`;
  });
  const subscriptions = `users:\n  - id: u1\n    devices: [{id: cam1, rules: [1], zones: {yard: [${circle.join(', ')}]}}]\n`;
  assert.deepEqual(problems(RULES, subscriptions), [
    'subscriptions.yaml: users[0].devices[0].zones.yard: has 101 items, allows at most 100',
  ]);
});
