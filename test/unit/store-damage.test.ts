/**
 * How the store names damage, without processes: a tree whose node bytes changed, a commit record
 * that does not parse or names another commit, a write the store refused, an fsck problem's line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreDamageError } from '../../src/engine/store/damage.js';
import { describeProblem } from '../../src/engine/store/fsck.js';
import { MemoryNodeStorage } from '../../src/engine/store/mst.js';
import { parseCommitRecord } from '../../src/engine/store/store.js';
import { applyChange, type FileEntry, FileTree, fileTrees } from '../../src/engine/store/tree.js';
import { storeWriteError } from '../../src/engine/store/write-errors.js';
import { VigilError } from '../../src/pfs/errors.js';

const SHA = 'a'.repeat(64);
const files = (n: number): FileEntry[] =>
  Array.from({ length: n }, (_, i) => ({ path: `/cam/${String(i).padStart(4, '0')}.jpg`, sha256: SHA, size: i }));

/** Flips one byte of every stored node but the root, or of the root alone. */
function damage(storage: MemoryNodeStorage, which: 'root' | 'others', root: string): void {
  for (const [hash, bytes] of storage.nodes) {
    if ((hash === root) !== (which === 'root')) continue;
    const copy = Uint8Array.from(bytes);
    copy[copy.length >> 1]! ^= 0xff;
    storage.nodes.set(hash, copy);
  }
}

test('a damaged tree node is a StoreDamageError naming the commit and the node, in every read of the tree', () => {
  const storage = new MemoryNodeStorage();
  const built = applyChange(fileTrees(storage), null, { put: files(500) }, 'raw@master');
  assert.ok(storage.nodes.size > 1, 'a tree of several nodes');
  damage(storage, 'others', built.hash!);
  // A fresh reader (no cached nodes), as a new process would be.
  const tree = FileTree.open(fileTrees(storage), built.hash, 'raw@0123');
  const named = (read: () => unknown) =>
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof StoreDamageError && e instanceof VigilError);
      assert.match(e.message, /^raw@0123: tree node [0-9a-f]{64} is damaged: its bytes hash to [0-9a-f]{64}$/);
      return true;
    });
  named(() => tree.list());
  named(() => [...tree.files('/cam')]);
  named(() => {
    for (let i = 0; i < 500; i++) tree.get(`/cam/${String(i).padStart(4, '0')}.jpg`);
  });
  named(() => [...tree.changesSince(null)]);

  damage(storage, 'root', built.hash!);
  named(() => FileTree.open(fileTrees(storage), built.hash, 'raw@0123'));
});

test('a missing tree node is named too', () => {
  const storage = new MemoryNodeStorage();
  const built = applyChange(fileTrees(storage), null, { put: files(3) }, 'raw@master');
  const reader = new FileTree(
    fileTrees({
      read: () => {
        throw new StoreDamageError(`tree node ${built.hash}`, 'is missing from the store');
      },
      write: () => '',
    }),
    built.hash,
    3,
    3,
    'raw@0123',
  );
  assert.throws(() => reader.get('/cam/0000.jpg'), { message: `raw@0123: tree node ${built.hash} is missing from the store` });
});

test('a commit record is checked as it is read', () => {
  const id = '0123456789abcdef0123456789abcdef';
  const good = {
    repo: 'raw',
    id,
    branch: 'master',
    parent: null,
    started: 't',
    finished: 't',
    sizeBytes: 3,
    fileCount: 1,
    provenance: [],
    root: SHA,
  };
  assert.deepEqual(parseCommitRecord(JSON.stringify(good), 'raw', id), good);
  const where = `the record of commit ${id} in repo raw (repos/raw/commits/${id}.json) is damaged: `;
  const refused = (text: string, why: RegExp) =>
    assert.throws(
      () => parseCommitRecord(text, 'raw', id),
      (e: unknown) => e instanceof StoreDamageError && e.message.startsWith(where) && why.test(e.message.slice(where.length)),
    );
  refused(JSON.stringify(good).slice(0, 30), /JSON/);
  refused(`${JSON.stringify(good).slice(0, 30)}\n\n`, /^[^\n]*$/);
  refused('null', /no JSON object/);
  refused(JSON.stringify({ ...good, id: 'f'.repeat(32) }), /names commit raw@f{32}/);
  refused(JSON.stringify({ ...good, parent: 'master' }), /parent "master" is no commit id/);
  refused(JSON.stringify({ ...good, root: 'abc' }), /tree root "abc" is no sha256/);
  refused(JSON.stringify({ ...good, fileCount: -1 }), /fileCount -1 is no count/);
});

test('a write the store refused is one plain message; other errors pass', () => {
  const root = '/srv/store';
  const err = (code: string, path?: string) => Object.assign(new Error(code), { code, ...(path ? { path } : {}) });
  const mapped = (e: unknown) => (storeWriteError(root, e, 'nothing was committed') as Error).message;
  assert.equal(
    mapped(err('EROFS', '/srv/store/pps/.tmp-run.lock.12.ab')),
    'cannot write to the store /srv/store (EROFS at pps); nothing was committed: make it writable for this user and try again',
  );
  assert.equal(
    mapped(err('ENOSPC')),
    'no space left for the store /srv/store (ENOSPC); nothing was committed: free some space and try again',
  );
  assert.match(mapped(err('EACCES', '/srv/store/objects/ab')), /\(EACCES at objects\/ab\)/);
  const outside = err('EACCES', '/home/me/frame.jpg');
  assert.equal(storeWriteError(root, outside, 'x'), outside, 'a path outside the store is not the store');
  const other = err('EIO', '/srv/store/objects/ab');
  assert.equal(storeWriteError(root, other, 'x'), other);
});

test('an fsck problem is one line: what, what is wrong, where it is used', () => {
  assert.equal(
    describeProblem({ what: `object ${SHA}`, fault: 'is missing from the store', usedBy: [], uses: 0 }),
    `object ${SHA} is missing from the store`,
  );
  assert.equal(
    describeProblem({ what: 'tree node x', fault: 'is damaged: its bytes hash to y', usedBy: ['raw@c1:/a.jpg', 'raw@c2:/a.jpg'], uses: 5 }),
    'tree node x is damaged: its bytes hash to y (used by raw@c1:/a.jpg, raw@c2:/a.jpg and 3 more)',
  );
});
