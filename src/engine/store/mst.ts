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
 * is known from its root alone.
 */
import { hash as cryptoHash } from 'node:crypto';
import { sha256 } from '../../pfs/files.js';

/** Where nodes live: the store's objects, or memory. */
export interface NodeStorage {
  /** The bytes of node `hash`. */
  read(hash: string): Promise<Uint8Array>;
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

/** Reads a node that is at hand (a draft, pinned or cached), else throws Missing. */
type NodeAt<V> = (ref: Ref<V>) => Node<V>;

/** Thrown by a synchronous tree operation that needs a node not read yet; Mst.run reads it and runs the operation again. */
class Missing {
  constructor(readonly hash: string) {}
}

const NOT_FOUND = Symbol('not found');

/**
 * Trees of one value type over one NodeStorage, with a cache of decoded nodes bounded by bytes.
 * Operations are synchronous over the nodes at hand: one that needs another node is run again
 * once it is read (at most once per node of its path), so a cached path costs no async hop.
 */
export class Mst<V> {
  private readonly cache = new Map<string, { node: Node<V>; bytes: number }>();
  private cached = 0;

  constructor(
    readonly storage: NodeStorage,
    readonly codec: ValueCodec<V>,
    /** Decoded nodes kept, by the size of their bytes (decoded they take a few times more). */
    private readonly cacheBytes = 16 * 1024 * 1024,
  ) {}

  // ---- reading a stored tree ----

  get(root: string | null, key: string): Promise<V | undefined> {
    return this.run((at) => getIn(at, this.ref(root), key));
  }

  /** The entries with from <= key < to (either bound may be absent), in key order. */
  entries(root: string | null, range: { from?: string; to?: string } = {}): AsyncIterable<Entry<V>> {
    return this.scan(this.ref(root), range.from, range.to);
  }

  /** The first entry with from <= key < to, if any. */
  first(root: string | null, range: { from?: string; to?: string }): Promise<Entry<V> | undefined> {
    return this.run((at) => firstIn(at, this.ref(root), range.from, range.to));
  }

  /** Every key added, removed or changed from `before` to `after`, in key order; shared subtrees are skipped unread. */
  diff(before: string | null, after: string | null): AsyncIterable<Change<V>> {
    return this.diffRefs(this.ref(before), this.ref(after));
  }

  /** A stored tree's count and weight, from its root node. */
  async summary(root: string | null): Promise<TreeRoot> {
    if (root === null) return EMPTY;
    const totals = await this.run((at) => this.totals(at, at(this.ref(root)!)));
    return { hash: root, ...totals };
  }

  /** An editable copy of a stored tree. */
  edit(root: string | null): MstEdit<V> {
    return new MstEdit(this, this.ref(root));
  }

  /** The tree of exactly `entries` (sorted by key, each key once), stored; synchronous: it reads nothing. */
  buildSync(sorted: Entry<V>[]): TreeRoot {
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
    return this.persistSync(build(0, sorted.length));
  }

  // ---- internals shared with MstEdit ----

  /** A root hash as a reference; its totals are read from its node when needed. */
  ref(root: string | null): Ref<V> | null {
    return root === null ? null : { hash: root, count: -1, weight: -1 };
  }

  /** Runs a synchronous operation, reading the nodes it needs; nodes read for it stay at hand until it is done. */
  async run<T>(op: (at: NodeAt<V>) => T): Promise<T> {
    const pinned = new Map<string, Node<V>>();
    const at: NodeAt<V> = (ref) => {
      if (!isStored(ref)) return ref.draft;
      const node = pinned.get(ref.hash) ?? this.cachedNode(ref.hash);
      if (!node) throw new Missing(ref.hash);
      return node;
    };
    for (;;) {
      try {
        return op(at);
      } catch (e) {
        if (!(e instanceof Missing)) throw e;
        pinned.set(e.hash, await this.read(e.hash));
      }
    }
  }

  private cachedNode(hash: string): Node<V> | undefined {
    const hit = this.cache.get(hash);
    if (!hit) return undefined;
    // Most recently used last: the Map's order is the eviction order.
    this.cache.delete(hash);
    this.cache.set(hash, hit);
    return hit.node;
  }

  private async read(hash: string): Promise<Node<V>> {
    const cached = this.cachedNode(hash);
    if (cached) return cached;
    const bytes = await this.storage.read(hash);
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

  totals(at: NodeAt<V>, node: Node<V>): { count: number; weight: number } {
    let count = node.entries.length;
    let weight = 0;
    for (const e of node.entries) weight += this.codec.weight(e.value);
    for (const child of node.children) {
      if (!child) continue;
      const t = this.refTotals(at, child);
      count += t.count;
      weight += t.weight;
    }
    return { count, weight };
  }

  /** A subtree's totals: a link carries them; a root reference or a draft (only the edited paths) sums its node's. */
  refTotals(at: NodeAt<V>, ref: Ref<V>): { count: number; weight: number } {
    if (isStored(ref) && ref.count >= 0) return ref;
    return this.totals(at, at(ref));
  }

  async *scan(ref: Ref<V> | null, from: string | undefined, to: string | undefined): AsyncGenerator<Entry<V>, boolean> {
    if (!ref) return true;
    const node = isStored(ref) ? await this.read(ref.hash) : ref.draft;
    const start = from === undefined ? 0 : lowerBound(node.entries, from);
    for (let i = start; i <= node.entries.length; i++) {
      // Keys in children after the first one are above `from` already.
      if (!(yield* this.scan(node.children[i]!, i === start ? from : undefined, to))) return false;
      const entry = node.entries[i];
      if (!entry) break;
      if (to !== undefined && entry.key >= to) return false;
      yield entry;
    }
    return true;
  }

  private async *diffRefs(a: Ref<V> | null, b: Ref<V> | null): AsyncGenerator<Change<V>> {
    // Each side: the items still to compare, next one last. An item is an entry or a subtree.
    type Item = Entry<V> | Ref<V>;
    const isEntry = (item: Item): item is Entry<V> => 'key' in item;
    const left: Item[] = a ? [a] : [];
    const right: Item[] = b ? [b] : [];
    // Comparing levels reads a subtree before it is expanded: read each once, whatever the cache holds.
    const seen = new Map<Ref<V>, Node<V>>();
    const load = async (ref: Ref<V>) => {
      let node = seen.get(ref);
      if (!node) {
        node = isStored(ref) ? await this.read(ref.hash) : ref.draft;
        seen.set(ref, node);
      }
      return node;
    };
    const expand = async (items: Item[]) => {
      const ref = items.pop() as Ref<V>;
      const node = await load(ref);
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
        } else if ((await load(x)).level >= (await load(y)).level) await expand(left);
        else await expand(right);
      } else if (!isEntry(x)) await expand(left);
      else if (!isEntry(y)) await expand(right);
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
        if (!isEntry(item)) await expand(items);
        else {
          items.pop();
          yield { key: item.key, [side]: item.value };
        }
      }
    }
  }

  /** Writes every draft node below `ref`, children first; returns the stored tree. */
  persistSync(ref: Ref<V> | null): TreeRoot {
    if (!ref) return EMPTY;
    const stored = this.store(ref);
    return { hash: stored.hash, count: stored.count, weight: stored.weight };
  }

  private store(ref: Ref<V>): StoredRef {
    if (isStored(ref)) return ref;
    const node = ref.draft;
    const children = node.children.map((c) => (c ? this.store(c) : null));
    const stored: Node<V> = { level: node.level, entries: node.entries, children };
    const bytes = this.encode(stored);
    const hash = this.storage.write(bytes);
    this.remember(hash, stored, bytes.byteLength);
    return { hash, ...this.totals(() => stored, stored) };
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

  private decode(bytes: Uint8Array, hash: string): Node<V> {
    if (sha256(bytes) !== hash) throw new Error(`tree node ${hash} is damaged: its bytes hash to ${sha256(bytes)}`);
    const input = new ByteReader(bytes);
    const format = input.byte();
    if (format !== NODE_FORMAT) throw new Error(`tree node ${hash} has format ${format}; this vigil reads format ${NODE_FORMAT}`);
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
  constructor(
    private readonly mst: Mst<V>,
    private root: Ref<V> | null,
  ) {}

  get(key: string): Promise<V | undefined> {
    return this.mst.run((at) => getIn(at, this.root, key));
  }

  entries(range: { from?: string; to?: string } = {}): AsyncIterable<Entry<V>> {
    return this.mst.scan(this.root, range.from, range.to);
  }

  first(range: { from?: string; to?: string }): Promise<Entry<V> | undefined> {
    return this.mst.run((at) => firstIn(at, this.root, range.from, range.to));
  }

  /** How many keys the edited tree holds. */
  count(): Promise<number> {
    return this.mst.run((at) => (this.root ? this.mst.refTotals(at, this.root).count : 0));
  }

  async put(key: string, value: V): Promise<void> {
    const level = keyLevel(key);
    this.root = await this.mst.run((at) => putIn(at, this.mst.codec, this.root, key, value, level));
  }

  /** Removes `key`; false when it was not there. */
  async delete(key: string): Promise<boolean> {
    const level = keyLevel(key);
    const result = await this.mst.run((at) => deleteIn(at, this.root, key, level));
    if (result === NOT_FOUND) return false;
    this.root = result;
    return true;
  }

  /** Removes every key with from <= key < to; returns how many there were. */
  async deleteRange(from: string, to: string): Promise<number> {
    const { root, removed } = await this.mst.run((at) => {
      const [below, rest] = split(at, this.root, from);
      const [doomed, above] = split(at, rest, to);
      return { root: merge(at, below, above), removed: doomed ? this.mst.refTotals(at, doomed).count : 0 };
    });
    if (removed > 0) this.root = root;
    return removed;
  }

  /** Replaces the whole tree by `entries` (sorted, each key once). */
  replace(sorted: Entry<V>[]): void {
    this.root = this.mst.ref(this.mst.buildSync(sorted).hash);
  }

  /** Stores the new nodes; returns the tree. */
  async persist(): Promise<TreeRoot> {
    const root = this.root;
    if (root && isStored(root)) return this.mst.summary(root.hash);
    return this.mst.persistSync(root);
  }
}

/** Nodes in a Map: for trees that are computed, not kept (a tree's root hash, tests). */
export class MemoryNodeStorage implements NodeStorage {
  readonly nodes = new Map<string, Uint8Array>();

  async read(hash: string): Promise<Uint8Array> {
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
    if (this.pos + n > this.buf.length) throw new Error('tree node ends early');
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
