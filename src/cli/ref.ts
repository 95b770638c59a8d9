import { VigilError } from '../pfs/errors.js';
import { checkBranchName, checkRepoName, normalizeRepoPath } from '../engine/store/names.js';

/** `repo@ref:/path` as pachctl writes it; ref defaults to master, path to `/`. */
export interface FileArg {
  repo: string;
  /** A branch or commit id, maybe with `^`/`~N` ancestry (checked when resolved). */
  ref: string;
  /** Normalized: absolute, no trailing slash. */
  path: string;
  /** The argument's path ended in `/` (or was omitted): it names a folder. */
  isFolder: boolean;
}

const DEFAULT_BRANCH = 'master';

/** Parses `repo[@ref][:path]`. */
export function parseFileArg(arg: string): FileArg {
  const at = arg.indexOf('@');
  const colon = arg.indexOf(':', at + 1);
  const repo = arg.slice(0, at >= 0 ? at : colon >= 0 ? colon : arg.length);
  const ref = at >= 0 ? arg.slice(at + 1, colon >= 0 ? colon : arg.length) : DEFAULT_BRANCH;
  const rawPath = colon >= 0 ? arg.slice(colon + 1) : '/';
  if (repo === '') throw new VigilError(`"${arg}" names no repo; write REPO@BRANCH:/PATH, e.g. raw@master:/u1-cam1/20261126T041500Z.jpg`);
  checkRepoName(repo);
  if (ref === '') throw new VigilError(`"${arg}" has nothing after @; name a branch or commit, e.g. ${repo}@master`);
  const path = normalizeRepoPath(rawPath);
  return { repo, ref, path, isFolder: path === '/' || rawPath.endsWith('/') };
}

/** Parses `repo[@ref]` (no path): a commit, as `inspect commit` takes it. */
export function parseCommitArg(arg: string): { repo: string; ref: string } {
  if (arg.includes(':')) throw new VigilError(`"${arg}" names a file; give a commit as REPO@BRANCH or REPO@COMMIT_ID`);
  const { repo, ref } = parseFileArg(arg);
  return { repo, ref };
}

/** Parses a file argument that is written to: its ref must be a plain branch (commits are immutable). */
export function parseBranchFileArg(arg: string): FileArg {
  const parsed = parseFileArg(arg);
  if (/[\^~]/.test(parsed.ref)) {
    throw new VigilError(
      `cannot write to ${parsed.repo}@${parsed.ref}: commits never change; write to a branch, e.g. ${parsed.repo}@master`,
    );
  }
  checkBranchName(parsed.ref);
  return parsed;
}
