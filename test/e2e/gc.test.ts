/**
 * `vigil gc` beside `vigil run` and the collector (`vigil serve`), and `vigil squash commit`.
 * Unreferenced objects (a deleted repo's, a squashed commit's) are deleted; nothing a commit, a
 * job's datum state or an in-flight commit needs is, even when the collector stores again the
 * very bytes of an object being collected (the claim in objects.ts); the store passes `vigil
 * fsck` after. Squash follows Pachyderm's squashCommit (src/server/pfs/server/server_commit.go).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { Store } from '../../src/engine/store/store.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { commitFiles, createPipelines, listDatums, listJobs, pfs, shellPipeline } from '../helpers/engine.js';
import { addDevice, sendFrame, startServer } from '../helpers/serve.js';

const FIXTURE = await readFile(join(packageRoot(), 'test', 'fixtures', 'cat_det.jpg'));

/** A distinct JPEG: the fixture with a comment segment naming `label`. */
function frame(label: string): Buffer {
  const text = Buffer.from(label, 'latin1');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(text.length + 2);
  return Buffer.concat([FIXTURE.subarray(0, 2), Buffer.from([0xff, 0xfe]), length, text, FIXTURE.subarray(2)]);
}

/** Sets every object's mtime two hours back: objects older than any grace period. */
async function ageObjects(root: string): Promise<void> {
  const old = new Date(Date.now() - 2 * 3_600_000);
  for (const entry of await readdir(join(root, 'objects'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) await utimes(join(entry.parentPath, entry.name), old, old);
  }
}

/** Every object some commit of some repo names that is not on disk. */
async function missingObjects(root: string): Promise<string[]> {
  const store = await Store.open(root);
  const missing: string[] = [];
  for (const repo of await store.listRepos()) {
    for (const commit of await store.listCommits(repo.name)) {
      for (const f of await store.listFiles(repo.name, commit.id)) {
        if (!existsSync(store.objectPath(f.sha256))) missing.push(`${repo.name}@${commit.id}:${f.path}`);
      }
    }
  }
  return missing;
}

const tsAgo = (seconds: number) => formatTimestamp(new Date(Math.floor(Date.now() / 1000 - seconds) * 1000));

test('vigil gc beside vigil run and the collector: unreferenced objects go, nothing in use does, fsck passes', {
  timeout: 600_000,
}, async () => {
  const root = await tempDir('vigil-gc-');
  const first = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`/u1-cam1/${tsAgo(7200 + i)}.jpg`, frame(`first-${i}`)]));
  const store = await Store.open(root);
  await store.createRepo('raw');
  const put = [];
  for (const [path, bytes] of Object.entries(first)) put.push({ path, ...(await store.addObject(bytes)) });
  await store.commit('raw', 'master', { put });
  await createPipelines(root, shellPipeline('copies', pfs('raw', '/*/*'), 'cp "$raw" "$PFS_ROOT/out/"'));
  await vigilOk(['run'], { root });

  // Garbage: a deleted repo's files, half of them the bytes of frames the collector will take again.
  const again = Array.from({ length: 20 }, (_, i) => frame(`again-${i}`));
  const junk = Array.from({ length: 20 }, (_, i) => Buffer.from(`junk ${i}\n`));
  await store.createRepo('scratch');
  const scratch = [];
  for (const [i, bytes] of again.entries()) scratch.push({ path: `/again/${i}.jpg`, ...(await store.addObject(bytes)) });
  for (const [i, bytes] of junk.entries()) scratch.push({ path: `/junk/${i}`, ...(await store.addObject(bytes)) });
  await store.commit('scratch', 'master', { put: scratch });
  const againShas = again.map((b) => sha256(b));
  await vigilOk(['delete', 'repo', 'scratch'], { root });
  await ageObjects(root);

  const server = await startServer(root, ['--no-pipelines', '--housekeeping-hours', '0']);
  try {
    const token = await addDevice(root, 'u1-cam1');
    const sent: Record<string, Buffer> = {};
    const fresh = Array.from({ length: 20 }, (_, i) => frame(`fresh-${i}`));
    let sending = true;
    const collector = (async () => {
      for (const [i, bytes] of [...again, ...fresh].entries()) {
        const path = `u1-cam1/${tsAgo(3600 - i)}.jpg`;
        const r = await sendFrame(server.url, token, path, bytes);
        assert.equal(r.status, 201, JSON.stringify(r.json));
        sent[`/${path}`] = bytes;
      }
      sending = false;
    })();
    const runs = (async () => {
      const deadline = Date.now() + 300_000;
      while (sending && Date.now() < deadline) await vigilOk(['run'], { root });
    })();
    const collections: string[] = [];
    const gcs = (async () => {
      const deadline = Date.now() + 300_000;
      while (sending && Date.now() < deadline) collections.push(await vigilOk(['gc', '--grace', '1m'], { root }));
    })();
    await Promise.all([collector, runs, gcs]);
    assert.ok(collections.length > 0, 'gc ran while frames arrived');
    assert.ok(
      collections.some((out) => /^deleted [1-9]\d* of \d+ objects/.test(out)),
      `a collection deleted something:\n${collections.join('')}`,
    );

    await vigilOk(['run'], { root });
    collections.push(await vigilOk(['gc', '--grace', '1m'], { root }));

    // Nothing in use is gone: every file of every commit, the pipeline's output and its datum state.
    assert.deepEqual(await missingObjects(root), []);
    const copies = await store.listFiles('copies', (await store.headCommit('copies'))!.id);
    const expected = { ...first, ...sent };
    assert.deepEqual(
      copies.map((f) => [f.path, f.sha256]),
      Object.entries(expected)
        .map(([path, bytes]) => [`/${path.split('/').pop()}`, sha256(bytes)])
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const [lastJob] = await listJobs(root, 'copies');
    // The datum state the next job plans from is whole: one datum per frame.
    assert.equal((await listDatums(root, `copies@${lastJob!.job.id}`)).length, Object.keys(expected).length);
    for (const sha of againShas) assert.ok(existsSync(store.objectPath(sha)), `frame ${sha} stored again is there`);
    // Unreferenced objects are gone.
    for (const bytes of junk) assert.equal(existsSync(store.objectPath(sha256(bytes))), false, "a deleted repo's object stays");

    // `vigil fsck` comes with the store checks (issue 18); run it where this build has it.
    if (/^\s*vigil fsck\b/m.test(await vigilOk(['--help'], { root }))) {
      const fsck = await vigil(['fsck'], { root });
      assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
    }
  } finally {
    await server.stop();
  }
});

test('vigil squash commit: the commit leaves history, its children keep their files, gc frees what only it held', {
  timeout: 120_000,
}, async () => {
  const root = await tempDir('vigil-squash-');
  await commitFiles(root, 'hist', { '/a': 'version 1\n', '/keep': 'kept\n' });
  await commitFiles(root, 'hist', { '/a': 'version 2\n' });
  await commitFiles(root, 'hist', { '/a': 'version 3\n' });
  const store = await Store.open(root);
  const [v3, v2, v1] = await store.listCommits('hist');

  // Pachyderm refuses to squash a commit without children (ErrSquashWithoutChildren) and one with subvenance unless recursive.
  const head = await vigil(['squash', 'commit', 'hist@master'], { root });
  assert.equal(head.code, 1);
  assert.match(head.stderr, /cannot squash commit hist@\w+: it has no children \(it is the head of hist@master\)/);
  await createPipelines(root, shellPipeline('copy', pfs('hist', '/a'), 'cp "$hist" "$PFS_ROOT/out/"'));
  await vigilOk(['run'], { root });
  await commitFiles(root, 'hist', { '/a': 'version 4\n' });
  await vigilOk(['run'], { root });
  const withOutput = await vigil(['squash', 'commit', `hist@${v3!.id}`], { root });
  assert.equal(withOutput.code, 1);
  assert.match(withOutput.stderr, new RegExp(`cannot squash commit hist@${v3!.id} with subvenance without --recursive: copy@\\w+`));

  const squashed = await vigilOk(['squash', 'commit', `hist@${v2!.id}`], { root });
  assert.match(squashed, new RegExp(`squashed hist@${v2!.id}`));
  const after = await (await Store.open(root)).listCommits('hist'); // a store opened after the squash
  assert.equal(after.length, 3);
  assert.ok(!after.some((c) => c.id === v2!.id), 'the squashed commit is gone from the history');
  assert.equal(after.find((c) => c.id === v3!.id)!.parent, v1!.id, 'its child now follows its parent');
  assert.deepEqual(
    (await store.listFiles('hist', v3!.id)).map((f) => f.path),
    ['/a', '/keep'],
  );

  await ageObjects(root);
  await vigilOk(['gc', '--grace', '1m'], { root });
  assert.equal(existsSync(store.objectPath(sha256('version 2\n'))), false, 'only the squashed commit held version 2');
  for (const text of ['version 1\n', 'version 3\n', 'version 4\n', 'kept\n']) assert.ok(existsSync(store.objectPath(sha256(text))), text);
  assert.deepEqual(await missingObjects(root), []);

  // With --recursive the output commits made from it go too.
  const recursive = await vigilOk(['squash', 'commit', `hist@${v3!.id}`, '--recursive'], { root });
  assert.match(recursive, new RegExp(`squashed hist@${v3!.id}\\nsquashed copy@\\w+`));
  assert.deepEqual(await missingObjects(root), []);
});
