import type { CommitInfo, CommitRef, FileEntry, RepoInfo } from './store.js';

/**
 * The store's records in Pachyderm's own JSON (pfs.proto through protojson: camelCase fields,
 * RFC 3339 times), so that tools written for `pachctl ... --raw` read `vigil ... --raw`.
 * Sizes are JSON numbers (protojson would quote int64s; readers accept both).
 */

export interface PfsRepo {
  name: string;
  type: 'user';
  project: { name: 'default' };
}

export interface PfsCommit {
  repo: PfsRepo;
  id: string;
  branch?: { repo: PfsRepo; name: string };
}

export function repoJson(name: string): PfsRepo {
  return { name, type: 'user', project: { name: 'default' } };
}

/** A Commit reference; `branch` when known. */
export function commitJson(ref: CommitRef, branch?: string): PfsCommit {
  return { repo: repoJson(ref.repo), id: ref.id, ...(branch ? { branch: { repo: repoJson(ref.repo), name: branch } } : {}) };
}

/** CommitInfo. A commit with provenance was made by a pipeline: origin AUTO, as in Pachyderm. */
export function commitInfoJson(c: CommitInfo) {
  return {
    commit: commitJson(c, c.branch),
    origin: { kind: c.provenance.length ? 'AUTO' : 'USER' },
    ...(c.description ? { description: c.description } : {}),
    // A parent is always the previous head of the same branch.
    ...(c.parent ? { parentCommit: commitJson({ repo: c.repo, id: c.parent }, c.branch) } : {}),
    started: c.started,
    finishing: c.finished,
    finished: c.finished,
    directProvenance: c.provenance.map((p) => commitJson(p)),
    sizeBytesUpperBound: c.sizeBytes,
    details: { sizeBytes: c.sizeBytes },
  };
}

export function repoInfoJson(r: RepoInfo) {
  return {
    repo: repoJson(r.name),
    created: r.created,
    sizeBytesUpperBound: r.sizeBytes,
    ...(r.description ? { description: r.description } : {}),
    branches: r.branches.map((name) => ({ repo: repoJson(r.name), name })),
    details: { sizeBytes: r.sizeBytes },
  };
}

/** FileInfo of a file (with `entry`) or a folder (path ending in `/`, as Pachyderm writes folders). */
export function fileInfoJson(c: CommitInfo, path: string, sizeBytes: number, entry?: FileEntry) {
  return {
    file: { commit: commitJson(c, c.branch), path },
    fileType: entry ? 'FILE' : 'DIR',
    committed: c.finished,
    sizeBytes,
    ...(entry ? { hash: Buffer.from(entry.sha256, 'hex').toString('base64') } : {}),
  };
}
