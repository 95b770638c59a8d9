import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { commitFiles, createPipelines, parseRaw, pfs, shellPipeline } from '../helpers/engine.js';

test('create pipeline checks input repos and cycles against the store; delete refuses to break readers', async () => {
  const root = await tempDir();
  const missing = join(await tempDir(), 'p.json');
  await writeFile(missing, JSON.stringify(shellPipeline('p', pfs('framez', '/*'), 'true')));
  await commitFiles(root, 'raw', { '/a': 'a' });
  let r = await vigil(['create', 'pipeline', '-f', missing], { root });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /input repo "framez" not found; repos: raw/);

  await createPipelines(root, shellPipeline('a', pfs('raw', '/*'), 'true'), shellPipeline('b', pfs('a', '/*'), 'true'));
  const again = join(await tempDir(), 'a.json');
  await writeFile(again, JSON.stringify(shellPipeline('a', pfs('raw', '/*'), 'true')));
  r = await vigil(['create', 'pipeline', '-f', again], { root });
  assert.match(r.stderr, /pipeline "a" already exists; use `vigil update pipeline`/);

  await writeFile(again, JSON.stringify(shellPipeline('a', pfs('b', '/*'), 'true')));
  r = await vigil(['update', 'pipeline', '-f', again], { root });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pipelines form a cycle: (a → b → a|b → a → b)/);

  r = await vigil(['delete', 'pipeline', 'a'], { root });
  assert.match(r.stderr, /cannot delete pipeline "a": pipeline b reads its output/);
  r = await vigil(['delete', 'repo', 'raw'], { root });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pipeline a\b/);

  await vigilOk(['delete', 'pipeline', 'b'], { root });
  const repos = parseRaw(await vigilOk(['list', 'repo', '--raw'], { root })).map((x) => x.repo.name);
  assert.deepEqual(repos.sort(), ['a', 'raw'], "a pipeline's output repo goes with it");
  const pipelines = parseRaw(await vigilOk(['list', 'pipeline', '--raw'], { root }));
  assert.deepEqual(
    pipelines.map((p) => [p.pipeline.name, Number(p.version), p.details.input.pfs.repo]),
    [['a', 1, 'raw']],
  );
});
