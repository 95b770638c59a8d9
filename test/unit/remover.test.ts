import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Remover } from '../../src/engine/worker/remover.js';
import { tempDir } from '../helpers/cli.js';

test('the remover deletes whole trees off the event loop, and close waits for every one', async () => {
  const dir = await tempDir();
  const trees = Array.from({ length: 40 }, (_, i) => join(dir, `w0.out-${i}`));
  for (const tree of trees) {
    await mkdir(join(tree, 'valid', 'u1-cam1'), { recursive: true });
    await writeFile(join(tree, 'valid', 'u1-cam1', '20261126T041500Z.jpg'), 'jpeg');
  }
  const remover = new Remover();
  for (const tree of trees) remover.remove(tree);
  remover.remove(join(dir, 'never-there')); // already gone: no error
  await remover.close();
  assert.deepEqual(await readdir(dir), []);
});
