/**
 * Datums as Pachyderm makes them (pachyderm/pachyderm src/server/worker/datum: create.go,
 * task.go; the glob in glob.ts): pure, no I/O. The job runner hands in each input branch's
 * head tree and gets back every datum of the job, with the identity and hash that decide
 * whether a datum can be skipped.
 */
import { VigilError } from '../../pfs/errors.js';
import { sha256 } from '../../pfs/files.js';
import type { Input, PfsInput } from '../pps/spec.js';
import type { FileEntry } from '../store/store.js';
import { cleanGlob, compileGlob } from './glob.js';

/** One input of a datum: what the step sees under `$PFS_ROOT/<name>/`. */
export interface DatumInput {
  name: string;
  repo: string;
  branch: string;
  commit: string;
  glob: string;
  /** The matched path: `/` for the whole repo, else a file or a folder (no trailing slash). */
  path: string;
  /** Every file at or under `path`, with its full repo path, sorted by path. */
  files: FileEntry[];
  /** The `joinOn` template with the glob's captures filled in, when the input has one. */
  joinOn?: string;
  /** The `groupBy` template with the glob's captures filled in, when the input has one. */
  groupBy?: string;
  /** Copied from the pfs input when true, as Pachyderm's worker carries them per input. */
  outerJoin?: true;
  emptyFiles?: true;
}

export interface Datum {
  /** sha256 (hex) of the inputs' names, repos, branches and paths: the same datum in every job. */
  id: string;
  /** sha256 (hex) of the id, every file's path and sha256, and the pipeline's salt. */
  hash: string;
  inputs: DatumInput[];
}

/** The head of `repo@branch`, or null when the branch has no commit yet. */
export type HeadTree = (repo: string, branch: string) => { commit: string; files: FileEntry[] } | null;

/** Every datum of `input`, sorted by id (the order of Pachyderm's datum file sets). */
export function makeDatums(input: Input, tree: HeadTree, salt: string): Datum[] {
  const datums = tuples(input, tree).map((inputs) => {
    const id = datumId(inputs);
    return { id, hash: datumHash(id, inputs, salt), inputs };
  });
  datums.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Overlapping union branches, or an outer join, can yield one datum twice; Pachyderm keeps one.
  return datums.filter((d, i) => i === 0 || d.id !== datums[i - 1]!.id);
}

/** The inputs of one datum, before it gets its id and hash. */
type Tuple = DatumInput[];

function tuples(input: Input, tree: HeadTree): Tuple[] {
  if ('pfs' in input) return pfsTuples(input.pfs, tree);
  const of = (children: Input[]) => children.map((child) => tuples(child, tree));
  if ('cross' in input) return cross(of(input.cross));
  if ('union' in input) return of(input.union).flat();
  if ('join' in input) return join(of(input.join));
  return group(of(input.group));
}

function pfsTuples(pfs: PfsInput, tree: HeadTree): Tuple[] {
  const { name, repo, branch } = pfs;
  const head = tree(repo, branch);
  if (!head) return [];
  let glob: RegExp;
  try {
    glob = compileGlob(pfs.glob);
  } catch (e) {
    throw e instanceof VigilError ? new VigilError(`input "${name}": ${e.message}`) : e;
  }
  const files = sortedByPath(head.files);
  const matches = cleanGlob(pfs.glob) === '/' ? wholeRepo(files) : matchPaths(glob, files);
  return Array.from(matches, ([path, matched]) => {
    const input: DatumInput = { name, repo, branch, commit: head.commit, glob: pfs.glob, path, files: matched };
    if (pfs.joinOn != null || pfs.groupBy != null) {
      const captures = glob.exec(path) ?? [];
      if (pfs.joinOn != null) input.joinOn = fillCaptures(pfs.joinOn, captures);
      if (pfs.groupBy != null) input.groupBy = fillCaptures(pfs.groupBy, captures);
    }
    if (pfs.outerJoin) input.outerJoin = true;
    if (pfs.emptyFiles) input.emptyFiles = true;
    return [input];
  });
}

/** The files sorted by path; the store lists them sorted, so this is usually the same array. */
function sortedByPath(files: FileEntry[]): FileEntry[] {
  for (let i = 1; i < files.length; i++) {
    if (files[i - 1]!.path > files[i]!.path) return [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  return files;
}

/** Glob `/`: one datum of the whole repo, none for an empty commit. */
function wholeRepo(files: FileEntry[]): Map<string, FileEntry[]> {
  return new Map(files.length > 0 ? [['/', files]] : []);
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
function byKey(children: Tuple[][], keyOf: (input: DatumInput) => string | undefined): Iterable<DatumInput[][]> {
  const slotsByKey = new Map<string, DatumInput[][]>();
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
function datumId(inputs: Tuple): string {
  let s = '';
  for (const input of inputs) s += `${input.name}\0${input.repo}\0${input.branch}\0${input.path}\0`;
  return sha256(s);
}

function datumHash(id: string, inputs: Tuple, salt: string): string {
  let s = `${id}\0${salt.length}:${salt}`;
  for (const input of inputs) {
    s += '\n';
    for (const file of input.files) s += `${file.path}\0${file.sha256}\0`;
  }
  return sha256(s);
}

/** `$n` / `${n}` in a joinOn or groupBy template become capture n (`$0` the whole path), `$$` a `$`. */
function fillCaptures(template: string, captures: ArrayLike<string | undefined>): string {
  return template.replace(/\$(?:\$|(\d+)|\{(\d+)\})/g, (_whole, bare?: string, braced?: string) => {
    const n = bare ?? braced;
    return n === undefined ? '$' : (captures[Number(n)] ?? '');
  });
}
