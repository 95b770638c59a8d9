/**
 * What a damaged store says: an object (file contents or a tree node) whose bytes no longer hash
 * to its name, or that is missing, or a record that does not parse. Every read of the store
 * checks what it reads and throws these, never the damaged data; a reader that knows where the
 * object is used (repo@commit:path) names it (`at`).
 */
import { VigilError } from '../../pfs/errors.js';

export class StoreDamageError extends VigilError {
  override name = 'StoreDamageError';

  constructor(
    /** What is damaged, as a person would look for it: `object <sha256>`, `tree node <sha256>`, a record's file. */
    readonly what: string,
    /** What is wrong with it, e.g. `is damaged: its bytes hash to <sha256>`. */
    readonly fault: string,
    /** Where it is used, e.g. `raw@<commit>:/a.jpg`; '' when the reader does not know. */
    readonly where = '',
  ) {
    super(`${where ? `${where}: ` : ''}${what} ${fault}`);
  }

  /** The same damage, named where the caller found it used (kept when a closer reader named it already). */
  at(where: string): StoreDamageError {
    return this.where ? this : new StoreDamageError(this.what, this.fault, where);
  }
}

/** The fault of an object whose bytes hash to `actual` instead of its name; `null` when missing. */
export function objectFault(actual: string | null): string {
  return actual === null ? 'is missing from the store' : `is damaged: its bytes hash to ${actual}`;
}

/** Runs `read`, naming `where` in any store damage it meets. */
export function namingDamage<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw e instanceof StoreDamageError ? e.at(where) : e;
  }
}

/** A generator whose store damage names `where`. */
export function* namingDamageIn<T>(where: string, items: Generator<T>): Generator<T> {
  try {
    yield* items;
  } catch (e) {
    throw e instanceof StoreDamageError ? e.at(where) : e;
  }
}
