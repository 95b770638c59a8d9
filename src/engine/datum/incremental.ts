/**
 * Planning a job from the diffs of its input trees rather than from the whole trees: the datums
 * that may have changed since the last job (to compare with the datum state by hash) and the
 * datums that are gone, in O(changes × log N) tree reads. create.ts's makeDatums over the whole
 * trees is the reference: for every input shape this planner follows, the datums it reports
 * changed or gone are exactly where makeDatums's before and after differ (test/unit/
 * engine-incremental.test.ts checks it on random trees and changes).
 *
 * - pfs: a changed file changes the match at its path and at each of its folders the glob
 *   matches; each is read again (a file, a folder's files) or is gone.
 * - cross: the changed tuples of one input times every tuple of the others, for each input that
 *   changed (ids are computable, so gone products are known without the old datums).
 * - union: the union of its inputs' changes; a tuple gone from one input but still made by
 *   another is not gone.
 * - join and group over pfs inputs: a key index (an MST of `<node>\0<key>\0<input>\0<match>`)
 *   gives the matches of each key by a prefix scan; each key a change touches is joined or
 *   grouped again, before and after.
 * Anything else throws NotIncremental, and the caller plans in full.
 */
import type { Input, PfsInput } from '../pps/spec.js';
import type { Entry, MstEdit, ValueCodec } from '../store/mst.js';
import { ancestors, type FileEntry, type FileTree } from '../store/tree.js';
import {
  children,
  combine,
  contentOf,
  datumHash,
  datumId,
  type HeadTree,
  inputTuples,
  matchesOf,
  type DatumMatch,
  type PlannedDatum,
  pfsGlob,
  pfsMatch,
  type Tuple,
  wholeRepo,
} from './create.js';

/** The pipeline's input has a shape this planner does not follow: plan the job in full. */
export class NotIncremental extends Error {}

/** An input branch as the base job read it and as it is now; a branch without a commit is an empty tree. */
export interface BranchTrees {
  before: FileTree;
  after: FileTree;
  /** The commit `after` is (the datums' input commit). */
  commit: string;
}

/** One match in the key index of a join or group: enough to make its datum input again without reading the tree. */
export interface KeyMember {
  path: string;
  type: 'file' | 'dir';
  size: number;
  digest: string;
}

export const keyMemberCodec: ValueCodec<KeyMember> = {
  encode: (m, out) => out.utf8(JSON.stringify([m.path, m.type, m.size, m.digest])),
  decode: (input) => {
    const [path, type, size, digest] = JSON.parse(input.utf8()) as [string, 'file' | 'dir', number, string];
    return { path, type, size, digest };
  },
  weight: () => 0,
  equal: (a, b) => a.path === b.path && a.type === b.type && a.size === b.size && a.digest === b.digest,
};

export interface IncrementalPlan {
  /** Datums that are new or may have changed, with their hashes, by id. */
  changed: PlannedDatum[];
  /** Ids of datums that are gone. */
  removed: string[];
}

type Ident = Pick<DatumMatch, 'name' | 'repo' | 'branch' | 'path'>;

interface Delta {
  /** Tuples there now that are new or may have changed, by id. */
  upserts: Map<string, Tuple>;
  /** Tuples gone, by id. */
  removed: Map<string, Ident[]>;
}

/** What changed in the datums of `input` between the trees' before and after; `keys` (the key index) is brought up to date. */
export function planChanges(
  input: Input,
  salt: string,
  trees: (repo: string, branch: string) => BranchTrees,
  keys: MstEdit<KeyMember>,
): IncrementalPlan {
  const delta = new Planner(trees, keys).delta(input);
  const changed = [...delta.upserts].map(([id, inputs]) => ({ id, hash: datumHash(id, inputs, salt), inputs }));
  const removed = [...delta.removed.keys()].filter((id) => !delta.upserts.has(id));
  return { changed, removed };
}

/** The key index of `input` over whole trees (a job planned in full), sorted by key. */
export function keyIndexEntries(input: Input, tree: HeadTree): Entry<KeyMember>[] {
  const entries: Entry<KeyMember>[] = [];
  forEachKeyed(input, (node, index) => {
    const kids = children(node);
    if (!kids.every((kid) => 'pfs' in kid)) return;
    kids.forEach((kid, child) => {
      for (const [match] of inputTuples(kid, tree))
        entries.push({ key: memberKey(index, keyOf(node, match!), child, match!), value: member(match!) });
    });
  });
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

type Keyed = Extract<Input, { join: Input[] } | { group: Input[] }>;

/** Each join and group of the input tree with its number, in the one order both planners use. */
function forEachKeyed(input: Input, visit: (node: Keyed, index: number) => void): void {
  let index = 0;
  const walk = (node: Input) => {
    if ('pfs' in node) return;
    if ('join' in node || 'group' in node) visit(node, index++);
    else for (const kid of children(node)) walk(kid);
  };
  walk(input);
}

function keyOf(node: Keyed, match: DatumMatch): string {
  return ('join' in node ? match.joinOn : match.groupBy) ?? '';
}

/** A match's place in the index: its node, key, input, then the order makeDatums lists matches in (a folder as `path/`). */
function memberKey(index: number, key: string, child: number, match: Pick<DatumMatch, 'path' | 'type'>): string {
  return `${keyPrefix(index, key)}${String(child).padStart(4, '0')}\0${match.type === 'dir' && match.path !== '/' ? `${match.path}/` : match.path}`;
}

function keyPrefix(index: number, key: string): string {
  return `${index}\0${key}\0`;
}

function member(match: DatumMatch): KeyMember {
  return { path: match.path, type: match.type, size: match.size, digest: match.digest };
}

function emptyDelta(): Delta {
  return { upserts: new Map(), removed: new Map() };
}

function isEmpty(delta: Delta): boolean {
  return delta.upserts.size === 0 && delta.removed.size === 0;
}

/** Where two inputs make one datum, the first one's inputs stand, as in makeDatums. */
function keepFirst(tuples: Map<string, Tuple>, id: string, tuple: Tuple): void {
  if (!tuples.has(id)) tuples.set(id, tuple);
}

function product<T>(parts: T[][][]): T[][] {
  return parts.reduce<T[][]>((acc, part) => acc.flatMap((a) => part.map((p) => [...a, ...p])), [[]]);
}

class Planner {
  private keyed = 0;
  /** Every tuple of a node on one side, read once. */
  private readonly alls = new Map<Input, Map<'before' | 'after', Tuple[]>>();

  constructor(
    private readonly trees: (repo: string, branch: string) => BranchTrees,
    private readonly keys: MstEdit<KeyMember>,
  ) {}

  delta(input: Input): Delta {
    if ('pfs' in input) return this.pfsDelta(input.pfs);
    if ('join' in input || 'group' in input) return this.keyedDelta(input, this.keyed++);
    const kids = children(input);
    const deltas: Delta[] = [];
    for (const kid of kids) deltas.push(this.delta(kid));
    if (deltas.every(isEmpty)) return emptyDelta();
    return 'cross' in input ? this.crossDelta(kids, deltas) : this.unionDelta(kids, deltas);
  }

  private pfsDelta(pfs: PfsInput): Delta {
    const { before, after, commit } = this.trees(pfs.repo, pfs.branch);
    const delta = emptyDelta();
    if (before.root === after.root) return delta;
    const glob = pfsGlob(pfs);
    const ident = (path: string): Ident => ({ name: pfs.name, repo: pfs.repo, branch: pfs.branch, path });
    if (wholeRepo(pfs)) {
      if (after.count > 0) {
        const match = pfsMatch(pfs, glob, commit, '/', { type: 'dir', size: after.size, digest: after.root! });
        delta.upserts.set(datumId([match]), [match]);
      } else delta.removed.set(datumId([ident('/')]), [ident('/')]);
      return delta;
    }
    const tested = new Map<string, boolean>();
    const matches = (path: string) => {
      let hit = tested.get(path);
      if (hit === undefined) {
        hit = glob.test(path);
        tested.set(path, hit);
      }
      return hit;
    };
    const affected = new Set<string>();
    for (const change of after.changesSince(before)) {
      if (matches(change.path)) affected.add(change.path);
      for (const dir of ancestors(change.path)) if (matches(dir)) affected.add(dir);
    }
    for (const path of affected) {
      const content = contentIn(after, path);
      if (content) {
        const match = pfsMatch(pfs, glob, commit, path, content);
        delta.upserts.set(datumId([match]), [match]);
      } else if (before.get(path) || before.isFolder(path)) {
        delta.removed.set(datumId([ident(path)]), [ident(path)]);
      }
    }
    return delta;
  }

  private crossDelta(kids: Input[], deltas: Delta[]): Delta {
    const out = emptyDelta();
    for (const [i, delta] of deltas.entries()) {
      if (delta.upserts.size > 0) {
        const parts: Tuple[][] = [];
        for (const [j, kid] of kids.entries()) parts.push(j === i ? [...delta.upserts.values()] : this.all(kid, 'after'));
        for (const tuple of product(parts)) keepFirst(out.upserts, datumId(tuple), tuple);
      }
      if (delta.removed.size > 0) {
        const parts: Ident[][][] = [];
        for (const [j, kid] of kids.entries()) parts.push(j === i ? [...delta.removed.values()] : this.all(kid, 'before'));
        for (const tuple of product(parts)) out.removed.set(datumId(tuple), tuple);
      }
    }
    return out;
  }

  private unionDelta(kids: Input[], deltas: Delta[]): Delta {
    const out = emptyDelta();
    for (const delta of deltas) for (const [id, tuple] of delta.upserts) keepFirst(out.upserts, id, tuple);
    for (const [i, delta] of deltas.entries()) {
      for (const [id, tuple] of delta.removed) {
        if (out.upserts.has(id) || out.removed.has(id)) continue;
        let kept = false;
        for (const [j, kid] of kids.entries()) if (j !== i && !kept) kept = this.contains(kid, tuple);
        if (!kept) out.removed.set(id, tuple);
      }
    }
    return out;
  }

  /** Whether `input` makes the tuple `idents` now. */
  private contains(input: Input, idents: Ident[]): boolean {
    if ('pfs' in input) {
      const { pfs } = input;
      const [only] = idents;
      if (idents.length !== 1 || only!.name !== pfs.name || only!.repo !== pfs.repo || only!.branch !== pfs.branch) return false;
      const { after } = this.trees(pfs.repo, pfs.branch);
      if (wholeRepo(pfs)) return only!.path === '/' && after.count > 0;
      return pfsGlob(pfs).test(only!.path) && (after.get(only!.path) !== null || after.isFolder(only!.path));
    }
    if ('union' in input) {
      for (const kid of input.union) if (this.contains(kid, idents)) return true;
      return false;
    }
    const arities = 'cross' in input ? input.cross.map(arity) : [];
    if (!('cross' in input) || arities.some((a) => a === undefined)) {
      // A join or group (or a cross with one inside): only its own key index would tell.
      if (idents.some((i) => readsBranch(input, i))) throw new NotIncremental('a union whose inputs may make the same join or group datum');
      return false;
    }
    if (idents.length !== arities.reduce((a, b) => a! + b!, 0)) return false;
    let at = 0;
    for (const [j, kid] of input.cross.entries()) {
      if (!this.contains(kid, idents.slice(at, at + arities[j]!))) return false;
      at += arities[j]!;
    }
    return true;
  }

  /** Every tuple of `input` in the before or after trees (the other inputs of a cross that changed). */
  private all(input: Input, side: 'before' | 'after'): Tuple[] {
    let sides = this.alls.get(input);
    if (!sides) {
      sides = new Map();
      this.alls.set(input, sides);
    }
    let tuples = sides.get(side);
    if (!tuples) {
      tuples = this.readAll(input, side);
      sides.set(side, tuples);
    }
    return tuples;
  }

  private readAll(input: Input, side: 'before' | 'after'): Tuple[] {
    if (!('pfs' in input)) {
      const of: Tuple[][] = [];
      for (const kid of children(input)) of.push(this.all(kid, side));
      return combine(input, of);
    }
    const { pfs } = input;
    const trees = this.trees(pfs.repo, pfs.branch);
    const tree = trees[side];
    const glob = pfsGlob(pfs);
    if (wholeRepo(pfs)) {
      return tree.count > 0 ? [[pfsMatch(pfs, glob, trees.commit, '/', { type: 'dir', size: tree.size, digest: tree.root! })]] : [];
    }
    return matchesOf(pfs, glob, trees.commit, tree.list()).map((match) => [match]);
  }

  /** A join or group of pfs inputs: each key a change touches, joined or grouped again from the key index. */
  private keyedDelta(node: Keyed, index: number): Delta {
    const kids = children(node);
    if (!kids.every((kid) => 'pfs' in kid)) throw new NotIncremental('a join or group of inputs other than pfs');
    const pfsKids = kids.map((kid) => (kid as { pfs: PfsInput }).pfs);
    // Per key: the matches it gained or changed, and the paths it lost, per input.
    const touched = new Map<string, { put: Map<number, DatumMatch[]>; gone: Map<number, Set<string>> }>();
    const at = (key: string) => {
      let t = touched.get(key);
      if (!t) {
        t = { put: new Map(), gone: new Map() };
        touched.set(key, t);
      }
      return t;
    };
    for (const [child, pfs] of pfsKids.entries()) {
      const delta = this.pfsDelta(pfs);
      for (const [match] of delta.upserts.values()) {
        const t = at(keyOf(node, match!));
        t.put.set(child, [...(t.put.get(child) ?? []), match!]);
      }
      const glob = pfsGlob(pfs);
      for (const [gone] of delta.removed.values()) {
        // The key comes from the path alone, so the content does not matter here.
        const probe = pfsMatch(pfs, glob, '', gone!.path, { type: 'file', size: 0, digest: '' });
        const t = at(keyOf(node, probe));
        t.gone.set(child, (t.gone.get(child) ?? new Set()).add(gone!.path));
      }
    }
    const out = emptyDelta();
    for (const [key, change] of touched) {
      const before = this.members(index, key);
      for (const m of before) {
        const changed = change.put.get(m.child)?.some((p) => p.path === m.value.path) || change.gone.get(m.child)?.has(m.value.path);
        if (changed) this.keys.delete(m.key);
      }
      for (const [child, matches] of change.put)
        for (const match of matches) this.keys.put(memberKey(index, key, child, match), member(match));
      const after = this.members(index, key);
      const tuplesOf = (members: IndexedMember[], commitOf: (pfs: PfsInput) => string) =>
        combine(
          node,
          pfsKids.map((pfs, child) => {
            const glob = pfsGlob(pfs);
            return members.filter((m) => m.child === child).map((m) => [pfsMatch(pfs, glob, commitOf(pfs), m.value.path, m.value)]);
          }),
        );
      const now = tuplesOf(after, (pfs) => this.trees(pfs.repo, pfs.branch).commit);
      for (const tuple of now) out.upserts.set(datumId(tuple), tuple);
      for (const tuple of tuplesOf(before, () => '')) {
        const id = datumId(tuple);
        if (!out.upserts.has(id)) out.removed.set(id, tuple);
      }
    }
    return out;
  }

  private members(index: number, key: string): IndexedMember[] {
    const prefix = keyPrefix(index, key);
    const out: IndexedMember[] = [];
    for (const e of this.keys.entries({ from: prefix, to: `${prefix.slice(0, -1)}\u0001` })) {
      out.push({ key: e.key, child: Number(e.key.slice(prefix.length, prefix.length + 4)), value: e.value });
    }
    return out;
  }
}

interface IndexedMember {
  key: string;
  child: number;
  value: KeyMember;
}

/** How many inputs each tuple of `input` has, when that is fixed. */
function arity(input: Input): number | undefined {
  if ('pfs' in input) return 1;
  if ('cross' in input) {
    const parts = input.cross.map(arity);
    return parts.some((a) => a === undefined) ? undefined : parts.reduce((a, b) => a! + b!, 0);
  }
  if ('union' in input) {
    const parts = new Set(input.union.map(arity));
    return parts.size === 1 ? [...parts][0] : undefined;
  }
  return undefined;
}

/** Whether some pfs input below `input` reads the ident's input name, repo and branch. */
function readsBranch(input: Input, ident: Ident): boolean {
  if ('pfs' in input) return input.pfs.name === ident.name && input.pfs.repo === ident.repo && input.pfs.branch === ident.branch;
  return children(input).some((kid) => readsBranch(kid, ident));
}

/** What `path` holds in `tree`: a file, a folder's files, or nothing. */
function contentIn(tree: FileTree, path: string): ReturnType<typeof contentOf> | null {
  const file = tree.get(path);
  if (file) return contentOf(path, [file]);
  const files: FileEntry[] = tree.list(path);
  return files.length > 0 ? contentOf(path, files) : null;
}
