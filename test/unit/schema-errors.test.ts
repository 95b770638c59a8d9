/**
 * The one way a refused document is explained (specs/errors.ts), on Vigil's schemas and on
 * Pachyderm's CreatePipelineRequest schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeErrors, Problems, readablePath, validatorFor, type SchemaName } from '../../specs/index.js';
import { officialValidator } from '../../src/engine/pps/spec.js';
import { VigilError } from '../../src/pfs/errors.js';
import { defaultModelConfig } from '../../steps/detect/default-model.js';

/** The lines explaining why `name`'s schema refuses `value`. */
function problems(name: SchemaName, value: unknown, where = 'doc.yaml'): string[] {
  const validate = validatorFor(name);
  assert.equal(validate(value), false, 'the document should be refused');
  return describeErrors(where, validate.errors);
}

const RULE = { id: 1, name: 'Dogs', classes: ['dog'] };
const MODEL = defaultModelConfig(Buffer.from('[]'));

test('an unknown field lists the fields there are, and suggests the one a few letters off', () => {
  assert.deepEqual(problems('rules', { rules: [{ ...RULE, minscore: 0.8 }] }, 'rules.yaml'), [
    'rules.yaml: rules[0]: unknown field "minscore" (did you mean "minScore"?); fields: id, name, classes, minScore, minArea, maxArea, zones, excludeZones, minCount, schedule, severity, cooldown',
  ]);
  // Swapped letters count as one slip; a field like none of them gets no guess.
  assert.match(problems('alert-targets', { emial: ['a@example.com'] })[0]!, /unknown field "emial" \(did you mean "email"\?\)/);
  assert.deepEqual(problems('validate-config', { colour: true }), [
    'doc.yaml: unknown field "colour"; fields: formats, minSide, maxSide, maxBytes, minLumaStdDev, maxFutureSeconds, minCapturedAt, maxAgeSeconds, outputMaxSide, jpegQuality',
  ]);
});

test('a wrong type, a missing field, a value out of range and one not in an enum show the value and what would do', () => {
  assert.deepEqual(problems('validate-config', { minSide: 'big', maxSide: -1 }), [
    'doc.yaml: minSide: "big" must be integer',
    'doc.yaml: maxSide: -1 is out of range: must be >= 1',
  ]);
  assert.deepEqual(problems('rules', { rules: [{ id: 1, name: 'Dogs', severity: 'high' }] }, 'rules.yaml'), [
    'rules.yaml: rules[0]: missing field "classes"',
    'rules.yaml: rules[0].severity: "high" is not one of critical, error, warning, info',
  ]);
});

test('paths read as the YAML is written: indexes in brackets, odd keys quoted', () => {
  const subscriptions = {
    users: [
      {
        id: 'u1',
        devices: [
          {
            id: 'cam1',
            rules: [1],
            zones: {
              yard: [
                [0.1, 0.5],
                [1.4, 0.5],
                [0.4, 1],
              ],
            },
          },
        ],
      },
    ],
  };
  assert.deepEqual(problems('subscriptions', subscriptions, 'subscriptions.yaml'), [
    'subscriptions.yaml: users[0].devices[0].zones.yard[1][0]: 1.4 is out of range: must be <= 1',
  ]);
  assert.equal(readablePath(['zones', 'front door', 0]), 'zones["front door"][0]');
  assert.equal(readablePath([]), '');
});

test('of alternatives, only those of the value type speak; when none is, one line names the types', () => {
  assert.deepEqual(problems('model-config', { ...MODEL, labels: 5 }), ['doc.yaml: labels: 5 must be array or string']);
  assert.deepEqual(problems('model-config', { ...MODEL, labels: ['person', 7] }), ['doc.yaml: labels[1]: 7 must be string']);
});

test("Pachyderm's oneOf-null fields read as their one type, with no null or oneOf noise", () => {
  const validate = officialValidator();
  const spec = {
    pipeline: { name: 'p' },
    input: { cross: { pfs: { repo: 'raw' } } },
    transform: { cmd: 'sh', acceptReturnCode: ['x'], datumBatchin: true },
    parallelismSpec: { constant: 1.5 },
  };
  assert.equal(validate(spec), false);
  assert.deepEqual(describeErrors('spec.yaml', validate.errors), [
    'spec.yaml: transform: unknown field "datumBatchin" (did you mean "datumBatching"?); fields: image, cmd, errCmd, env, secrets, imagePullSecrets, stdin, errStdin, acceptReturnCode, debug, user, workingDir, dockerfile, memoryVolume, datumBatching',
    'spec.yaml: transform.cmd: "sh" must be array',
    'spec.yaml: transform.acceptReturnCode[0]: "x" must be integer',
    'spec.yaml: parallelismSpec.constant: 1.5 must be integer',
    'spec.yaml: input.cross: {"pfs":{"repo":"raw"}} must be array',
  ]);
});

test('Problems collects lines from schemas and from other checks, and throws them as one VigilError', () => {
  const found = new Problems();
  found.throwIfAny();
  const validate = validatorFor('rules');
  assert.equal(validate({ rules: [{ ...RULE, id: -1 }] }), false);
  found.addErrors('rules.yaml', validate.errors);
  found.add('subscriptions.yaml', ['users', 0, 'devices', 1, 'rules', 0], 'rule 300 is not in rules.yaml; rules: 1');
  found.add('subscriptions.yaml', [], 'the file is empty');
  assert.throws(
    () => found.throwIfAny(),
    (e: unknown) => {
      assert.ok(e instanceof VigilError);
      assert.equal(
        e.message,
        [
          'rules.yaml: rules[0].id: -1 is out of range: must be >= 0',
          'subscriptions.yaml: users[0].devices[1].rules[0]: rule 300 is not in rules.yaml; rules: 1',
          'subscriptions.yaml: the file is empty',
        ].join('\n'),
      );
      return true;
    },
  );
});
