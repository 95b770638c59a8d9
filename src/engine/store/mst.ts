/**
 * A Merkle Search Tree (Auvolat & Taïani; the tree of Bluesky's atproto repositories): an ordered
 * map from string keys to values, stored as immutable nodes named by the sha256 of their bytes.
 *
 * Each key has a level, the number of leading zero base-32 digits of sha256(key), so about one
 * key in 32 rises a level. A node of level L holds, in key order, the keys of level L in its range
 * and, around them, subtrees of the lower keys between them (a subtree's root is the level of its
 * highest key: empty levels are skipped). The shape depends only on the set of keys, never on the
 * order of the edits that made it, so equal maps have equal root hashes, and two trees that share
 * a subtree share its hash: a diff skips it unread.
 *
 * Every operation reads and writes one path of nodes, O(log N): get, put, delete, a range scan,
 * a diff. Edits build new nodes in memory; persist() writes them through a NodeStorage. Each link
 * to a subtree carries its key count and total weight (for files: their bytes), so a tree's size
 * is known from its root alone. Nodes are small (a few KB) and read synchronously: a read is a
 * few syscalls, cheaper than a round trip through libuv's thread pool for each of them.
 */
import { hash as cryptoHash } from 'node:crypto';
import { sha256 } from '../../pfs/files.js';
import { objectFault, StoreDamageError } from './damage.js';

/** Where nodes live: the store's objects, or memory. */
export interface NodeStorage {
  /** The bytes of node `hash`. */
  read(hash: string): Uint8Array;
  /** Stores a node's bytes and returns their sha256 (hex); made durable by the storage's owner. */
  write(bytes: Uint8Array): string;
}

/** How a tree's values become bytes (each value reads back exactly what it wrote), weigh, and compare. */
export interface ValueCodec<V> {
  encode(value: V, out: ByteWriter): void;
  decode(input: ByteReader): V;
  /** What the value adds to its subtrees' total weight (a file's size; 0 to sum nothing). */
  weight(value: V): number;
  equal(a: V, b: V): boolean;
}

export interface Entry<V> {
  key: string;
  value: V;
}

/** A stored tree: its root node (null when empty), how many keys it holds, their total weight. */
export interface TreeRoot {
  hash: string | null;
  count: number;
  weight: number;
}

/** A tree just stored, and the nodes that took: its owner makes them durable (objects.ts flush) before naming the root. */
export interface Persisted extends TreeRoot {
  written: string[];
}

/** One difference between two trees: `before` absent for an added key, `after` for a removed one. */
export interface Change<V> {
  key: string;
  before?: V;
  after?: V;
}

/** A subtree: stored (its hash and totals), or a node made by an edit and not stored yet. */
type Ref<V> = StoredRef | DraftRef<V>;
interface StoredRef {
  hash: string;
  count: number;
  weight: number;
}
interface DraftRef<V> {
  draft: Node<V>;
}

interface Node<V> {
  level: number;
  entries: Entry<V>[];
  /** entries.length + 1 subtrees: before the first entry, between two entries, after the last. */
  children: (Ref<V> | null)[];
}

const NODE_FORMAT = 1;
const EMPTY: TreeRoot = { hash: null, count: 0, weight: 0 };

/** The level of a key: leading zero base-32 digits (5 bits each) of its sha256. */
export function keyLevel(key: string): number {
  const digest = cryptoHash('sha256', key, 'buffer');
  let zeros = 0;
  for (const byte of digest) {
    if (byte === 0) {
      zeros += 8;
      continue;
    }
    zeros += Math.clz32(byte) - 24;
    break;
  }
  return Math.floor(zeros / 5);
}

/** Index of the first entry whose key is >= key. */
function lowerBound<V>(entries: Entry<V>[], key: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isStored<V>(ref: Ref<V>): ref is StoredRef {
  return 'hash' in ref;
}

/** A node from its parts; a node left without entries is its one subtree. */
function nodeRef<V>(level: number, entries: Entry<V>[], children: (Ref<V> | null)[]): Ref<V> | null {
  return entries.length === 0 ? children[0]! : { draft: { level, entries, children } };
}

/** Reads a node: a draft, or a stored one through the cache. */
type NodeAt<V> = (ref: Ref<V>) => Node<V>;

const NOT_FOUND = Symbol('not found');

/** Trees of one value type over one NodeStorage, with a cache of decoded nodes bounded by bytes. */
export class Mst<V> {
  private readonly cache = new Map<string, { node: Node<V>; bytes: number }>();
  private cached = 0;
  /** Reads a node (for the operations below, which take it as a parameter). */
  readonly at: NodeAt<V> = (ref) => (isStored(ref) ? this.read(ref.hash) : ref.draft);

  constructor(
    readonly storage: NodeStorage,
    readonly codec: ValueCodec<V>,
    /** Decoded nodes kept, by the size of their bytes (decoded they take a few times more). */
    private readonly cacheBytes = 16 * 1024 * 1024,
  ) {}

  // ---- reading a stored tree ----

  get(root: string | null, key: string): V | undefined {
    return getIn(this.at, this.ref(root), key);
  }

  /** The entries with from <= key < to (either bound may be absent), in key order. */
  entries(root: string | null, range: { from?: string; to?: string } = {}): Generator<Entry<V>> {
    return this.scan(this.ref(root), range.from, range.to);
  }

  /** The first entry with from <= key < to, if any. */
  first(root: string | null, range: { from?: string; to?: string }): Entry<V> | undefined {
    return firstIn(this.at, this.ref(root), range.from, range.to);
  }

  /** Every key added, removed or changed from `before` to `after`, in key order; shared subtrees are skipped unread. */
  diff(before: string | null, after: string | null): Generator<Change<V>> {
    return this.diffRefs(this.ref(before), this.ref(after));
  }

  /** A stored tree's count and weight, from its root node. */
  summary(root: string | null): TreeRoot {
    if (root === null) return EMPTY;
    return { hash: root, ...this.totals(this.read(root)) };
  }

  /**
   * Visits every node of the tree not in `seen` (adding it) and the values it holds: a garbage
   * collector's mark, where trees that share subtrees are walked once in all. Nodes are read
   * past the cache, which a walk over everything would only churn.
   */
  walkNodes(root: string | null, seen: Set<string>, onValue: (value: V) => void): void {
    const stack = root === null ? [] : [root];
    while (stack.length > 0) {
      const hash = stack.pop()!;
      if (seen.has(hash)) continue;
      seen.add(hash);
      const node = this.decode(this.storage.read(hash), hash);
      for (const e of node.entries) onValue(e.value);
      for (const child of node.children) if (child && isStored(child)) stack.push(child.hash);
    }
  }

  /** An editable copy of a stored tree. */
  edit(root: string | null): MstEdit<V> {
    return new MstEdit(this, this.ref(root));
  }

  /** The tree of exactly `entries` (sorted by key, each key once), stored. */
  buildSync(sorted: Entry<V>[]): Persisted {
    const levels = sorted.map((e) => keyLevel(e.key));
    for (let i = 1; i < sorted.length; i++) {
      if (!(sorted[i - 1]!.key < sorted[i]!.key)) throw new Error(`buildSync: keys not sorted and unique at "${sorted[i]!.key}"`);
    }
    const build = (lo: number, hi: number): Ref<V> | null => {
      if (lo >= hi) return null;
      let top = -1;
      for (let i = lo; i < hi; i++) if (levels[i]! > top) top = levels[i]!;
      const entries: Entry<V>[] = [];
      const children: (Ref<V> | null)[] = [];
      let start = lo;
      for (let i = lo; i < hi; i++) {
        if (levels[i] !== top) continue;
        children.push(build(start, i));
        entries.push(sorted[i]!);
        start = i + 1;
      }
      children.push(build(start, hi));
      return { draft: { level: top, entries, children } };
    };
    return this.persist(build(0, sorted.length));
  }

  /** A stored node's entries and the hashes of its subtrees, checked against its hash: for a walk over every node (fsck). */
  nodeAt(hash: string): { entries: Entry<V>[]; children: string[] } {
    const node = this.read(hash);
    const children: string[] = [];
    for (const child of node.children) if (child) children.push((child as StoredRef).hash);
    return { entries: node.entries, children };
  }

  // ---- internals shared with MstEdit ----

  /** A root hash as a reference; its totals are read from its node when needed. */
  ref(root: string | null): Ref<V> | null {
    return root === null ? null : { hash: root, count: -1, weight: -1 };
  }

  private read(hash: string): Node<V> {
    const hit = this.cache.get(hash);
    if (hit) {
      // Most recently used last: the Map's order is the eviction order.
      this.cache.delete(hash);
      this.cache.set(hash, hit);
      return hit.node;
    }
    const bytes = this.storage.read(hash);
    const node = this.decode(bytes, hash);
    this.remember(hash, node, bytes.byteLength);
    return node;
  }

  private remember(hash: string, node: Node<V>, bytes: number): void {
    if (this.cache.has(hash)) return;
    this.cache.set(hash, { node, bytes });
    this.cached += bytes;
    for (const [key, value] of this.cache) {
      if (this.cached <= this.cacheBytes) break;
      this.cache.delete(key);
      this.cached -= value.bytes;
    }
  }

  totals(node: Node<V>): { count: number; weight: number } {
    let count = node.entries.length;
    let weight = 0;
    for (const e of node.entries) weight += this.codec.weight(e.value);
    for (const child of node.children) {
      if (!child) continue;
      const t = this.refTotals(child);
      count += t.count;
      weight += t.weight;
    }
    return { count, weight };
  }

  /** A subtree's totals: a link carries them; a root reference or a draft (only the edited paths) sums its node's. */
  refTotals(ref: Ref<V>): { count: number; weight: number } {
    if (isStored(ref) && ref.count >= 0) return ref;
    return this.totals(this.at(ref));
  }

  /** The entries with from <= key < to, in order; a walk with a stack of its own, one resume per entry whatever the depth. */
  *scan(ref: Ref<V> | null, from: string | undefined, to: string | undefined): Generator<Entry<V>> {
    // Per node: the next entry, and whether the subtree before it is done; `from` bounds only the first subtree.
    const stack: { node: Node<V>; i: number; below: boolean; from: string | undefined }[] = [];
    const enter = (child: Ref<V> | null, bound: string | undefined) => {
      if (!child) return;
      const node = this.at(child);
      stack.push({ node, i: bound === undefined ? 0 : lowerBound(node.entries, bound), below: false, from: bound });
    };
    enter(ref, from);
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      if (!top.below) {
        top.below = true;
        const bound = top.from;
        top.from = undefined; // keys in later subtrees are above it already
        enter(top.node.children[top.i]!, bound);
        continue;
      }
      const entry = top.node.entries[top.i];
      if (!entry) {
        stack.pop();
        continue;
      }
      if (to !== undefined && entry.key >= to) return;
      yield entry;
      top.i++;
      top.below = false;
    }
  }

  /** Calls `visit` on the entries with from <= key < to, in order: scan() without a generator's cost per entry, for whole listings. */
  forEach(root: string | null, range: { from?: string; to?: string }, visit: (entry: Entry<V>) => void): void {
    const { from, to } = range;
    const walk = (ref: Ref<V> | null, bound: string | undefined): boolean => {
      if (!ref) return true;
      const node = this.at(ref);
      const start = bound === undefined ? 0 : lowerBound(node.entries, bound);
      for (let i = start; i <= node.entries.length; i++) {
        if (!walk(node.children[i]!, i === start ? bound : undefined)) return false;
        const entry = node.entries[i];
        if (!entry) break;
        if (to !== undefined && entry.key >= to) return false;
        visit(entry);
      }
      return true;
    };
    walk(this.ref(root), from);
  }

  private *diffRefs(a: Ref<V> | null, b: Ref<V> | null): Generator<Change<V>> {
    // Each side: the items still to compare, next one last. An item is an entry or a subtree.
    type Item = Entry<V> | Ref<V>;
    const isEntry = (item: Item): item is Entry<V> => 'key' in item;
    const left: Item[] = a ? [a] : [];
    const right: Item[] = b ? [b] : [];
    // Comparing levels reads a subtree before it is expanded: read each once, whatever the cache holds.
    const seen = new Map<Ref<V>, Node<V>>();
    const load = (ref: Ref<V>) => {
      let node = seen.get(ref);
      if (!node) {
        node = this.at(ref);
        seen.set(ref, node);
      }
      return node;
    };
    const expand = (items: Item[]) => {
      const ref = items.pop() as Ref<V>;
      const node = load(ref);
      seen.delete(ref);
      for (let i = node.entries.length; i >= 0; i--) {
        const child = node.children[i];
        if (child) items.push(child);
        if (i > 0) items.push(node.entries[i - 1]!);
      }
    };
    const same = (x: Ref<V>, y: Ref<V>) => x === y || (isStored(x) && isStored(y) && x.hash === y.hash);
    while (left.length > 0 && right.length > 0) {
      const x = left.at(-1)!;
      const y = right.at(-1)!;
      if (!isEntry(x) && !isEntry(y)) {
        if (same(x, y)) {
          left.pop();
          right.pop();
        } else if (load(x).level >= load(y).level) expand(left);
        else expand(right);
      } else if (!isEntry(x)) expand(left);
      else if (!isEntry(y)) expand(right);
      else if (x.key < y.key) {
        left.pop();
        yield { key: x.key, before: x.value };
      } else if (y.key < x.key) {
        right.pop();
        yield { key: y.key, after: y.value };
      } else {
        left.pop();
        right.pop();
        if (!this.codec.equal(x.value, y.value)) yield { key: x.key, before: x.value, after: y.value };
      }
    }
    for (const [items, side] of [
      [left, 'before'],
      [right, 'after'],
    ] as const) {
      while (items.length > 0) {
        const item = items.at(-1)!;
        if (!isEntry(item)) expand(items);
        else {
          items.pop();
          yield { key: item.key, [side]: item.value };
        }
      }
    }
  }

  /** Writes every draft node below `ref`, children first; returns the stored tree. */
  persist(ref: Ref<V> | null): Persisted {
    if (!ref) return { ...EMPTY, written: [] };
    const written: string[] = [];
    const stored = this.store(ref, written);
    return { hash: stored.hash, count: stored.count, weight: stored.weight, written };
  }

  private store(ref: Ref<V>, written: string[]): StoredRef {
    if (isStored(ref)) return ref;
    const node = ref.draft;
    const children = node.children.map((c) => (c ? this.store(c, written) : null));
    const stored: Node<V> = { level: node.level, entries: node.entries, children };
    const bytes = this.encode(stored);
    const hash = this.storage.write(bytes);
    written.push(hash);
    this.remember(hash, stored, bytes.byteLength);
    return { hash, ...this.totals(stored) };
  }

  // ---- node bytes ----

  private encode(node: Node<V>): Uint8Array {
    const out = new ByteWriter();
    out.byte(NODE_FORMAT);
    out.varint(node.level);
    out.varint(node.entries.length);
    const link = (child: Ref<V> | null) => {
      if (!child) return out.byte(0);
      const stored = child as StoredRef;
      out.byte(1);
      out.hex(stored.hash);
      out.varint(stored.count);
      out.varint(stored.weight);
    };
    link(node.children[0]!);
    let previous = '';
    node.entries.forEach((entry, i) => {
      // Keys are prefix-compressed against the previous one, in UTF-16 units, never splitting a surrogate pair.
      const key = entry.key;
      let shared = 0;
      const max = Math.min(key.length, previous.length);
      while (shared < max && key.charCodeAt(shared) === previous.charCodeAt(shared)) shared++;
      if (shared > 0 && isHighSurrogate(key.charCodeAt(shared - 1))) shared--;
      out.varint(shared);
      out.utf8(key.slice(shared));
      this.codec.encode(entry.value, out);
      link(node.children[i + 1]!);
      previous = key;
    });
    return out.finish();
  }

  /** A stored node's bytes, checked against its hash, as a node; damage is a StoreDamageError naming the node. */
  private decode(bytes: Uint8Array, hash: string): Node<V> {
    const actual = sha256(bytes);
    if (actual !== hash) throw new StoreDamageError(`tree node ${hash}`, objectFault(actual));
    try {
      return this.parse(bytes);
    } catch (e) {
      throw new StoreDamageError(`tree node ${hash}`, `cannot be read: ${(e as Error).message}`);
    }
  }

  private parse(bytes: Uint8Array): Node<V> {
    const input = new ByteReader(bytes);
    const format = input.byte();
    if (format !== NODE_FORMAT) throw new Error(`it has format ${format}; this vigil reads format ${NODE_FORMAT}`);
    const level = input.varint();
    const n = input.varint();
    const link = (): Ref<V> | null => {
      if (input.byte() === 0) return null;
      const childHash = input.hex(32);
      const count = input.varint();
      return { hash: childHash, count, weight: input.varint() };
    };
    const entries: Entry<V>[] = [];
    const children: (Ref<V> | null)[] = [link()];
    let previous = '';
    for (let i = 0; i < n; i++) {
      const shared = input.varint();
      const key = previous.slice(0, shared) + input.utf8();
      entries.push({ key, value: this.codec.decode(input) });
      children.push(link());
      previous = key;
    }
    return { level, entries, children };
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

// ---- the operations, over the nodes at hand ----

function getIn<V>(at: NodeAt<V>, ref: Ref<V> | null, key: string): V | undefined {
  while (ref) {
    const node = at(ref);
    const i = lowerBound(node.entries, key);
    const entry = node.entries[i];
    if (entry && entry.key === key) return entry.value;
    ref = node.children[i]!;
  }
  return undefined;
}

function firstIn<V>(at: NodeAt<V>, ref: Ref<V> | null, from: string | undefined, to: string | undefined): Entry<V> | undefined {
  if (!ref) return undefined;
  const node = at(ref);
  const i = from === undefined ? 0 : lowerBound(node.entries, from);
  const below = firstIn(at, node.children[i]!, from, to);
  if (below) return below;
  const entry = node.entries[i];
  return entry && (to === undefined || entry.key < to) ? entry : undefined;
}

function putIn<V>(at: NodeAt<V>, codec: ValueCodec<V>, ref: Ref<V> | null, key: string, value: V, level: number): Ref<V> {
  if (!ref) return { draft: { level, entries: [{ key, value }], children: [null, null] } };
  const node = at(ref);
  if (node.level < level) {
    const [below, above] = split(at, ref, key);
    return { draft: { level, entries: [{ key, value }], children: [below, above] } };
  }
  const i = lowerBound(node.entries, key);
  if (node.level > level) {
    const children = node.children.slice();
    children[i] = putIn(at, codec, node.children[i]!, key, value, level);
    return { draft: { level: node.level, entries: node.entries, children } };
  }
  const entries = node.entries.slice();
  if (entries[i]?.key === key) {
    if (codec.equal(entries[i]!.value, value)) return ref;
    entries[i] = { key, value };
    return { draft: { level, entries, children: node.children } };
  }
  const [below, above] = split(at, node.children[i]!, key);
  entries.splice(i, 0, { key, value });
  const children = node.children.slice();
  children.splice(i, 1, below, above);
  return { draft: { level, entries, children } };
}

function deleteIn<V>(at: NodeAt<V>, ref: Ref<V> | null, key: string, level: number): Ref<V> | null | typeof NOT_FOUND {
  if (!ref) return NOT_FOUND;
  const node = at(ref);
  if (node.level < level) return NOT_FOUND;
  const i = lowerBound(node.entries, key);
  if (node.level > level) {
    const child = deleteIn(at, node.children[i]!, key, level);
    if (child === NOT_FOUND) return NOT_FOUND;
    const children = node.children.slice();
    children[i] = child;
    return { draft: { level: node.level, entries: node.entries, children } };
  }
  if (node.entries[i]?.key !== key) return NOT_FOUND;
  const joined = merge(at, node.children[i]!, node.children[i + 1]!);
  const entries = node.entries.slice();
  entries.splice(i, 1);
  const children = node.children.slice();
  children.splice(i, 2, joined);
  return nodeRef(level, entries, children);
}

/** The tree cut in two: keys < key, keys >= key. */
function split<V>(at: NodeAt<V>, ref: Ref<V> | null, key: string): [Ref<V> | null, Ref<V> | null] {
  if (!ref) return [null, null];
  const node = at(ref);
  const i = lowerBound(node.entries, key);
  const [below, above] = split(at, node.children[i]!, key);
  return [
    nodeRef(node.level, node.entries.slice(0, i), [...node.children.slice(0, i), below]),
    nodeRef(node.level, node.entries.slice(i), [above, ...node.children.slice(i + 1)]),
  ];
}

/** Two trees joined, every key of `low` below every key of `high`. */
function merge<V>(at: NodeAt<V>, low: Ref<V> | null, high: Ref<V> | null): Ref<V> | null {
  if (!low) return high;
  if (!high) return low;
  const a = at(low);
  const b = at(high);
  if (a.level > b.level) {
    const last = merge(at, a.children.at(-1)!, high);
    return { draft: { level: a.level, entries: a.entries, children: [...a.children.slice(0, -1), last] } };
  }
  if (a.level < b.level) {
    const first = merge(at, low, b.children[0]!);
    return { draft: { level: b.level, entries: b.entries, children: [first, ...b.children.slice(1)] } };
  }
  const middle = merge(at, a.children.at(-1)!, b.children[0]!);
  return {
    draft: {
      level: a.level,
      entries: [...a.entries, ...b.entries],
      children: [...a.children.slice(0, -1), middle, ...b.children.slice(1)],
    },
  };
}

/**
 * Edits of one tree: each put and delete rewrites the nodes along one path, in memory; persist()
 * stores the new nodes. Never shared: an edit is one writer's.
 */
export class MstEdit<V> {
  /** Nodes stored by replace(), for persist() to report. */
  private readonly written: string[] = [];

  constructor(
    private readonly mst: Mst<V>,
    private root: Ref<V> | null,
  ) {}

  get(key: string): V | undefined {
    return getIn(this.mst.at, this.root, key);
  }

  entries(range: { from?: string; to?: string } = {}): Generator<Entry<V>> {
    return this.mst.scan(this.root, range.from, range.to);
  }

  first(range: { from?: string; to?: string }): Entry<V> | undefined {
    return firstIn(this.mst.at, this.root, range.from, range.to);
  }

  /** How many keys the edited tree holds. */
  count(): number {
    return this.root ? this.mst.refTotals(this.root).count : 0;
  }

  put(key: string, value: V): void {
    this.root = putIn(this.mst.at, this.mst.codec, this.root, key, value, keyLevel(key));
  }

  /**
   * Puts every entry (each key once). A batch as large as the tree rebuilds it from its sorted
   * entries, which costs O(N) once instead of O(batch × log N) with a large constant.
   */
  putAll(entries: Entry<V>[]): void {
    if (entries.length <= 1024 || entries.length * 4 <= this.count()) {
      for (const e of entries) this.put(e.key, e.value);
      return;
    }
    const all = new Map<string, V>();
    for (const e of this.entries()) all.set(e.key, e.value);
    for (const e of entries) all.set(e.key, e.value);
    const keys = [...all.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.replace(keys.map((key) => ({ key, value: all.get(key)! })));
  }

  /** Removes `key`; false when it was not there. */
  delete(key: string): boolean {
    const result = deleteIn(this.mst.at, this.root, key, keyLevel(key));
    if (result === NOT_FOUND) return false;
    this.root = result;
    return true;
  }

  /** Removes every key with from <= key < to; returns how many there were. */
  deleteRange(from: string, to: string): number {
    const at = this.mst.at;
    const [below, rest] = split(at, this.root, from);
    const [doomed, above] = split(at, rest, to);
    if (!doomed) return 0;
    this.root = merge(at, below, above);
    return this.mst.refTotals(doomed).count;
  }

  /** Replaces the whole tree by `entries` (sorted, each key once). */
  replace(sorted: Entry<V>[]): void {
    const built = this.mst.buildSync(sorted);
    this.written.push(...built.written);
    this.root = this.mst.ref(built.hash);
  }

  /** Stores the new nodes; returns the tree and every node this edit stored. */
  persist(): Persisted {
    const root = this.root;
    const stored = root && isStored(root) ? { ...this.mst.summary(root.hash), written: [] } : this.mst.persist(root);
    return { ...stored, written: [...this.written, ...stored.written] };
  }
}

/** Nodes in a Map: for trees that are computed, not kept (a tree's root hash, tests). */
export class MemoryNodeStorage implements NodeStorage {
  readonly nodes = new Map<string, Uint8Array>();

  read(hash: string): Uint8Array {
    const bytes = this.nodes.get(hash);
    if (!bytes) throw new Error(`no tree node ${hash}`);
    return bytes;
  }

  write(bytes: Uint8Array): string {
    const hash = sha256(bytes);
    this.nodes.set(hash, bytes);
    return hash;
  }
}

// ---- bytes ----

/** Bytes written into one growing buffer. */
export class ByteWriter {
  private buf = Buffer.allocUnsafe(4096);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned LEB128, for any safe integer. */
  varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`cannot encode ${n} as a varint`);
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** Hex digits as their bytes (a sha256: 32 bytes). */
  hex(text: string): void {
    this.room(text.length / 2);
    this.pos += this.buf.write(text, this.pos, 'hex');
  }

  /** A string as its UTF-8 byte length, then the bytes. */
  utf8(text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    this.varint(length);
    this.room(length);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  finish(): Uint8Array {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export class ByteReader {
  private pos = 0;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(n: number): number {
    if (this.pos + n > this.buf.length) throw new Error('it ends early');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  byte(): number {
    return this.buf[this.take(1)]!;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  }

  hex(bytes: number): string {
    const at = this.take(bytes);
    return this.buf.toString('hex', at, at + bytes);
  }

  utf8(): string {
    const length = this.varint();
    const at = this.take(length);
    return this.buf.toString('utf8', at, at + length);
  }
}
