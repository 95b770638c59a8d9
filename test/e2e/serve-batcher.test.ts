import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Store } from '../../src/engine/store/store.js';
import { CommitBatcher } from '../../src/serve/batcher.js';
import { Refusal } from '../../src/serve/errors.js';
import { tempDir } from '../helpers/cli.js';

async function setup(): Promise<{ store: Store; batcher: CommitBatcher }> {
  const store = await Store.open(await tempDir());
  await store.createRepo('raw');
  return { store, batcher: await CommitBatcher.open(store, 'raw', 'master', { intervalMs: 0, maxFiles: 100 }) };
}

const entry = async (store: Store, path: string, text: string) => ({
  path,
  ...(await store.addObject(Buffer.from(text), { batch: true })),
});

test('group commit: puts together share a commit; a path is never replaced, even while its commit is being written', async () => {
  const { store, batcher } = await setup();
  const first = batcher.put(await entry(store, '/u1-cam1/a.jpg', 'frame a'));
  await new Promise((r) => setImmediate(r)); // the commit of a has started
  const other = await entry(store, '/u1-cam1/a.jpg', 'another frame a');
  assert.throws(
    () => batcher.check(other.path, other.sha256),
    (e) => e instanceof Refusal && e.code === 'conflict',
  );
  const resend = batcher.put(await entry(store, '/u1-cam1/a.jpg', 'frame a'));
  const [a, again] = await Promise.all([first, resend]);
  assert.deepEqual([a.stored, again.stored, again.commit], [true, false, a.commit]);

  const entries = await Promise.all(['b', 'c', 'd'].map((n) => entry(store, `/u1-cam1/${n}.jpg`, n)));
  const together = await Promise.all(entries.map((e) => batcher.put(e)));
  assert.equal(new Set(together.map((t) => t.commit)).size, 1);
  const files = await store.listFiles('raw', (await store.headCommit('raw'))!.id);
  assert.deepEqual(
    files.map((f) => f.path),
    ['a', 'b', 'c', 'd'].map((n) => `/u1-cam1/${n}.jpg`),
  );
});

test('a commit by another writer is seen before the next batch: its frames count as stored', async () => {
  const { store, batcher } = await setup();
  await store.commit('raw', 'master', { put: [await entry(store, '/u1-cam1/x.jpg', 'x from put file')] });
  const same = await batcher.put(await entry(store, '/u1-cam1/x.jpg', 'x from put file'));
  assert.equal(same.stored, false);
  await assert.rejects(
    batcher.put(await entry(store, '/u1-cam1/x.jpg', 'another x')),
    (e) => e instanceof Refusal && e.code === 'conflict',
  );
  await batcher.close();
  await assert.rejects(batcher.put(await entry(store, '/u1-cam1/y.jpg', 'y')), (e) => e instanceof Refusal && e.code === 'shutting_down');
});

test('frames that arrive while a commit is written go together as soon as it ends, without waiting the interval again', async () => {
  const store = await Store.open(await tempDir());
  await store.createRepo('raw');
  const intervalMs = 30_000;
  const batcher = await CommitBatcher.open(store, 'raw', 'master', { intervalMs, maxFiles: 100 });
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => entry(store, `/u1-cam1/${n}.jpg`, `frame ${n}`)));
  const first = batcher.put(a!);
  const flushed = batcher.flush(); // a's commit is being written from here on
  const during = [batcher.put(b!), batcher.put(c!)];
  let timer: NodeJS.Timeout | undefined;
  const interval = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`b and c waited for the interval (${intervalMs} ms) after a's commit`)), intervalMs / 2);
  });
  const [one, [two, three]] = await Promise.race([Promise.all([first, Promise.all(during)]), interval]).finally(() => clearTimeout(timer));
  await flushed;
  assert.equal(two.commit, three.commit);
  assert.notEqual(two.commit, one.commit);
  assert.equal((await store.resolveCommit('raw', two.commit)).parent, one.commit);
  assert.equal((await store.headCommit('raw'))!.id, two.commit);
});

test('a batch goes as soon as no other frame is on its way, and waits the interval while one is', async () => {
  const store = await Store.open(await tempDir());
  await store.createRepo('raw');
  let onTheirWay = 1;
  const batcher = await CommitBatcher.open(store, 'raw', 'master', { intervalMs: 30_000, maxFiles: 100, arriving: () => onTheirWay });
  const [a, b] = await Promise.all(['a', 'b'].map((n) => entry(store, `/u1-cam1/${n}.jpg`, `frame ${n}`)));
  let settled = false;
  const first = batcher.put(a!).finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(settled, false, 'a was committed while b was still on its way');
  onTheirWay = 0; // b is the last one
  const deadline = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('a and b waited for the interval')), 15_000).unref(),
  );
  const [one, two] = await Promise.race([Promise.all([first, batcher.put(b!)]), deadline]);
  assert.equal(one.commit, two.commit);
  assert.equal((await store.headCommit('raw'))!.id, one.commit);
});
