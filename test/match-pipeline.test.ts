import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import { parse } from 'yaml';
import { packageRoot } from '../src/pfs/package-root.js';

/** Draft-04 ignores keywords beside `$ref` (as Pachyderm's own validator does); Ajv would apply them, so they are dropped. */
function refSiblingsDropped(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(refSiblingsDropped);
  if (node === null || typeof node !== 'object') return node;
  if ('$ref' in node) return { $ref: (node as { $ref: string }).$ref };
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, refSiblingsDropped(v)]));
}

test("pipelines/matches.yaml is a valid Pachyderm CreatePipelineRequest crossing detections, rules and models", async () => {
  const root = packageRoot();
  const schema = JSON.parse(await readFile(join(root, 'specs', 'pachyderm', 'CreatePipelineRequest.schema.json'), 'utf8'));
  const AjvDraft04 = Ajv04 as unknown as typeof Ajv04.default;
  const validate = new AjvDraft04({ allErrors: true, strict: false, logger: false }).compile({ ...schema, definitions: refSiblingsDropped(schema.definitions) });
  const spec = parse(await readFile(join(root, 'pipelines', 'matches.yaml'), 'utf8')) as {
    pipeline: { name: string };
    input: { cross: Array<{ pfs: unknown }> };
    transform: Record<string, unknown>;
  };
  assert.ok(validate(spec), JSON.stringify(validate.errors, null, 2));
  assert.equal(validate({ ...spec, transform: { ...spec.transform, cmdd: [] } }), false, 'the schema check must refuse an unknown field');

  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  assert.equal(spec.pipeline.name, 'matches');
  assert.deepEqual(spec.input.cross.map((i) => i.pfs), [
    { name: 'detections', repo: 'detections', glob: '/*/*' },
    { name: 'rules', repo: 'rules', glob: '/' },
    { name: 'models', repo: 'models', glob: '/' },
  ]);
  assert.deepEqual(spec.transform, { image: `vigil/vigil:${version}`, cmd: ['vigil', 'step', 'match'], datumBatching: true });
});
