/**
 * Store.setBranchHead: moving a branch to an existing commit, as `pachctl create branch
 * repo@branch --head <commit>` does (pachyderm src/server/pfs/server/driver.go, createBranch):
 * what `vigil model promote` and `rollback` are made of.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../src/pfs/errors.js';
import { Store } from '../../src/engine/store/store.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';

async function put(store: Store, repo: string, branch: string, files: Record<string, string>) {
  const put = await Promise.all(
    Object.entries(files).map(async ([path, text]) => ({ path, ...(await store.addObject(Buffer.from(text))) })),
  );
  return store.commit(repo, branch, { put });
}

async function text(store: Store, repo: string, ref: string, path: string): Promise<string> {
  const commit = await store.resolveCommit(repo, ref);
  const entry = (await store.listFiles(repo, commit.id)).find((e) => e.path === path);
  assert.ok(entry, `${repo}@${ref}:${path} exists`);
  return readFile(store.objectPath(entry.sha256), 'utf8');
}

test('a branch moves to a commit of another branch and back, and new commits continue from its head', async () => {
  const store = await Store.open(join(await tempDir('vigil-branch-'), 'store'));
  await store.createRepo('models');
  const v1 = await put(store, 'models', 'master', { '/m/model.yaml': 'v1' });
  const v2 = await put(store, 'models', 'candidate', { '/m/model.yaml': 'v2' });

  const moved = await store.setBranchHead('models', 'master', 'candidate');
  assert.equal(moved.id, v2.id);
  assert.equal((await store.headCommit('models', 'master'))?.id, v2.id);
  assert.equal(await text(store, 'models', 'master', '/m/model.yaml'), 'v2');

  // The previous head is still a commit (immutable), and one call brings it back.
  await store.setBranchHead('models', 'master', v1.id);
  assert.equal(await text(store, 'models', 'master', '/m/model.yaml'), 'v1');

  // A commit on the moved branch has its head as parent; a new branch can start at a commit.
  await store.setBranchHead('models', 'master', v2.id);
  const v3 = await put(store, 'models', 'master', { '/m/labels.json': '[]' });
  assert.equal(v3.parent, v2.id);
  assert.equal(await text(store, 'models', 'master', '/m/model.yaml'), 'v2');
  const previous = await store.setBranchHead('models', 'previous', 'master^');
  assert.equal(previous.id, v2.id);
  assert.deepEqual((await store.inspectRepo('models')).branches, ['candidate', 'master', 'previous']);
  // No branch reaches v1 now, but a commit is never lost: its id still names it.
  assert.equal((await store.resolveCommit('models', v1.id)).id, v1.id);
});

test('moving a branch to a commit that does not exist is refused and leaves the branch where it was', async () => {
  const store = await Store.open(join(await tempDir('vigil-branch-'), 'store'));
  await store.createRepo('models');
  await store.createRepo('other');
  const v1 = await put(store, 'models', 'master', { '/a': '1' });
  const elsewhere = await put(store, 'other', 'master', { '/b': '2' });
  const refused = async (fn: () => Promise<unknown>, pattern: RegExp) =>
    assert.rejects(fn, (e: unknown) => e instanceof VigilError && pattern.test(e.message));
  await refused(() => store.setBranchHead('models', 'master', 'f'.repeat(32)), /commit "f{32}" not found in repo "models"/);
  await refused(() => store.setBranchHead('models', 'master', elsewhere.id), /not found in repo "models"/);
  await refused(() => store.setBranchHead('models', 'master', 'nobranch'), /no commits on branch "nobranch"/);
  await refused(() => store.setBranchHead('models', 'bad/name', v1.id), /invalid branch name/);
  await refused(() => store.setBranchHead('nope', 'master', v1.id), /repo "nope" not found/);
  assert.equal((await store.headCommit('models'))?.id, v1.id);
});

test('vigil create branch REPO@BRANCH --head REF moves the branch; a bad argument is a clear error', async () => {
  const root = join(await tempDir('vigil-branch-'), 'store');
  const store = await Store.open(root);
  await store.createRepo('models');
  const v1 = await put(store, 'models', 'master', { '/a': '1' });
  await put(store, 'models', 'master', { '/a': '2' });
  assert.equal(await vigilOk(['create', 'branch', 'models@master', '--head', 'master^'], { root }), `models@master -> ${v1.id}\n`);
  assert.equal(await text(await Store.open(root), 'models', 'master', '/a'), '1');
  const noBranch = await vigil(['create', 'branch', 'models', '--head', v1.id], { root });
  assert.equal(noBranch.code, 1);
  assert.match(noBranch.stderr, /"models" names no branch; write REPO@BRANCH/);
});
