import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePipelineSpecs } from '../../src/engine/pps/spec.js';
import { VigilError } from '../../src/pfs/errors.js';

function rejects(text: string, pattern: RegExp): void {
  assert.throws(
    () => parsePipelineSpecs(text, 'spec.yaml'),
    (e: unknown) => {
      assert.ok(e instanceof VigilError, String(e));
      assert.match(e.message, pattern);
      return true;
    },
  );
}

const BASE = 'pipeline: {name: p}\ninput: {pfs: {repo: raw, glob: "/*"}}\n';

describe('pipeline specs', () => {
  test('YAML and JSON, one or several documents, snake_case or camelCase, with Pachyderm defaults', () => {
    const yaml = `${BASE}transform:\n  cmd: [vigil, step, validate]\n  datum_batching: true\n  err_cmd: ['true']\n  env: {MY_SETTING_1: x}\nparallelism_spec: {constant: 2}\ndatum_timeout: 1.5s\n---\npipeline: {name: q}\ninput: {pfs: {repo: p, glob: /, name: upstream}}\ntransform: {cmd: [sh]}\n`;
    const [p, q] = parsePipelineSpecs(yaml, 'spec.yaml');
    assert.deepEqual(p!.input, { pfs: { name: 'raw', repo: 'raw', branch: 'master', glob: '/*' } });
    assert.deepEqual(p!.transform.cmd, ['vigil', 'step', 'validate']);
    assert.equal(p!.transform.datumBatching, true);
    assert.deepEqual(p!.transform.errCmd, ['true']);
    assert.deepEqual(p!.transform.env, { MY_SETTING_1: 'x' }, 'env names are data, not field names');
    assert.equal(p!.parallelism, 2);
    assert.equal(p!.datumTimeoutMs, 1500);
    assert.equal(p!.datumTries, 3);
    assert.deepEqual(q!.input, { pfs: { name: 'upstream', repo: 'p', branch: 'master', glob: '/' } });
    const json = [
      {
        pipeline: { name: 'p' },
        input: { pfs: { repo: 'raw', glob: '/*' } },
        transform: { cmd: ['vigil', 'step', 'validate'], datumBatching: true, errCmd: ['true'], env: { MY_SETTING_1: 'x' } },
        parallelismSpec: { constant: 2 },
        datumTimeout: '1.5s',
      },
      { pipeline: { name: 'q' }, input: { pfs: { repo: 'p', glob: '/', name: 'upstream' } }, transform: { cmd: ['sh'] } },
    ]
      .map((d) => JSON.stringify(d, null, 2))
      .join('\n');
    const fromJson = parsePipelineSpecs(json, 'spec.json');
    assert.deepEqual(
      fromJson.map((s) => ({ ...s, request: undefined })),
      [p, q].map((s) => ({ ...s, request: undefined })),
    );
  });

  test("Pachyderm's schema rejects unknown fields and wrong types, naming them", () => {
    rejects(
      `${BASE}transform: {cmd: [sh], cmdd: [x]}`,
      /spec\.yaml: transform: unknown field "cmdd" \(did you mean "cmd"\?\); fields: image, cmd, errCmd, /,
    );
    rejects(`${BASE}transform: {cmd: [sh]}\ninput_typo: 1`, /unknown field "inputTypo"/);
    rejects(`${BASE}transform: {cmd: sh}`, /transform\.cmd: "sh" must be array$/);
    rejects(`${BASE}transform: {cmd: [sh]}\ndatumTimeout: 5m`, /datumTimeout: "5m" must match \^/);
    rejects(`${BASE}transform: {cmd: [sh], err_cmd: [a], errCmd: [b]}`, /transform\.errCmd is given twice/);
  });

  test("the engine's own rules", () => {
    rejects(
      'pipeline: {name: p}\ninput: {cross: [{pfs: {repo: raw, glob: "/*"}}, {pfs: {repo: raw, glob: "/"}}]}\ntransform: {cmd: [sh]}',
      /input name "raw" is used twice/,
    );
    assert.equal(
      parsePipelineSpecs(
        'pipeline: {name: p}\ninput: {union: [{pfs: {repo: a, glob: "/*", name: x}}, {pfs: {repo: b, glob: "/*", name: x}}]}\ntransform: {cmd: [sh]}',
        'u',
      ).length,
      1,
      'union branches may share a name',
    );
    rejects(
      'pipeline: {name: p}\ninput: {pfs: {repo: raw, glob: "/*", name: out}}\ntransform: {cmd: [sh]}',
      /"out" cannot be an input name/,
    );
    rejects(
      'pipeline: {name: p}\ninput: {pfs: {repo: raw, glob: "/*", name: .env}}\ntransform: {cmd: [sh]}',
      /".env" cannot be an input name/,
    );
    rejects(
      'pipeline: {name: p}\ninput: {cron: {name: tick, spec: "@every 1x"}}\ntransform: {cmd: [sh]}',
      /input\.cron\.spec: "@every 1x"/,
    );
    rejects('pipeline: {name: p}\ninput: {cron: {name: tick, spec: "61 * * * *"}}\ntransform: {cmd: [sh]}', /"61" is out of range 0-59/);
    rejects(
      'pipeline: {name: p}\ninput: {cross: [null, {pfs: {repo: raw, glob: "/*"}}]}\ntransform: {cmd: [sh]}',
      /spec\.yaml: input\.cross\[0\] is empty/,
    );
    rejects(`${BASE}transform: {image: x}`, /transform\.cmd is required/);
    rejects('input: {pfs: {repo: raw, glob: "/*"}}\ntransform: {cmd: [sh]}', /pipeline\.name is required/);
  });
});
