/**
 * Datums as Pachyderm makes them (pachyderm/pachyderm src/server/worker/datum: create.go,
 * task.go; the glob in glob.ts): pure, no I/O. Given each input branch's whole head tree,
 * makeDatums gives every datum of the job, with the identity and hash that decide whether a
 * datum can be skipped: the reference that incremental.ts's planning from tree diffs must
 * agree with, and the job runner's plan when it cannot plan from diffs.
 */
import { createHash } from 'node:crypto';
import { VigilError } from '../../pfs/errors.js';
import { sha256 } from '../../pfs/files.js';
import type { Input, PfsInput } from '../pps/spec.js';
import { type FileEntry, fileTreeRoot } from '../store/tree.js';
import { cleanGlob, compileGlob } from './glob.js';

/**
 * One input of a datum, as the planner knows it: what the step sees under `$PFS_ROOT/<name>/`.
 * Its content is summed up in `digest`: a file's sha256, a folder's hash over its files' paths
 * and sha256s, the tree's root for glob `/` (canonical: equal contents, equal digests).
 */
export interface DatumMatch {
  name: string;
  repo: string;
  branch: string;
  commit: string;
  glob: string;
  /** The matched path: `/` for the whole repo, else a file or a folder (no trailing slash). */
  path: string;
  type: 'file' | 'dir';
  /** The bytes of every file at or under `path`. */
  size: number;
  digest: string;
  /** The `joinOn` template with the glob's captures filled in, when the input has one. */
  joinOn?: string;
  /** The `groupBy` template with the glob's captures filled in, when the input has one. */
  groupBy?: string;
  /** Copied from the pfs input when true, as Pachyderm's worker carries them per input. */
  outerJoin?: true;
  emptyFiles?: true;
  /** Every file at or under `path`, sorted by path, when the planner has read them. */
  files?: FileEntry[];
}

/** An input of a datum about to run: its files are known. */
export interface DatumInput extends DatumMatch {
  files: FileEntry[];
}

/** A datum as planned: its identity, its hash, and what its inputs are. */
export interface PlannedDatum {
  /** sha256 (hex) of the inputs' names, repos, branches and paths: the same datum in every job. */
  id: string;
  /** sha256 (hex) of the id, the pipeline's salt and each input's digest. */
  hash: string;
  inputs: DatumMatch[];
}

/** A datum with the files of its inputs: what the workers lay out. */
export interface Datum extends PlannedDatum {
  inputs: DatumInput[];
}

/** The head of `repo@branch` (its root when known, else computed from `files`), or null when the branch has no commit yet. */
export type HeadTree = (repo: string, branch: string) => { commit: string; files: FileEntry[]; root?: string | null } | null;

/** Every datum of `input`, sorted by id (the order of Pachyderm's datum file sets). */
export function makeDatums(input: Input, tree: HeadTree, salt: string): Datum[] {
  return toDatums(inputTuples(input, tree) as DatumInput[][], salt) as Datum[];
}

/** Datums of the tuples, sorted by id, one of each id. */
export function toDatums(all: DatumMatch[][], salt: string): PlannedDatum[] {
  const datums = all.map((inputs) => {
    const id = datumId(inputs);
    return { id, hash: datumHash(id, inputs, salt), inputs };
  });
  datums.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Overlapping union branches, or an outer join, can yield one datum twice; Pachyderm keeps one.
  return datums.filter((d, i) => i === 0 || d.id !== datums[i - 1]!.id);
}

/** The inputs of one datum, before it gets its id and hash. */
export type Tuple = DatumMatch[];

/** Every tuple of `input` over the head trees. */
export function inputTuples(input: Input, tree: HeadTree): Tuple[] {
  if ('pfs' in input) return pfsTuples(input.pfs, tree);
  return combine(
    input,
    children(input).map((child) => inputTuples(child, tree)),
  );
}

/** The children of a cross, union, join or group. */
export function children(input: Exclude<Input, { pfs: PfsInput }>): Input[] {
  return 'cross' in input ? input.cross : 'union' in input ? input.union : 'join' in input ? input.join : input.group;
}

/** The tuples of a cross, union, join or group, from its children's tuples. */
export function combine(input: Exclude<Input, { pfs: PfsInput }>, of: Tuple[][]): Tuple[] {
  if ('cross' in input) return cross(of);
  if ('union' in input) return of.flat();
  if ('join' in input) return join(of);
  return group(of);
}

/** The glob of a pfs input as a RegExp; a malformed glob is a VigilError naming the input. */
export function pfsGlob(pfs: PfsInput): RegExp {
  try {
    return compileGlob(pfs.glob);
  } catch (e) {
    throw e instanceof VigilError ? new VigilError(`input "${pfs.name}": ${e.message}`) : e;
  }
}

function pfsTuples(pfs: PfsInput, tree: HeadTree): Tuple[] {
  const head = tree(pfs.repo, pfs.branch);
  if (!head) return [];
  const glob = pfsGlob(pfs);
  const files = sortedByPath(head.files);
  if (wholeRepo(pfs)) {
    if (files.length === 0) return [];
    const root = head.root === undefined ? fileTreeRoot(files) : head.root;
    return [[pfsMatch(pfs, glob, head.commit, '/', { type: 'dir', size: sizeOf(files), digest: root!, files })]];
  }
  return matchesOf(pfs, glob, head.commit, files).map((match) => [match]);
}

/** Whether the input's glob is `/`: one datum of the whole repo, whose digest is the tree's root. */
export function wholeRepo(pfs: PfsInput): boolean {
  return cleanGlob(pfs.glob) === '/';
}

/** Every match of a glob other than `/` among `files` (sorted by path), in the order they first appear. */
export function matchesOf(pfs: PfsInput, glob: RegExp, commit: string, files: FileEntry[]): DatumMatch[] {
  return Array.from(matchPaths(glob, files), ([path, matched]) => pfsMatch(pfs, glob, commit, path, contentOf(path, matched)));
}

/** What a match holds, from its files: a file's own sha256, or a folder's digest. */
export function contentOf(path: string, files: FileEntry[]): Pick<DatumMatch, 'type' | 'size' | 'digest' | 'files'> {
  if (files.length === 1 && files[0]!.path === path) return { type: 'file', size: files[0]!.size, digest: files[0]!.sha256, files };
  return { type: 'dir', size: sizeOf(files), digest: folderDigest(files), files };
}

function sizeOf(files: FileEntry[]): number {
  let size = 0;
  for (const f of files) size += f.size;
  return size;
}

/** A folder's digest: sha256 over its files' paths and sha256s, in path order. */
function folderDigest(files: FileEntry[]): string {
  const digest = createHash('sha256');
  for (const f of files) digest.update(`${f.path}\0${f.sha256}\0`);
  return digest.digest('hex');
}

/** The input a pfs input gives for the match `path`, with its joinOn and groupBy filled from the glob's captures. */
export function pfsMatch(
  pfs: PfsInput,
  glob: RegExp,
  commit: string,
  path: string,
  content: Pick<DatumMatch, 'type' | 'size' | 'digest' | 'files'>,
): DatumMatch {
  const { name, repo, branch } = pfs;
  const match: DatumMatch = { name, repo, branch, commit, glob: pfs.glob, path, ...content };
  if (pfs.joinOn != null || pfs.groupBy != null) {
    const captures = glob.exec(path) ?? [];
    if (pfs.joinOn != null) match.joinOn = fillCaptures(pfs.joinOn, captures);
    if (pfs.groupBy != null) match.groupBy = fillCaptures(pfs.groupBy, captures);
  }
  if (pfs.outerJoin) match.outerJoin = true;
  if (pfs.emptyFiles) match.emptyFiles = true;
  return match;
}

/** The files sorted by path; the store lists them sorted, so this is usually the same array. */
function sortedByPath(files: FileEntry[]): FileEntry[] {
  for (let i = 1; i < files.length; i++) {
    if (files[i - 1]!.path > files[i]!.path) return [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  return files;
}

/**
 * Every file or folder the glob matches, with the files at or under it. Folders exist only
 * through their files, so each file's ancestors are candidates too; a folder is tested once.
 * Matches nested in another match are datums of their own, as Pachyderm's GlobFile returns them.
 */
function matchPaths(glob: RegExp, files: FileEntry[]): Map<string, FileEntry[]> {
  const matches = new Map<string, FileEntry[]>();
  const add = (path: string, file: FileEntry) => {
    const list = matches.get(path);
    if (list) list.push(file);
    else matches.set(path, [file]);
  };
  const folderMatches = new Map<string, boolean>();
  for (const file of files) {
    const path = file.path;
    for (let slash = path.indexOf('/', 1); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const folder = path.slice(0, slash);
      let hit = folderMatches.get(folder);
      if (hit === undefined) {
        hit = glob.test(folder);
        folderMatches.set(folder, hit);
      }
      if (hit) add(folder, file);
    }
    if (glob.test(path)) add(path, file);
  }
  return matches;
}

function cross(children: Tuple[][]): Tuple[] {
  if (children.length === 0) return [];
  return children.reduce<Tuple[]>((acc, child) => acc.flatMap((a) => child.map((c) => [...a, ...c])), [[]]);
}

/**
 * Pachyderm's join: the inputs of every child datum, by joinOn key; each key yields the
 * product of its inputs across children. A key some child lacks yields only the inputs marked
 * outerJoin (none: no datum).
 */
function join(children: Tuple[][]): Tuple[] {
  const out: Tuple[] = [];
  for (const slots of byKey(children, (input) => input.joinOn)) {
    const present = slots.filter((slot) => slot.length > 0);
    for (const combo of cross(present.map((slot) => slot.map((input) => [input])))) {
      const kept = present.length === children.length ? combo : combo.filter((input) => input.outerJoin);
      if (kept.length > 0) out.push(kept);
    }
  }
  return out;
}

/** Pachyderm's group: one datum per groupBy key, holding that key's inputs from every child. */
function group(children: Tuple[][]): Tuple[] {
  return Array.from(
    byKey(children, (input) => input.groupBy),
    (slots) => slots.flat(),
  );
}

/** For each key (no key counts as ''), the inputs of each child's datums that carry it. */
function byKey(children: Tuple[][], keyOf: (input: DatumMatch) => string | undefined): Iterable<DatumMatch[][]> {
  const slotsByKey = new Map<string, DatumMatch[][]>();
  children.forEach((tuples, child) => {
    for (const tuple of tuples) {
      for (const input of tuple) {
        const key = keyOf(input) ?? '';
        let slots = slotsByKey.get(key);
        if (!slots) {
          slots = children.map(() => []);
          slotsByKey.set(key, slots);
        }
        slots[child]!.push(input);
      }
    }
  });
  return slotsByKey.values();
}

// NUL cannot occur in names or paths, so it separates fields unambiguously.
export function datumId(inputs: readonly Pick<DatumMatch, 'name' | 'repo' | 'branch' | 'path'>[]): string {
  let s = '';
  for (const input of inputs) s += `${input.name}\0${input.repo}\0${input.branch}\0${input.path}\0`;
  return sha256(s);
}

export function datumHash(id: string, inputs: readonly Pick<DatumMatch, 'digest'>[], salt: string): string {
  let s = `${id}\0${salt.length}:${salt}`;
  for (const input of inputs) s += `\n${input.digest}`;
  return sha256(s);
}

/** `$n` / `${n}` in a joinOn or groupBy template become capture n (`$0` the whole path), `$$` a `$`. */
export function fillCaptures(template: string, captures: ArrayLike<string | undefined>): string {
  return template.replace(/\$(?:\$|(\d+)|\{(\d+)\})/g, (_whole, bare?: string, braced?: string) => {
    const n = bare ?? braced;
    return n === undefined ? '$' : (captures[Number(n)] ?? '');
  });
}
