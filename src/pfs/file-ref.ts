import type { FileRef } from '../../specs/index.js';
import { sha256 } from './files.js';
import type { InputFile } from './inputs.js';

/** What a lineage reference records of a file's bytes. */
export interface Digest {
  sha256: string;
  size: number;
}

/**
 * The lineage reference (specs/lineage.schema.json) to an input file: its repo, commit and path,
 * and the sha256 and size of its bytes, or the digest taken of them where they were not loaded.
 */
export function fileRef(file: InputFile, content: Uint8Array | Digest): FileRef {
  const digest = content instanceof Uint8Array ? { sha256: sha256(content), size: content.length } : content;
  return {
    repo: file.repo ?? file.name,
    ...(file.commit ? { commit: file.commit } : {}),
    path: file.repoPath,
    sha256: digest.sha256,
    size: digest.size,
  };
}
