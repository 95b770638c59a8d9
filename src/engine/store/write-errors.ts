/**
 * A store that cannot be written (a full disk, a read-only mount, no permission) is the user's
 * to fix: one plain message for it, whichever verb met it. Store's own writes and every CLI
 * command (src/cli/command.ts) go through storeWriteError.
 */
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { VigilError } from '../../pfs/errors.js';

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * `e` as a VigilError when it is a write the store in `root` refused for want of space or
 * permission (an error naming a path outside the store is left as it is); `outcome` says what
 * became of the work, e.g. `nothing was committed`.
 */
export function storeWriteError(root: string, e: unknown, outcome: string): unknown {
  const { code = '', path } = e as NodeJS.ErrnoException;
  const noSpace = NO_SPACE.has(code);
  if (!noSpace && !READ_ONLY.has(code)) return e;
  const inside = path === undefined ? undefined : relative(resolve(root), resolve(path));
  if (inside !== undefined && (inside.startsWith('..') || isAbsolute(inside))) return e;
  // A temporary file's name means nothing to a person: its folder does.
  const shown = inside && basename(inside).startsWith('.tmp-') ? dirname(inside) : inside;
  const at = shown && shown !== '.' ? ` at ${shown}` : '';
  if (noSpace) return new VigilError(`no space left for the store ${root} (${code}${at}); ${outcome}: free some space and try again`);
  return new VigilError(`cannot write to the store ${root} (${code}${at}); ${outcome}: make it writable for this user and try again`);
}
