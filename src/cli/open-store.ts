/**
 * Where a command's store is. Only `vigil init`, `vigil demo` and `vigil create repo` may make
 * one; every other command finds an existing one, as git finds `.git`: the folder `--root` or
 * $VIGIL_ROOT names (which must hold a store), else `./.vigil`, else the `.vigil` of the
 * nearest parent folder. A typo in `--root` then fails, rather than making a store.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';

/** The folder a store is looked for under, when neither `--root` nor $VIGIL_ROOT names one. */
export const STORE_FOLDER = '.vigil';

/** Whether `dir` holds a store (any format: `Store.open` refuses an older one with its own message). */
function holdsStore(dir: string): boolean {
  return existsSync(join(dir, 'store.json'));
}

/** The folder `--root` or $VIGIL_ROOT names, if either does. */
function namedRoot(args: { root?: string }): string | undefined {
  const named = args.root || process.env.VIGIL_ROOT;
  return named ? resolve(named) : undefined;
}

/** The `.vigil` folders looked in, nearest first: the current folder's, then each parent's. */
function candidateRoots(from: string): string[] {
  const found: string[] = [];
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    found.push(join(dir, STORE_FOLDER));
    if (dirname(dir) === dir) return found;
  }
}

/** The existing store's folder, or null when there is none (a command that can do without one). */
export function findStoreRoot(args: { root?: string }, cwd = process.cwd()): string | null {
  const named = namedRoot(args);
  if (named) return holdsStore(named) ? named : null;
  return candidateRoots(cwd).find(holdsStore) ?? null;
}

/** The existing store's folder; a VigilError saying where it looked and how to make one when there is none. */
export function requireStoreRoot(args: { root?: string }, cwd = process.cwd()): string {
  const found = findStoreRoot(args, cwd);
  if (found) return found;
  const how = 'create one with `vigil init` (or `vigil demo`), or name an existing store with --root or VIGIL_ROOT';
  const named = namedRoot(args);
  if (named) {
    const via = args.root ? '--root' : 'VIGIL_ROOT';
    const what = existsSync(named) ? 'holds no store (no store.json)' : 'does not exist';
    throw new VigilError(`no vigil store: ${named} (${via}) ${what}; ${how}`);
  }
  const looked = candidateRoots(cwd);
  const shown = looked.length > 3 ? [...looked.slice(0, 2), '...', looked.at(-1)] : looked;
  throw new VigilError(`no vigil store: looked for ${STORE_FOLDER} in ${resolve(cwd)} and its parents (${shown.join(', ')}); ${how}`);
}

/** Opens the existing store a command names or finds (see requireStoreRoot); loaded lazily to keep `vigil step` fast. */
export async function openStore(args: { root?: string }): Promise<Store> {
  const { Store } = await import('../engine/store/store.js');
  return Store.open(requireStoreRoot(args));
}

/**
 * Opens the store for `vigil init`, `vigil demo` and `vigil create repo`, the commands that may
 * make one: the named or found store, else a new one at `--root`/$VIGIL_ROOT, else `./.vigil`.
 */
export async function openOrCreateStore(args: { root?: string }): Promise<Store> {
  const { Store } = await import('../engine/store/store.js');
  return Store.open(findStoreRoot(args) ?? namedRoot(args) ?? resolve(STORE_FOLDER));
}
