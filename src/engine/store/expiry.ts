/**
 * Expired objects: content whose bytes were removed on purpose (a retention period ended, or a
 * person asked for erasure) while every commit keeps its path, sha256 and size. Trees, datum
 * states and lineage records therefore stay exactly as they were: expiry changes no hash, so
 * no pipeline sees a change, and a reader that finds the bytes gone learns why instead of
 * "missing".
 *
 *   expired/<sha[0:2]>/<sha[2:]>.json   {sha256, date, reason, request?}   (durable before the object goes)
 *   expired/stamp                       changes with every expiry: readers that keep copies (an index) look again
 *   erasures/<request id>.json          who asked, when, the scope, how many objects: never the content
 *
 * An object that is expired and gone is not damage: `vigil fsck` and `vigil trace --verify`
 * report it as expected. Should the same bytes be stored again later (a new frame identical to
 * an expired one), the object is present again and reads succeed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../pfs/errors.js';
import { atomicWriteFile, fsyncPath } from '../../pfs/durable.js';
import { mapLimit } from './parallel.js';

export type ExpiryReason = 'retention' | 'erasure';

export interface ExpiredObject {
  sha256: string;
  /** ISO 8601: when the bytes were removed. */
  date: string;
  reason: ExpiryReason;
  /** The erasure request that removed it. */
  request?: string;
}

export interface ErasureRequest {
  id: string;
  /** Who asked (free text given to `vigil erase --requested-by`, or the operator's user name). */
  requestedBy: string;
  /** ISO 8601. */
  date: string;
  /** What the request covered, as given (e.g. customer, camera, dates): never the content removed. */
  scope: Record<string, string>;
  /** How many objects it removed, and their bytes. */
  objects: number;
  bytes: number;
}

const IO_PARALLEL = 32;

/** The sentence a reader shows for an expired object: "expired on <date> (retention)" or "erased on <date> (request <id>)". */
export function describeExpiry(e: ExpiredObject): string {
  const day = e.date.slice(0, 10);
  return e.reason === 'erasure' ? `erased on ${day} (request ${e.request ?? 'unknown'})` : `expired on ${day} (retention)`;
}

/** A read of an object whose bytes were removed on purpose. */
export class ExpiredObjectError extends VigilError {
  override name = 'ExpiredObjectError';
  constructor(
    readonly what: string,
    readonly expiry: ExpiredObject,
  ) {
    super(`${what}: ${describeExpiry(expiry)}; its path and sha256 ${expiry.sha256} stay in the record, its bytes are gone`);
  }
}

export class ExpiryRegistry {
  constructor(
    private readonly root: string,
    private readonly objectPath: (sha256: string) => string,
    private readonly tmpDir: string,
  ) {}

  private entryPath(sha256: string): string {
    return join(this.root, 'expired', sha256.slice(0, 2), `${sha256.slice(2)}.json`);
  }

  private get stampPath(): string {
    return join(this.root, 'expired', 'stamp');
  }

  /** A value that changes whenever objects expire ('' before the first expiry). */
  async stamp(): Promise<string> {
    return readFile(this.stampPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
  }

  /** The object's expiry when its bytes are gone on purpose; null when they are there, or were never expired. */
  async expiredNow(sha256: string): Promise<ExpiredObject | null> {
    return existsSync(this.objectPath(sha256)) ? null : this.get(sha256);
  }

  /** The object's expiry, or null when it was never expired. */
  async get(sha256: string): Promise<ExpiredObject | null> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
    const text = await readFile(this.entryPath(sha256), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    return text === null ? null : (JSON.parse(text) as ExpiredObject);
  }

  /**
   * Records each object as expired (durably) and then deletes its bytes; returns the bytes freed.
   * An object already gone is recorded all the same (a second erasure of the same frame names
   * its request too, the first record stays).
   */
  async expire(shas: Iterable<string>, entry: Omit<ExpiredObject, 'sha256'>): Promise<{ objects: number; bytes: number }> {
    const unique = [...new Set(shas)];
    let bytes = 0;
    await mapLimit(unique, IO_PARALLEL, async (sha256) => {
      if (!(await this.get(sha256))) {
        await atomicWriteFile(this.entryPath(sha256), `${JSON.stringify({ sha256, ...entry })}\n`, { tmpDir: this.tmpDir });
      }
      const path = this.objectPath(sha256);
      const size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
      await rm(path, { force: true });
      bytes += size;
    });
    const dirs = [...new Set(unique.map((sha) => join(this.objectPath(sha), '..')))];
    await mapLimit(dirs, IO_PARALLEL, fsyncPath);
    if (unique.length > 0) {
      await atomicWriteFile(this.stampPath, `${new Date().toISOString()} ${randomBytes(8).toString('hex')}\n`, { tmpDir: this.tmpDir });
    }
    return { objects: unique.length, bytes };
  }

  async recordErasure(request: ErasureRequest): Promise<void> {
    await atomicWriteFile(join(this.root, 'erasures', `${request.id}.json`), `${JSON.stringify(request, null, 2)}\n`, {
      tmpDir: this.tmpDir,
    });
  }

  async erasure(id: string): Promise<ErasureRequest | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
    const text = await readFile(join(this.root, 'erasures', `${id}.json`), 'utf8').catch(() => null);
    return text === null ? null : (JSON.parse(text) as ErasureRequest);
  }
}
