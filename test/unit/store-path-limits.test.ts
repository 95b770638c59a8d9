/**
 * Paths a repo refuses because no step's filesystem could hold them: a name over 255 bytes
 * (NAME_MAX), a path over 1024 bytes. Every commit checks the paths it puts (applyChange), so
 * `vigil put file`, a pipeline's output and any writer through the Store API are refused alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NAME_BYTES, MAX_PATH_BYTES, checkPathLength } from '../../src/engine/store/names.js';
import { MemoryNodeStorage } from '../../src/engine/store/mst.js';
import { applyChange, FileTree, fileTrees } from '../../src/engine/store/tree.js';
import { VigilError } from '../../src/pfs/errors.js';

const entry = (path: string) => ({ path, sha256: 'a'.repeat(64), size: 1 });
const trees = fileTrees(new MemoryNodeStorage());
/** The paths of the tree a change to `base` makes. */
const paths = (base: string | null, change: Parameters<typeof applyChange>[2]) =>
  FileTree.open(trees, applyChange(trees, base, change, 'raw@master').hash)
    .list()
    .map((e) => e.path);

test('a name of 255 bytes is put; 256 bytes are refused, naming the path and the limit', () => {
  const longest = `/u1-cam1/${'x'.repeat(MAX_NAME_BYTES - 4)}.jpg`;
  assert.deepEqual(paths(null, { put: [entry(longest)] }), [longest]);
  const over = `/u1-cam1/${'x'.repeat(MAX_NAME_BYTES - 3)}.jpg`;
  assert.throws(
    () => applyChange(trees, null, { put: [entry(over)] }, 'raw@master'),
    (e: Error) =>
      e instanceof VigilError &&
      e.message ===
        `path "${over}" in raw@master has a name of 256 bytes; a file or folder name is at most 255 bytes (the filesystem's limit)`,
  );
});

test('names are measured in bytes, not characters; a path over 1024 bytes is refused', () => {
  // 128 two-byte characters: 128 characters, 256 bytes.
  assert.throws(() => checkPathLength(`/${'é'.repeat(128)}`, 'raw@master'), /has a name of 256 bytes/);
  checkPathLength(`/${'é'.repeat(127)}`, 'raw@master');
  const deep = `/${Array.from({ length: 6 }, () => 'd'.repeat(200)).join('/')}/x.jpg`;
  assert.ok(Buffer.byteLength(deep) > MAX_PATH_BYTES);
  assert.throws(
    () => applyChange(trees, null, { put: [entry(deep)] }, 'raw@master'),
    new RegExp(`is ${Buffer.byteLength(deep)} bytes long; a path is at most 1024 bytes`),
  );
});

test('a path already in the parent tree is carried, not checked again: an old store stays readable', () => {
  // An old store's tree, written before the check: made below applyChange.
  const edit = trees.edit(null);
  edit.put(`/${'o'.repeat(300)}.jpg`, { sha256: 'a'.repeat(64), size: 1 });
  const old = edit.persist().hash;
  assert.deepEqual(
    paths(old, { put: [entry('/new.jpg')] }).map((p) => p.length),
    [8, 305],
  );
});
