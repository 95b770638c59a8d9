import { VigilError } from '../../pfs/errors.js';

/** Pachyderm's rule for repo names (a repo name is also a folder name in the store). */
const NAME = /^[A-Za-z0-9_-]{1,63}$/;

export function checkRepoName(name: string): string {
  if (name === '') throw new VigilError('repo name is empty');
  if (!NAME.test(name)) throw new VigilError(`invalid repo name "${name}": use 1 to 63 letters, digits, _ or -`);
  return name;
}

export function checkBranchName(name: string): string {
  if (name === '') throw new VigilError('branch name is empty');
  if (!NAME.test(name)) throw new VigilError(`invalid branch name "${name}": use 1 to 63 letters, digits, _ or -`);
  return name;
}

/**
 * A path inside a repo in its one canonical form: absolute, `/`-separated, no empty, `.` or `..`
 * parts, no trailing slash (`/` itself for the root). `a//b/` becomes `/a/b`; `/a/../b` is refused
 * rather than resolved, since a path that climbs is a mistake, not a shortcut.
 */
export function normalizeRepoPath(path: string): string {
  if (path.includes('\0')) throw new VigilError(`path ${JSON.stringify(path)} contains a NUL byte`);
  const parts = path.split('/').filter((p) => p !== '');
  const bad = parts.find((p) => p === '..' || p === '.');
  if (bad) throw new VigilError(`path "${path}" leaves its folder with "${bad}"; give a path inside the repo, e.g. /a/b.jpg`);
  return `/${parts.join('/')}`;
}

/**
 * The longest name of one file or folder in a repo, in bytes: what Linux filesystems allow
 * (NAME_MAX). Every datum's files are laid out on one, so a longer name could never be read.
 */
export const MAX_NAME_BYTES = 255;
/** The longest path in a repo, in bytes: S3's limit on a key, and far below PATH_MAX once a datum's folder is prefixed. */
export const MAX_PATH_BYTES = 1024;

/** Refuses a repo path (normalized) that a step's filesystem could not hold, naming it, `where` it goes and the limit. */
export function checkPathLength(path: string, where: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_PATH_BYTES)
    throw new VigilError(`path "${path}" in ${where} is ${bytes} bytes long; a path is at most ${MAX_PATH_BYTES} bytes`);
  for (const name of path.split('/')) {
    const nameBytes = Buffer.byteLength(name);
    if (nameBytes > MAX_NAME_BYTES) {
      throw new VigilError(
        `path "${path}" in ${where} has a name of ${nameBytes} bytes; a file or folder name is at most ${MAX_NAME_BYTES} bytes (the filesystem's limit)`,
      );
    }
  }
}

/** `master^^` → { base: 'master', back: 2 }; `^N` and `~N` go back N commits (pachctl's ancestry syntax). */
export function parseAncestry(ref: string): { base: string; back: number } {
  const m = /^([^^~]*)((?:[\^~]\d*)*)$/.exec(ref);
  if (!m || m[1] === '')
    throw new VigilError(`invalid commit reference "${ref}": use a branch or commit id, optionally followed by ^, ^N or ~N`);
  let back = 0;
  for (const [, n] of m[2].matchAll(/[\^~](\d*)/g)) back += n === '' ? 1 : Number(n);
  return { base: m[1], back };
}
