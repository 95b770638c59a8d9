import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type DatumMatch, type HeadTree, makeDatums, type PlannedDatum } from '../../src/engine/datum/create.js';
import { type BranchTrees, keyIndexEntries, keyMemberCodec, NotIncremental, planChanges } from '../../src/engine/datum/incremental.js';
import type { Input, PfsInput } from '../../src/engine/pps/spec.js';
import { MemoryNodeStorage, Mst } from '../../src/engine/store/mst.js';
import { applyChange, type FileEntry, FileTree, fileTrees, type TreeChange } from '../../src/engine/store/tree.js';

/** A deterministic generator (mulberry32): a failing case replays from its seed. */
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

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Files and folders never share a name: folders are d* and s*, files f*.txt. */
function randomPath(rand: () => number): string {
  const depth = pick(rand, [1, 2, 2, 3, 3, 3]);
  const parts = [`d${Math.floor(rand() * 4)}`, `s${Math.floor(rand() * 3)}`].slice(0, depth - 1);
  return `/${[...parts, `f${Math.floor(rand() * 5)}.txt`].join('/')}`;
}

function entry(path: string, content: string): FileEntry {
  return { path, sha256: sha(content), size: content.length };
}

const trees = fileTrees(new MemoryNodeStorage());

function randomTree(rand: () => number, files: number): FileTree {
  const put = new Map<string, FileEntry>();
  for (let i = 0; i < files; i++) {
    const path = randomPath(rand);
    put.set(path, entry(path, pick(rand, ['x', 'y', 'z'])));
  }
  return FileTree.open(trees, applyChange(trees, null, { put: [...put.values()] }, 'test').hash);
}

/** A few random changes: files added or rewritten, files and folders deleted. */
function changed(rand: () => number, tree: FileTree): FileTree {
  const files = tree.list();
  const change: TreeChange = { put: [], delete: [] };
  const touched = new Set<string>();
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.45 || files.length === 0) {
      const path = randomPath(rand);
      if (!touched.has(path)) change.put!.push(entry(path, pick(rand, ['x', 'y', 'z', 'w'])));
      touched.add(path);
    } else if (r < 0.85) {
      const path = pick(rand, files).path;
      if (!touched.has(path)) change.delete!.push(path);
      touched.add(path);
    } else {
      const path = pick(rand, files).path;
      const folder = path.slice(0, path.lastIndexOf('/')) || path;
      if (![...touched].some((t) => t.startsWith(folder))) change.delete!.push(folder);
      touched.add(folder);
    }
  }
  change.delete = change.delete!.filter((d) => !change.delete!.some((o) => o !== d && d.startsWith(`${o}/`)));
  change.put = change.put!.filter((p) => !change.delete!.some((d) => p.path === d || p.path.startsWith(`${d}/`)));
  return FileTree.open(trees, applyChange(trees, tree.root, change, 'test').hash);
}

function pfs(repo: string, glob: string, more: Partial<PfsInput> = {}): Input {
  return { pfs: { name: repo, repo, branch: 'master', glob, ...more } };
}

const SHAPES: Record<string, Input> = {
  'pfs /*': pfs('a', '/*'),
  'pfs /*/*': pfs('a', '/*/*'),
  'pfs /**': pfs('a', '/**'),
  'pfs /': pfs('a', '/'),
  'pfs /d*/s1/*.txt': pfs('a', '/d*/s1/*.txt'),
  'union of two repos': { union: [pfs('a', '/*'), pfs('b', '/*/*')] },
  'union overlapping in one repo': { union: [pfs('a', '/d1/*'), pfs('a', '/d*/*'), pfs('a', '/*/s0')] },
  'cross with /': { cross: [pfs('a', '/*/*'), pfs('b', '/')] },
  'cross of folders': { cross: [pfs('a', '/*'), pfs('b', '/d*')] },
  'group in one repo': { group: [pfs('a', '/(*)/(*)/*', { groupBy: '$1' })] },
  'group of two repos': { group: [pfs('a', '/(*)/*', { groupBy: '$1' }), pfs('b', '/(*)', { groupBy: '$1' })] },
  join: { join: [pfs('a', '/(*)/*', { joinOn: '$1' }), pfs('b', '/(*)', { joinOn: '$1' })] },
  'join, outer': { join: [pfs('a', '/(*)/*', { joinOn: '$1', outerJoin: true }), pfs('b', '/(*)', { joinOn: '$1' })] },
  'join, both outer': {
    join: [pfs('a', '/(*)/*', { joinOn: '$1', outerJoin: true }), pfs('b', '/(*)/(*)', { joinOn: '$1', outerJoin: true })],
  },
  'cross of a union and /': { cross: [{ union: [pfs('a', '/*'), pfs('b', '/*/*')] }, pfs('b', '/')] },
  'union of a group and a pfs': { union: [{ group: [pfs('a', '/(*)/*', { groupBy: '$1' })] }, pfs('b', '/*/*')] },
  'cross of a join and a pfs': {
    cross: [{ join: [pfs('a', '/(*)/*', { joinOn: '$1' }), pfs('b', '/(*)', { joinOn: '$1' })] }, pfs('b', '/d0')],
  },
};

function heads(byRepo: Record<string, { tree: FileTree; files: FileEntry[]; commit: string }>): HeadTree {
  return (repo) => {
    const h = byRepo[repo]!;
    return { commit: h.commit, files: h.files, root: h.tree.root };
  };
}

/** A datum's inputs without their file lists (what planChanges may leave for the job to read). */
function comparable(d: PlannedDatum): unknown {
  return { id: d.id, hash: d.hash, inputs: d.inputs.map(({ files: _files, ...rest }: DatumMatch) => rest) };
}

test('planning from tree diffs finds exactly the datums a full plan finds changed or gone, for every input shape', async () => {
  for (const [shape, input] of Object.entries(SHAPES)) {
    for (const seed of [1, 2, 3, 4]) {
      const rand = random(seed * 1000 + shape.length);
      const state: Record<string, { tree: FileTree; files: FileEntry[]; commit: string }> = {};
      for (const repo of ['a', 'b']) {
        const tree = randomTree(rand, seed === 1 && repo === 'b' ? 0 : 5 + Math.floor(rand() * 25));
        state[repo] = { tree, files: tree.list(), commit: `${repo}-0` };
      }
      const keyTrees = new Mst(new MemoryNodeStorage(), keyMemberCodec);
      let keys = keyTrees.buildSync(keyIndexEntries(input, heads(state))).hash;
      for (let round = 1; round <= 5; round++) {
        const where = `${shape}, seed ${seed}, round ${round}`;
        const before = makeDatums(input, heads(state), 'salt');
        const next = { ...state };
        for (const repo of ['a', 'b']) {
          if (rand() < 0.35) continue; // this repo stays as it was
          const tree = changed(rand, state[repo]!.tree);
          next[repo] = { tree, files: tree.list(), commit: `${repo}-${round}` };
        }
        const after = makeDatums(input, heads(next), 'salt');
        const edit = keyTrees.edit(keys);
        const plan = planChanges(
          input,
          'salt',
          (repo): BranchTrees => ({ before: state[repo]!.tree, after: next[repo]!.tree, commit: next[repo]!.commit }),
          edit,
        );

        const old = new Map(before.map((d) => [d.id, d.hash]));
        const now = new Map(after.map((d) => [d.id, d]));
        assert.deepEqual(new Set(plan.removed), new Set(before.filter((d) => !now.has(d.id)).map((d) => d.id)), `${where}: removed`);
        const planned = new Map(plan.changed.map((d) => [d.id, d]));
        for (const d of after) {
          if (old.get(d.id) !== d.hash) assert.ok(planned.has(d.id), `${where}: a changed datum is missed: ${d.inputs.map((i) => i.path)}`);
        }
        for (const d of plan.changed) {
          assert.ok(now.has(d.id), `${where}: a planned datum is not a datum: ${d.inputs.map((i) => i.path)}`);
          assert.deepEqual(comparable(d), comparable(now.get(d.id)!), where);
        }
        keys = edit.persist().hash;
        assert.equal(keys, keyTrees.buildSync(keyIndexEntries(input, heads(next))).hash, `${where}: the key index is the full one`);
        Object.assign(state, next);
      }
    }
  }
});

test('a union whose inputs may make the same join datum is planned in full', () => {
  const join: Input = { join: [pfs('a', '/(*)/*', { joinOn: '$1' }), pfs('b', '/(*)', { joinOn: '$1' })] };
  const input: Input = { union: [join, join] };
  const tree = (files: string[]) => FileTree.open(trees, applyChange(trees, null, { put: files.map((f) => entry(f, f)) }, 'test').hash);
  const a = tree(['/d1/f1.txt', '/d2/f2.txt']);
  const b = tree(['/d1/f3.txt', '/d2/f4.txt']);
  const state = { a: { tree: a, files: a.list(), commit: 'a' }, b: { tree: b, files: b.list(), commit: 'b' } };
  const keyTrees = new Mst(new MemoryNodeStorage(), keyMemberCodec);
  const edit = keyTrees.edit(keyTrees.buildSync(keyIndexEntries(input, heads(state))).hash);
  const after = tree(['/d2/f2.txt']);
  assert.throws(
    () => planChanges(input, '', (repo) => ({ before: repo === 'a' ? a : b, after: repo === 'a' ? after : b, commit: repo }), edit),
    NotIncremental,
  );
});
