import { VigilError } from '../../pfs/errors.js';
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

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The tree a commit gets: the parent's tree with `change` applied, sorted by path. Pure; refuses
 * (VigilError, naming `where`, e.g. `raw@master`) a delete that matches nothing, a path given
 * twice, a path put that is too long for a filesystem (checkPathLength), and a path that would
 * be both a file and a folder.
 */
export function applyChange(parent: readonly FileEntry[], change: TreeChange, where: string): FileEntry[] {
  if (change.replace && change.delete?.length) throw new Error('a commit that replaces the tree cannot also delete');
  const files = new Map<string, FileEntry>(change.replace ? [] : parent.map((e) => [e.path, e]));

  if (change.delete?.length) deleteFrom(files, change.delete.map(normalizeRepoPath), where);

  const seen = new Set<string>();
  for (const entry of change.put ?? []) {
    const path = normalizeRepoPath(entry.path);
    if (path === '/') throw new VigilError(`cannot put a file at the root of ${where}; give a file path such as /a.jpg`);
    if (seen.has(path)) throw new VigilError(`"${path}" is given twice in one commit to ${where}`);
    checkPathLength(path, where);
    if (!SHA256.test(entry.sha256) || !Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw new Error(`bad file entry for ${path}: ${JSON.stringify(entry)}`);
    }
    seen.add(path);
    files.set(path, { path, sha256: entry.sha256, size: entry.size });
  }

  checkFileFolderClash(files, where);
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function deleteFrom(files: Map<string, FileEntry>, targets: string[], where: string): void {
  const wanted = new Set(targets);
  const matched = new Set<string>();
  for (const path of files.keys()) {
    const hit = wanted.has('/') ? '/' : wanted.has(path) ? path : ancestors(path).find((dir) => wanted.has(dir));
    if (hit === undefined) continue;
    files.delete(path);
    matched.add(hit);
  }
  const missing = [...wanted].filter((t) => !matched.has(t));
  if (missing.length)
    throw new VigilError(`nothing to delete at ${missing.map((m) => `"${m}"`).join(', ')} in ${where}: no such file or folder`);
}

function checkFileFolderClash(files: Map<string, FileEntry>, where: string): void {
  const folders = new Map<string, string>(); // folder → one file below it
  for (const path of files.keys()) for (const dir of ancestors(path)) if (!folders.has(dir)) folders.set(dir, path);
  for (const [dir, below] of folders) {
    if (files.has(dir)) throw new VigilError(`"${dir}" is a file in ${where}, so it cannot also be a folder holding "${below}"`);
  }
}

/** `/a/b/c` → [`/a/b`, `/a`] (the root excluded). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) out.push(path.slice(0, i));
  return out;
}

/** A tree as stored: one JSON array, read back with a single JSON.parse. */
export function serializeTree(entries: readonly FileEntry[]): string {
  return JSON.stringify(entries.map((e) => ({ path: e.path, sha256: e.sha256, size: e.size })));
}

export function parseTree(text: string): FileEntry[] {
  return JSON.parse(text) as FileEntry[];
}
