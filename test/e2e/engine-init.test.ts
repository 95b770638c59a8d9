import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { parseRaw } from '../helpers/engine.js';

const alpha = (cmd: string) => `pipeline: {name: alpha}\ninput: {pfs: {repo: zeta, glob: "/*"}}\ntransform: {cmd: [sh, -c, "${cmd}"]}\n`;
const ZETA =
  'pipeline: {name: zeta}\ninput: {cross: [{pfs: {repo: raw, glob: "/*"}}, {pfs: {repo: models, glob: "/"}}]}\ntransform: {cmd: [sh, -c, "true"]}\n';

test('vigil init creates the input repos, the default model and the pipelines upstream first; again, it changes only what changed', async () => {
  const root = await tempDir();
  const dir = await tempDir('vigil-pipelines-');
  await writeFile(join(dir, 'alpha.yaml'), alpha('true'));
  await writeFile(join(dir, 'zeta.yml'), ZETA);
  await writeFile(join(dir, 'README.md'), 'not a spec');

  let out = await vigilOk(['init', '--pipelines', dir], { root });
  assert.match(out, /repo raw: created\nrepo rules: created\nrepo models: created\n/);
  assert.match(out, /models: (default detector committed|no default detector committed)/);
  assert.ok(out.indexOf('pipeline zeta: created') < out.indexOf('pipeline alpha: created'), out);
  const repos = parseRaw(await vigilOk(['list', 'repo', '--raw'], { root }))
    .map((r) => r.repo.name)
    .sort();
  assert.deepEqual(repos, ['alpha', 'eval', 'models', 'raw', 'rules', 'zeta']);

  await writeFile(join(dir, 'alpha.yaml'), alpha('echo changed'));
  out = await vigilOk(['init', '--pipelines', dir], { root });
  assert.doesNotMatch(out, /repo .*: created/);
  assert.match(out, /pipeline zeta: unchanged\npipeline alpha: updated \(version 2\)/);
});

test("vigil init sets up every pipeline of the project's own pipelines/", async () => {
  const root = await tempDir();
  await vigilOk(['init'], { root });
  const files = (await readdir(join(packageRoot(), 'pipelines'))).filter((f) => /\.(ya?ml|json)$/.test(f));
  const pipelines = parseRaw(await vigilOk(['list', 'pipeline', '--raw'], { root })).map((p) => p.pipeline.name);
  assert.equal(pipelines.length, files.length);
  for (const p of parseRaw(await vigilOk(['list', 'pipeline', '--raw'], { root }))) {
    assert.equal(p.details.transform.image, 'vigil/vigil:0.1.0', 'cluster-only fields are kept');
  }
});
