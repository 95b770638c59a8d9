import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../src/pfs/errors.js';
import { acquireLock } from '../../src/engine/store/lock.js';
import { Store, type FileEntry } from '../../src/engine/store/store.js';
import { normalizeRepoPath, parseAncestry } from '../../src/engine/store/names.js';
import { MemoryNodeStorage } from '../../src/engine/store/mst.js';
import { applyChange, fileTrees, FileTree, type TreeChange } from '../../src/engine/store/tree.js';
import { tempDir } from '../helpers/cli.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const entry = (path: string, content: string): FileEntry => ({ path, sha256: sha(content), size: Buffer.byteLength(content) });

async function freshStore(): Promise<Store> {
  return Store.open(join(await tempDir('vigil-store-'), 'store'));
}

/** Adds each content as an object and commits them at their paths. */
async function put(store: Store, repo: string, files: Record<string, string>, branch = 'master') {
  const entries = await Promise.all(
    Object.entries(files).map(async ([path, content]) => ({ path, ...(await store.addObject(Buffer.from(content), { batch: true })) })),
  );
  return store.commit(repo, branch, { put: entries });
}

async function readAll(store: Store, repo: string, ref: string): Promise<Record<string, string>> {
  const commit = await store.resolveCommit(repo, ref);
  const out: Record<string, string> = {};
  for (const e of await store.listFiles(repo, commit.id)) out[e.path] = await readFile(store.objectPath(e.sha256), 'utf8');
  return out;
}

/** Runs `fn`, which must throw a VigilError whose message matches `pattern`. */
async function refuses(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof VigilError, `expected a VigilError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** A process id that is certainly not running: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

test('repo paths are normalized, and paths that climb out are refused', () => {
  assert.equal(normalizeRepoPath('a//b/'), '/a/b');
  assert.equal(normalizeRepoPath('/'), '/');
  assert.equal(normalizeRepoPath(''), '/');
  for (const bad of ['/../etc/passwd', '/a/../../b', '/a/./b', '..']) assert.throws(() => normalizeRepoPath(bad), /leaves its folder/);
});

test('ancestry references: ^, ^N and ~N go back that many commits', () => {
  assert.deepEqual(parseAncestry('master'), { base: 'master', back: 0 });
  assert.deepEqual(parseAncestry('master^^'), { base: 'master', back: 2 });
  assert.deepEqual(parseAncestry('master^3'), { base: 'master', back: 3 });
  assert.deepEqual(parseAncestry('abc~2^'), { base: 'abc', back: 3 });
  assert.throws(() => parseAncestry('^'), /invalid commit reference/);
});

test('a tree change puts, deletes files and folders, and refuses contradictions', () => {
  const trees = fileTrees(new MemoryNodeStorage());
  const parent = applyChange(
    trees,
    null,
    { put: [entry('/a/1.jpg', '1'), entry('/a/2.jpg', '2'), entry('/b.jpg', 'b')] },
    'raw@master',
  ).hash;
  const paths = (change: TreeChange) =>
    FileTree.open(trees, applyChange(trees, parent, change, 'raw@master').hash)
      .list()
      .map((e) => e.path);
  assert.deepEqual(paths({ put: [entry('/c/3.jpg', '3')], delete: ['/a'] }), ['/b.jpg', '/c/3.jpg']);
  assert.deepEqual(paths({ put: [entry('/x', 'x')], replace: true }), ['/x']);
  assert.deepEqual(paths({ delete: ['/a/1.jpg', '/a'] }), ['/b.jpg'], 'a folder and a file in it, in one delete');
  assert.throws(() => paths({ delete: ['/nope'] }), /nothing to delete at "\/nope" in raw@master/);
  assert.throws(() => paths({ put: [entry('/b.jpg/x', 'x')] }), /"\/b.jpg" is a file in raw@master/);
  assert.throws(() => paths({ put: [entry('/a', 'x')] }), /"\/a" is a file/);
  assert.throws(() => paths({ put: [entry('/d', 'x'), entry('d', 'y')] }), /given twice/);
  assert.throws(() => paths({ put: [entry('/e', 'x'), entry('/e/f', 'y')] }), /"\/e" is a file/);
  assert.deepEqual(paths({}), ['/a/1.jpg', '/a/2.jpg', '/b.jpg'], 'the parent tree is not modified');
});

test('repos: create, list, inspect, delete; bad names and unknown repos are named in the error', async () => {
  const store = await freshStore();
  await store.createRepo('raw', { description: 'camera frames' });
  await store.createRepo('rules');
  assert.deepEqual(
    (await store.listRepos()).map((r) => r.name),
    ['raw', 'rules'],
  );
  const raw = await store.inspectRepo('raw');
  assert.equal(raw.description, 'camera frames');
  assert.equal(raw.sizeBytes, 0);
  assert.deepEqual(raw.branches, []);

  await refuses(() => store.createRepo('raw'), /repo "raw" already exists/);
  await refuses(() => store.createRepo(''), /repo name is empty/);
  await refuses(() => store.createRepo('../x'), /invalid repo name "..\/x"/);
  await refuses(() => store.inspectRepo('framez'), /^repo "framez" not found; repos: raw, rules$/);
  await refuses(() => store.listFiles('framez', 'a'.repeat(32)), /repo "framez" not found/);

  await store.deleteRepo('rules');
  assert.deepEqual(
    (await store.listRepos()).map((r) => r.name),
    ['raw'],
  );
  await refuses(() => store.deleteRepo('rules'), /repo "rules" not found; repos: raw/);
});

test('commits are immutable: a later delete leaves older commits and their bytes as they were', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  const first = await put(store, 'raw', { '/u1-cam1/a.jpg': 'frame A', '/u1-cam1/b.jpg': 'frame B' });
  const second = await store.commit('raw', 'master', { delete: ['/u1-cam1/a.jpg'] });
  const third = await put(store, 'raw', { '/u1-cam1/b.jpg': 'frame B, retaken' });

  assert.equal(first.parent, null);
  assert.equal(second.parent, first.id);
  assert.equal(third.parent, second.id);
  assert.equal(first.sizeBytes, 14);
  assert.ok(first.started <= first.finished);
  assert.deepEqual(await readAll(store, 'raw', first.id), { '/u1-cam1/a.jpg': 'frame A', '/u1-cam1/b.jpg': 'frame B' });
  assert.deepEqual(await readAll(store, 'raw', 'master^'), { '/u1-cam1/b.jpg': 'frame B' });
  assert.deepEqual(await readAll(store, 'raw', 'master'), { '/u1-cam1/b.jpg': 'frame B, retaken' });
  assert.equal((await store.resolveCommit('raw', 'master^2')).id, first.id);
  assert.deepEqual(
    (await store.listCommits('raw')).map((c) => c.id),
    [third.id, second.id, first.id],
  );
  assert.equal((await store.headCommit('raw'))?.id, third.id);
  assert.equal((await store.inspectRepo('raw')).sizeBytes, 'frame B, retaken'.length);

  // Another store object (another process) reads the same history.
  const again = await Store.open(store.root);
  assert.deepEqual(await readAll(again, 'raw', first.id), { '/u1-cam1/a.jpg': 'frame A', '/u1-cam1/b.jpg': 'frame B' });
});

test('missing commits and branches without commits are clear errors', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  assert.equal(await store.headCommit('raw'), null);
  await refuses(() => store.resolveCommit('raw', 'master'), /repo "raw" has no commits on branch "master"/);
  await put(store, 'raw', { '/a': 'a' });
  await refuses(() => store.resolveCommit('raw', 'dev'), /no commits on branch "dev"; branches with commits: master/);
  await refuses(
    () => store.resolveCommit('raw', '0123456789abcdef0123456789abcdef'),
    /commit "0123456789abcdef0123456789abcdef" not found in repo "raw"/,
  );
  await refuses(() => store.resolveCommit('raw', 'master^'), /goes back past the first commit/);
  await refuses(() => store.listFiles('raw', 'not-an-id'), /commit "not-an-id" not found/);
});

test('branches are independent lines of commits', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  await put(store, 'raw', { '/a': 'on master' });
  const dev = await put(store, 'raw', { '/b': 'on dev' }, 'dev');
  assert.equal(dev.parent, null);
  assert.deepEqual(await readAll(store, 'raw', 'dev'), { '/b': 'on dev' });
  assert.deepEqual((await store.inspectRepo('raw')).branches, ['dev', 'master']);
  assert.equal((await store.listCommits('raw')).length, 2);
});

test('file contents are stored once, however many files and commits hold them', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  await store.createRepo('copy');
  await put(store, 'raw', { '/a.jpg': 'same bytes', '/b.jpg': 'same bytes' });
  await put(store, 'copy', { '/c.jpg': 'same bytes' });
  const direct = await store.addObject(Buffer.from('same bytes'));
  assert.equal(direct.sha256, sha('same bytes'));
  let objects = 0;
  for (const dir of await readdir(join(store.root, 'objects'))) {
    for (const name of await readdir(join(store.root, 'objects', dir))) if (dir + name === sha('same bytes')) objects++;
  }
  assert.equal(objects, 1);
});

test('provenance is recorded and must name existing commits; replace sets the whole tree', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  await store.createRepo('validated');
  const input = await put(store, 'raw', { '/u1-cam1/a.jpg': 'A', '/u1-cam1/b.jpg': 'B' });
  const out = await store.addObject(Buffer.from('{"ok":true}'));
  const made = await store.commit(
    'validated',
    'master',
    { put: [{ path: '/valid/u1-cam1/a.json', ...out }], replace: true },
    { provenance: [{ repo: 'raw', id: input.id }], description: 'job 1' },
  );
  assert.deepEqual(made.provenance, [{ repo: 'raw', id: input.id }]);
  assert.equal(made.description, 'job 1');
  assert.deepEqual((await store.resolveCommit('validated', made.id)).provenance, [{ repo: 'raw', id: input.id }]);
  await refuses(
    () => store.commit('validated', 'master', { put: [], replace: true }, { provenance: [{ repo: 'raw', id: 'f'.repeat(32) }] }),
    /commit "f{32}" not found in repo "raw"/,
  );
  assert.equal((await store.headCommit('validated'))?.id, made.id, 'a refused commit moves nothing');
  await assert.rejects(
    () => store.commit('raw', 'master', { put: [{ path: '/x', sha256: sha('never added'), size: 3 }] }),
    /not in the store/,
  );
});

test('a 10,000-file commit reads back whole in a new process, and by file and folder', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  const objects = await Promise.all(Array.from({ length: 10 }, (_, i) => store.addObject(Buffer.from(`frame ${i}`))));
  const put = Array.from({ length: 10_000 }, (_, i) => ({
    path: `/u${i % 100}-cam1/20261126T${String(i).padStart(6, '0')}Z.jpg`,
    ...objects[i % 10],
  }));
  const commit = await store.commit('raw', 'master', { put });

  // How fast is bench/store-commit.ts's business (store-list).
  const reader = await Store.open(store.root); // no cache: as a new `vigil run` process sees it
  const files = await reader.listFiles('raw', commit.id);
  assert.deepEqual(
    files.map((f) => f.path),
    put.map((p) => p.path).sort(),
  );
  assert.deepEqual([commit.fileCount, commit.sizeBytes], [10_000, put.reduce((sum, p) => sum + p.size, 0)]);
  const tree = await reader.tree('raw', commit.id);
  assert.deepEqual(await tree.get(put[1234].path), { path: put[1234].path, sha256: put[1234].sha256, size: put[1234].size });
  assert.equal(await reader.fileAt('raw', commit.id, '/u34-cam1'), null, 'a folder is no file');
  assert.equal((await tree.list('/u34-cam1')).length, 100);
  assert.ok(await tree.isFolder('/u34-cam1'));
  assert.ok(!(await tree.isFolder('/u34-cam')));
});

test('a held store lock makes another writer wait, then fail naming the holder', async () => {
  const root = await tempDir('vigil-lock-');
  const lock = join(root, 'lock');
  const release = await acquireLock(lock);
  const start = Date.now();
  await refuses(
    () => acquireLock(lock, { waitMs: 150, what: 'the store X' }),
    new RegExp(`the store X is busy: vigil process ${process.pid} on .* holds the lock`),
  );
  assert.ok(Date.now() - start >= 150);
  const waiting = acquireLock(lock, { waitMs: 5000 });
  await release();
  await (await waiting)();
});

test('a lock left by a dead process is taken over at once', async () => {
  const root = await tempDir('vigil-lock-');
  const lock = join(root, 'lock');
  await writeFile(lock, JSON.stringify({ pid: await deadPid(), host: (await import('node:os')).hostname(), since: '', token: 'gone' }));
  // waitMs 0: it must not wait for the dead holder at all.
  const release = await acquireLock(lock, { waitMs: 0 });
  await release();
  assert.deepEqual(await readdir(root), []);
});

test('open cleans what killed processes left: their temporary files and half-deleted repos', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  await put(store, 'raw', { '/a': 'a' });
  const tmp = join(store.root, 'tmp');
  const dead = await deadPid();
  await writeFile(join(tmp, `.tmp-abc.${dead}.0123456789ab`), 'half an object');
  await writeFile(join(tmp, `.tmp-def.${process.pid}.0123456789ab`), 'a live writer is still on it');
  await mkdir(join(store.root, 'repos', '.deleted-old.1234'), { recursive: true });
  // A commit record that no head reaches: its process was killed before it moved the branch.
  const head = (await store.headCommit('raw'))!;
  const record = JSON.parse(await readFile(join(store.root, 'repos', 'raw', 'commits', `${head.id}.json`), 'utf8'));
  await writeFile(
    join(store.root, 'repos', 'raw', 'commits', `${'e'.repeat(32)}.json`),
    JSON.stringify({ ...record, id: 'e'.repeat(32), parent: head.id }),
  );

  const reopened = await Store.open(store.root);
  assert.deepEqual(await readdir(tmp), [`.tmp-def.${process.pid}.0123456789ab`]);
  assert.deepEqual(await readdir(join(store.root, 'repos')), ['raw']);
  assert.deepEqual(
    (await reopened.listCommits('raw')).map((c) => c.id),
    [head.id],
  );
  assert.equal((await reopened.headCommit('raw'))?.id, head.id);
});

test('concurrent commits to one branch from one process all land, in a single line', async () => {
  const store = await freshStore();
  await store.createRepo('raw');
  const other = await Store.open(store.root);
  await Promise.all(Array.from({ length: 12 }, (_, i) => put(i % 2 ? store : other, 'raw', { [`/f${i}`]: `file ${i}` })));
  const commits = await store.listCommits('raw');
  assert.equal(commits.length, 12);
  for (let i = 0; i < commits.length - 1; i++) assert.equal(commits[i].parent, commits[i + 1].id);
  assert.equal(Object.keys(await readAll(store, 'raw', 'master')).length, 12);
});

test('a commit id chosen beforehand is used once: commits are immutable', async () => {
  const store = await freshStore();
  await store.createRepo('out');
  const id = 'c'.repeat(32);
  const made = await store.commit('out', 'master', { put: [], replace: true }, { id });
  assert.equal(made.id, id);
  await assert.rejects(() => store.commit('out', 'master', { put: [], replace: true }, { id }), /already exists; commits are immutable/);
  assert.deepEqual(
    (await store.listCommits('out')).map((c) => c.id),
    [id],
  );
});
