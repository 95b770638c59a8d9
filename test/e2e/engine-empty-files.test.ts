import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { commitFiles, createPipelines, pfs, readTree, run, shellPipeline } from '../helpers/engine.js';

// emptyFiles and lazy as on Pachyderm. Followed: pachyderm/pachyderm src/server/worker/datum/
// datum.go (handleSymlinks: a symbolic link in /pfs/out to a file of an emptyFiles or lazy
// input is stored as a copy of that input file) and src/internal/pfssync/sync.go (emptyFiles:
// the step sees empty files; lazy: the files' contents, fetched as they are read).

test('emptyFiles: the step sees empty files, and a link to one in out/ stores the input file itself', async () => {
  const root = await tempDir();
  await commitFiles(root, 'raw', { '/a.txt': 'alpha', '/b.txt': 'beta' });
  const script = 'n=$(basename "$raw" .txt); wc -c < "$raw" | tr -d " " > "$PFS_ROOT/out/$n.size"; ln -s "$raw" "$PFS_ROOT/out/$n.link"';
  await createPipelines(
    root,
    shellPipeline('empty', pfs('raw', '/*', { emptyFiles: true }), script),
    shellPipeline('lazy', pfs('raw', '/*', { lazy: true }), script),
  );
  const r = await run(root);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await readTree(root, 'empty'), {
    '/a.link': 'alpha',
    '/a.size': '0\n',
    '/b.link': 'beta',
    '/b.size': '0\n',
  });
  assert.deepEqual(await readTree(root, 'lazy'), {
    '/a.link': 'alpha',
    '/a.size': '5\n',
    '/b.link': 'beta',
    '/b.size': '4\n',
  });
});
