import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { VigilError } from './errors.js';
import { pfsRoot } from './paths.js';

/**
 * A datum's inputs as Pachyderm gives them to a step: input `<name>` is `$<name>`, the datum's
 * file or folder under `<PFS_ROOT>/<name>` (where the repo's paths start), and `$<name>_COMMIT`,
 * the commit it was read from. Vigil names every input after its repo (pipelines/*.yaml), so an
 * input's name is also the repo that lineage records; a pipeline that reads another repo under
 * a step's input name says so in its transform.env (`VIGIL_INPUT_REPOS`, below).
 */

type Env = Record<string, string | undefined>;

/** A file (or folder) of an input, where the step reads it and what its repo calls it. */
export interface InputFile {
  /** The input's name. */
  name: string;
  /** The repo it reads, when that is not its name (VIGIL_INPUT_REPOS). */
  repo?: string;
  /** `$<name>_COMMIT`; absent when the step runs outside an engine. */
  commit?: string;
  /** Where the step reads it: under `<PFS_ROOT>/<name>`. */
  path: string;
  /** Its path in the repo: `/u1-cam1/20261126T041500Z.jpg`. */
  repoPath: string;
}

/** An input of the datum: `path` is what the datum gives the step (a file, or a folder of files). */
export interface DatumInput extends InputFile {
  /** `<PFS_ROOT>/<name>`: the repo's root as the step sees it. */
  root: string;
}

/** Input `name` of the datum; a VigilError when the datum has none. */
export function datumInput(env: Env, name: string): DatumInput {
  const path = env[name];
  if (!path) throw new VigilError(`this datum has no input ${name}: $${name} (its path under PFS_ROOT) is unset`);
  return inputAt(env, name, path);
}

/**
 * Input `name` of a group (or join) datum: the files of every path in the group lie under
 * `<PFS_ROOT>/<name>`, and `$<name>` names only one of them, so the datum is the whole root.
 */
export function groupedInput(env: Env, name: string): DatumInput {
  return inputAt(env, name, join(pfsRoot(env), name));
}

/**
 * The repo input `name` reads when a spec gives an input another repo's name:
 * `VIGIL_INPUT_REPOS=name=repo[,name=repo...]` in its transform.env. The shadow pipelines read
 * detections-shadow as the match step's input `detections`: the step stays the same, and its
 * lineage names the repo it read. Pachyderm tells a step only an input's name and commit.
 */
function mappedRepo(env: Env, name: string): string | undefined {
  for (const pair of (env.VIGIL_INPUT_REPOS ?? '').split(',')) {
    const [input, repo] = pair.split('=').map((s) => s.trim());
    if (input === name && repo) return repo;
  }
  return undefined;
}

function inputAt(env: Env, name: string, path: string): DatumInput {
  const root = join(pfsRoot(env), name);
  const commit = env[`${name}_COMMIT`];
  const repo = mappedRepo(env, name);
  return { name, ...(repo ? { repo } : {}), ...(commit ? { commit } : {}), root, path, repoPath: repoPathOf(root, path) };
}

function repoPathOf(root: string, path: string): string {
  return `/${relative(root, path).split(sep).join('/')}`;
}

/** Every file at or under the input's path, in repo path order: listed, not opened. */
export function inputFiles(input: DatumInput): InputFile[] {
  const { name, repo, commit, root } = input;
  const file = (path: string): InputFile => ({
    name,
    ...(repo ? { repo } : {}),
    ...(commit ? { commit } : {}),
    path,
    repoPath: repoPathOf(root, path),
  });
  if (!statSync(input.path).isDirectory()) return [file(input.path)];
  return readdirSync(input.path, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => file(join(entry.parentPath, entry.name)))
    .sort((a, b) => (a.repoPath < b.repoPath ? -1 : a.repoPath > b.repoPath ? 1 : 0));
}

/** The input's commit, for a step that records it in lineage; a VigilError when the engine did not set it. */
export function inputCommit(input: InputFile): string {
  if (!input.commit)
    throw new VigilError(`$${input.name}_COMMIT is unset: the step records the commit of its input ${input.name} in its lineage`);
  return input.commit;
}
