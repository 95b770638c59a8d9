import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Store } from '../../engine/store/store.js';

/** How many objects' MD5s are kept in memory. */
const MAX_KEPT = 100_000;

/**
 * S3 ETags: the MD5 of an object's bytes, which S3 clients check uploads and downloads against
 * (s3cmd retries an upload whose ETag is not its MD5). The store names objects by sha256, so
 * an MD5 is computed once per object, when first needed (or known from the upload), and kept.
 */
export class ETags {
  private readonly bySha = new Map<string, string>();

  constructor(private readonly store: Store) {}

  remember(sha256: string, md5: string): void {
    this.bySha.set(sha256, md5);
    if (this.bySha.size > MAX_KEPT) this.bySha.delete(this.bySha.keys().next().value!);
  }

  async of(sha256: string): Promise<string> {
    const known = this.bySha.get(sha256);
    if (known) return known;
    const hash = createHash('md5');
    for await (const chunk of createReadStream(this.store.objectPath(sha256))) hash.update(chunk as Buffer);
    const md5 = hash.digest('hex');
    this.remember(sha256, md5);
    return md5;
  }
}
