import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyLevel, MemoryNodeStorage, Mst, type Entry, type ValueCodec } from '../../src/engine/store/mst.js';

/** A deterministic generator (mulberry32), so that a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const numbers: ValueCodec<number> = {
  encode: (n, out) => out.varint(n),
  decode: (input) => input.varint(),
  weight: (n) => n,
  equal: (a, b) => a === b,
};

function trees(cacheBytes?: number): { mst: Mst<number>; storage: MemoryNodeStorage } {
  const storage = new MemoryNodeStorage();
  return { mst: new Mst(storage, numbers, cacheBytes), storage };
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortedEntries(map: Map<string, number>): Entry<number>[] {
  return [...map.keys()].sort(byKey).map((key) => ({ key, value: map.get(key)! }));
}

function all(mst: Mst<number>, root: string | null, range: { from?: string; to?: string } = {}): Entry<number>[] {
  const out: Entry<number>[] = [];
  for (const e of mst.entries(root, range)) out.push(e);
  return out;
}

/** Keys like a camera repo's paths, some sharing long prefixes, a few multi-byte. */
function keyOf(rand: () => number): string {
  const device = Math.floor(rand() * 40);
  const t = Math.floor(rand() * 2000);
  const ext = ['jpg', 'json', 'é.png'][Math.floor(rand() * 3)];
  return `/u${device}-cam${device % 3}/20261126T${String(t).padStart(6, '0')}Z.${ext}`;
}

test('levels are leading zero base-32 digits of sha256(key): about one key in 32 rises a level', () => {
  const levels = Array.from({ length: 32_000 }, (_, i) => keyLevel(`/k${i}`));
  const above = levels.filter((l) => l >= 1).length;
  assert.ok(above > 700 && above < 1300, `${above} of 32,000 keys above level 0`);
  assert.equal(keyLevel('/k1'), keyLevel('/k1'));
});

test('the same set of keys gives the same root, whatever the order of inserts and deletes', async () => {
  const rand = random(7);
  const { mst } = trees();
  const target = new Map<string, number>();
  while (target.size < 600) target.set(keyOf(rand), Math.floor(rand() * 1000));
  const reference = mst.buildSync(sortedEntries(target));
  assert.equal(reference.count, 600);
  assert.equal(
    reference.weight,
    [...target.values()].reduce((a, b) => a + b, 0),
  );

  for (let round = 0; round < 4; round++) {
    const edit = mst.edit(null);
    const keys = [...target.keys()].sort(() => rand() - 0.5);
    // Extra keys inserted and deleted again, and values overwritten, in between.
    const extra = Array.from({ length: 150 }, () => `${keyOf(rand)}.extra`);
    for (const [i, key] of keys.entries()) {
      edit.put(key, -1);
      if (i % 4 === 0) edit.put(extra[i % extra.length]!, i);
    }
    for (const key of keys) edit.put(key, target.get(key)!);
    for (const key of extra) edit.delete(key);
    const root = edit.persist();
    assert.equal(root.hash, reference.hash, `round ${round}`);
    assert.deepEqual(root, reference);
  }
});

test('random edits agree with a sorted Map: get, count, weight, ranges, and the root of a rebuild', async () => {
  for (const seed of [1, 2, 3]) {
    const rand = random(seed);
    const { mst } = trees(64 * 1024); // a small cache: nodes are read back from storage
    const model = new Map<string, number>();
    let root: string | null = null;
    for (let batch = 0; batch < 25; batch++) {
      const edit = mst.edit(root);
      for (let op = 0; op < 40; op++) {
        const r = rand();
        if (r < 0.6) {
          const key = keyOf(rand);
          const value = Math.floor(rand() * 100);
          edit.put(key, value);
          model.set(key, value);
        } else if (r < 0.85) {
          const keys = [...model.keys()];
          const key = keys.length && rand() < 0.8 ? keys[Math.floor(rand() * keys.length)]! : keyOf(rand);
          assert.equal(edit.delete(key), model.delete(key), `delete ${key}`);
        } else {
          const device = `/u${Math.floor(rand() * 40)}-cam`;
          const from = `${device}1/`;
          const to = `${device}10`;
          const doomed = [...model.keys()].filter((k) => k >= from && k < to);
          assert.equal(edit.deleteRange(from, to), doomed.length);
          for (const k of doomed) model.delete(k);
        }
      }
      const stored = edit.persist();
      root = stored.hash;
      assert.equal(stored.count, model.size);
      assert.equal(
        stored.weight,
        [...model.values()].reduce((a, b) => a + b, 0),
      );
      assert.equal(root, mst.buildSync(sortedEntries(model)).hash, `seed ${seed} batch ${batch}: canonical root`);
    }
    assert.deepEqual(all(mst, root), sortedEntries(model));
    for (const key of [...model.keys()].slice(0, 50)) assert.equal(mst.get(root, key), model.get(key));
    assert.equal(mst.get(root, '/nope'), undefined);
    for (const prefix of ['/u1-', '/u12-cam0/', '/u3', '/zz']) {
      const to = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
      assert.deepEqual(
        all(mst, root, { from: prefix, to }),
        sortedEntries(model).filter((e) => e.key.startsWith(prefix)),
        prefix,
      );
    }
    const someKey = [...model.keys()].sort(byKey)[Math.floor(model.size / 2)]!;
    assert.deepEqual(mst.first(root, { from: someKey }), { key: someKey, value: model.get(someKey) });
    assert.deepEqual(mst.summary(root), { hash: root, count: model.size, weight: [...model.values()].reduce((a, b) => a + b, 0) });
  }
});

test('diff yields exactly the added, removed and changed keys, in key order', async () => {
  const rand = random(11);
  const { mst } = trees();
  const before = new Map<string, number>();
  while (before.size < 2000) before.set(keyOf(rand), Math.floor(rand() * 10));
  const a = mst.buildSync(sortedEntries(before)).hash;
  for (const changes of [0, 1, 5, 200]) {
    const after = new Map(before);
    const edit = mst.edit(a);
    for (let i = 0; i < changes; i++) {
      const keys = [...after.keys()];
      const r = rand();
      if (r < 0.4) {
        const key = `${keyOf(rand)}.new`;
        after.set(key, 1);
        edit.put(key, 1);
      } else if (r < 0.7) {
        const key = keys[Math.floor(rand() * keys.length)]!;
        after.delete(key);
        edit.delete(key);
      } else {
        const key = keys[Math.floor(rand() * keys.length)]!;
        after.set(key, after.get(key)! + 100);
        edit.put(key, after.get(key)!);
      }
    }
    const b = edit.persist().hash;
    const expected: { key: string; before?: number; after?: number }[] = [];
    for (const key of [...new Set([...before.keys(), ...after.keys()])].sort(byKey)) {
      const x = before.get(key);
      const y = after.get(key);
      if (x === y) continue;
      expected.push({ key, ...(x !== undefined ? { before: x } : {}), ...(y !== undefined ? { after: y } : {}) });
    }
    const got: typeof expected = [];
    for (const c of mst.diff(a, b)) got.push(c);
    assert.deepEqual(got, expected, `${changes} changes`);
    const back: typeof expected = [];
    for (const c of mst.diff(b, a)) back.push(c);
    assert.equal(back.length, expected.length);
  }
  const fromEmpty: string[] = [];
  for (const c of mst.diff(null, a)) fromEmpty.push(c.key);
  assert.deepEqual(fromEmpty, [...before.keys()].sort(byKey));
});

test('a diff of one change reads a few nodes, not the tree; an edit rewrites one path', async () => {
  const { mst, storage } = trees(0); // no cache: every node read goes to storage
  const map = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) map.set(`/u${i % 100}-cam1/${String(i).padStart(6, '0')}.jpg`, 1);
  const a = mst.buildSync(sortedEntries(map)).hash;
  const nodesBefore = storage.nodes.size;
  const edit = mst.edit(a);
  edit.put('/u5-cam1/new.jpg', 2);
  const b = edit.persist().hash;
  const written = storage.nodes.size - nodesBefore;
  assert.ok(written >= 1 && written <= 8, `one put wrote ${written} nodes`);

  let reads = 0;
  const read = storage.read.bind(storage);
  storage.read = (hash) => {
    reads++;
    return read(hash);
  };
  const changes = [];
  for (const c of mst.diff(a, b)) changes.push(c);
  assert.deepEqual(changes, [{ key: '/u5-cam1/new.jpg', after: 2 }]);
  assert.ok(reads <= 20, `the diff read ${reads} nodes of ${nodesBefore}`);
});

test('putAll of a batch as large as the tree rebuilds it: the same tree as key by key', async () => {
  const { mst } = trees();
  const rand = random(5);
  const start = new Map<string, number>();
  while (start.size < 300) start.set(keyOf(rand), 1);
  const root = mst.buildSync(sortedEntries(start)).hash;
  const batch = new Map<string, number>();
  while (batch.size < 3000) batch.set(`${keyOf(rand)}.${batch.size}`, 2);
  for (const key of [...start.keys()].slice(0, 100)) batch.set(key, 3);
  const edit = mst.edit(root);
  edit.putAll([...batch].map(([key, value]) => ({ key, value })));
  const expected = new Map([...start, ...batch]);
  assert.deepEqual(edit.persist(), mst.buildSync(sortedEntries(expected)));
});

test('a damaged node is refused, naming it', async () => {
  const { mst, storage } = trees(0);
  const root = mst.buildSync([{ key: '/a', value: 1 }]).hash!;
  const bytes = Buffer.from(storage.nodes.get(root)!);
  bytes[bytes.length - 1] ^= 1;
  storage.nodes.set(root, bytes);
  assert.throws(() => mst.get(root, '/a'), new RegExp(`tree node ${root} is damaged`));
});
