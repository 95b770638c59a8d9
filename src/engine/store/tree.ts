/**
 * A commit's tree: `path -> {sha256, size}` as a Merkle Search Tree (mst.ts), keyed by the
 * normalised path. A folder is the range of keys below `<folder>/`; it exists through its files.
 * Reads and edits cost O(log N) node reads each, whatever the size of the repo (synchronous:
 * see mst.ts).
 */
import { VigilError } from '../../pfs/errors.js';
import { namingDamage, namingDamageIn } from './damage.js';
import { type Change, type Entry, MemoryNodeStorage, Mst, type MstEdit, type NodeStorage, type Persisted, type ValueCodec } from './mst.js';
import { checkPathLength, normalizeRepoPath } from './names.js';

/** One file of a commit's tree. `path` is absolute (`/a/b.jpg`); the content is the object `sha256`. */
export interface FileEntry {
  path: string;
  sha256: string;
  size: number;
}

/** What a commit changes relative to its parent. */
export interface TreeChange {
  /** Files to add or overwrite; their objects must already be in the store. */
  put?: FileEntry[];
  /** Files, or folders (every file below them), to remove. Each must match something. */
  delete?: string[];
  /** The new tree is exactly `put` (a pipeline's output), whatever the parent held. */
  replace?: boolean;
}

/** A file that differs between two trees: `before` absent when added, `after` absent when removed. */
export interface FileChange {
  path: string;
  before?: FileEntry;
  after?: FileEntry;
}

export interface FileValue {
  sha256: string;
  size: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A file's value: the 32 bytes of its sha256, then its size. */
export const fileCodec: ValueCodec<FileValue> = {
  encode(value, out) {
    out.hex(value.sha256);
    out.varint(value.size);
  },
  decode(input) {
    return { sha256: input.hex(32), size: input.varint() };
  },
  weight: (value) => value.size,
  equal: (a, b) => a.sha256 === b.sha256 && a.size === b.size,
};

/** The key range of a folder's files: from `<folder>/` up to `<folder>0` ('0' follows '/'); the whole tree for `/`. */
export function folderRange(folder: string): { from?: string; to?: string } {
  return folder === '/' ? {} : { from: `${folder}/`, to: `${folder}0` };
}

function toEntry(e: Entry<FileValue>): FileEntry {
  return { path: e.key, sha256: e.value.sha256, size: e.value.size };
}

/** A stored tree, read-only: what a commit holds. A damaged or missing node is a StoreDamageError naming `where`. */
export class FileTree {
  constructor(
    readonly mst: Mst<FileValue>,
    /** The root node; null for an empty tree. Equal contents give equal roots. */
    readonly root: string | null,
    /** How many files, and their total size. */
    readonly count: number,
    readonly size: number,
    /** Whose tree this is, for errors: `repo@commit`. */
    readonly where = 'a tree',
  ) {}

  static open(mst: Mst<FileValue>, root: string | null, where?: string): FileTree {
    const summary = namingDamage(where ?? 'a tree', () => mst.summary(root));
    return new FileTree(mst, root, summary.count, summary.weight, where);
  }

  /** The file at `path`, or null (also when `path` is a folder). */
  get(path: string): FileEntry | null {
    const value = namingDamage(this.where, () => this.mst.get(this.root, path));
    return value ? { path, ...value } : null;
  }

  /** Whether some file lies below `path`. */
  isFolder(path: string): boolean {
    if (path === '/') return this.count > 0;
    return namingDamage(this.where, () => this.mst.first(this.root, folderRange(path))) !== undefined;
  }

  /** The files below `folder` ('/' for all), sorted by path. */
  *files(folder = '/'): Generator<FileEntry> {
    for (const e of namingDamageIn(this.where, this.mst.entries(this.root, folderRange(folder)))) yield toEntry(e);
  }

  list(folder = '/'): FileEntry[] {
    const out: FileEntry[] = [];
    namingDamage(this.where, () => this.mst.forEach(this.root, folderRange(folder), (e) => out.push(toEntry(e))));
    return out;
  }

  /** The files added, removed or changed from `before` (null: an empty tree) to this tree, sorted by path. */
  *changesSince(before: FileTree | null): Generator<FileChange> {
    const where = before ? `${before.where} or ${this.where}` : this.where;
    for (const c of namingDamageIn(where, this.mst.diff(before?.root ?? null, this.root))) yield fileChange(c);
  }
}

function fileChange(c: Change<FileValue>): FileChange {
  return {
    path: c.key,
    ...(c.before ? { before: { path: c.key, ...c.before } } : {}),
    ...(c.after ? { after: { path: c.key, ...c.after } } : {}),
  };
}

/** The root hash of the tree of exactly `files`, computed in memory (what a commit of them would name). */
export function fileTreeRoot(files: readonly FileEntry[]): string | null {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return new Mst(new MemoryNodeStorage(), fileCodec).buildSync(sorted.map((f) => ({ key: f.path, value: f }))).hash;
}

/**
 * The tree a commit gets: `base` with `change` applied, its new nodes stored. Refuses (VigilError,
 * naming `where`, e.g. `raw@master`) a delete that matches nothing, a path given twice, a path put
 * that is too long for a filesystem (checkPathLength), and a path that would be both a file and a
 * folder. Reads and writes O(changes × log N) nodes, except for a
 * batch as large as the tree, which rebuilds it (MstEdit.putAll).
 */
export function applyChange(mst: Mst<FileValue>, base: string | null, change: TreeChange, where: string): Persisted {
  if (change.replace && change.delete?.length) throw new Error('a commit that replaces the tree cannot also delete');
  const puts = checkedPuts(change.put ?? [], where);
  const edit = mst.edit(change.replace ? null : base);
  if (change.delete?.length) deleteFrom(edit, change.delete.map(normalizeRepoPath), where);

  const before = edit.count();
  edit.putAll(puts.map((p) => ({ key: p.path, value: { sha256: p.sha256, size: p.size } })));
  if (puts.length * 4 > before) checkClashesInMemory(edit, where);
  else for (const p of puts) checkClash(edit, p.path, where);
  return edit.persist();
}

/** The puts normalised, each checked: a file path (not the root), given once, a sha256 and a size. */
function checkedPuts(put: FileEntry[], where: string): FileEntry[] {
  const seen = new Set<string>();
  return put.map((entry) => {
    const path = normalizeRepoPath(entry.path);
    if (path === '/') throw new VigilError(`cannot put a file at the root of ${where}; give a file path such as /a.jpg`);
    checkPathLength(path, where);
    if (seen.has(path)) throw new VigilError(`"${path}" is given twice in one commit to ${where}`);
    if (!SHA256.test(entry.sha256) || !Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw new Error(`bad file entry for ${path}: ${JSON.stringify(entry)}`);
    }
    seen.add(path);
    return { path, sha256: entry.sha256, size: entry.size };
  });
}

/** Deletes each target, a file or a folder (deepest first, so that a folder named with one of its subfolders still matches). */
function deleteFrom(edit: MstEdit<FileValue>, targets: string[], where: string): void {
  const missing: string[] = [];
  for (const target of [...new Set(targets)].sort((a, b) => b.length - a.length)) {
    let removed: number;
    if (target === '/') {
      removed = edit.count();
      edit.replace([]);
    } else {
      removed = edit.delete(target) ? 1 : 0;
      const range = folderRange(target);
      removed += edit.deleteRange(range.from!, range.to!);
    }
    if (removed === 0) missing.push(target);
  }
  if (missing.length) {
    const named = targets.filter((t) => missing.includes(t));
    throw new VigilError(`nothing to delete at ${[...new Set(named)].map((m) => `"${m}"`).join(', ')} in ${where}: no such file or folder`);
  }
}

/** A put path must have no file among its ancestors and no file below it. */
function checkClash(edit: MstEdit<FileValue>, path: string, where: string): void {
  for (const dir of ancestors(path)) {
    if (edit.get(dir)) throw new VigilError(`"${dir}" is a file in ${where}, so it cannot also be a folder holding "${path}"`);
  }
  const below = edit.first(folderRange(path));
  if (below) throw new VigilError(`"${path}" is a file in ${where}, so it cannot also be a folder holding "${below.key}"`);
}

/** The clash check of a batch as large as the tree: one pass over its files rather than lookups per put. */
function checkClashesInMemory(edit: MstEdit<FileValue>, where: string): void {
  const files = new Set<string>();
  for (const e of edit.entries()) files.add(e.key);
  for (const path of files) {
    for (const dir of ancestors(path)) {
      if (files.has(dir)) throw new VigilError(`"${dir}" is a file in ${where}, so it cannot also be a folder holding "${path}"`);
    }
  }
}

/** `/a/b/c` → [`/a/b`, `/a`] (the root excluded). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) out.push(path.slice(0, i));
  return out;
}

/** Trees over `storage`; one per store, so that its node cache serves every reader. */
export function fileTrees(storage: NodeStorage, cacheBytes?: number): Mst<FileValue> {
  return new Mst(storage, fileCodec, cacheBytes);
}
