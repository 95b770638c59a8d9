import type { CommitInfo, CommitRef, FileEntry, RepoInfo } from './store.js';

/**
 * The store's records as `pachctl ... --raw` prints them: pfs.proto messages through protojson
 * with the proto field names (pachctl's cmdutil.Encoder: serde.WithOrigName(true)), fields in
 * the order pfs.proto declares them, 64-bit integers as JSON strings, zero values (0, '', false,
 * empty lists) left out, times in RFC 3339 as protojson writes Timestamps. Scripts written for
 * one read the other.
 */

export interface PfsRepo {
  name: string;
  type: 'user' | 'spec';
  project: { name: 'default' };
}

export interface PfsCommit {
  repo: PfsRepo;
  id: string;
  branch?: { repo: PfsRepo; name: string };
}

/** An int64 or uint64 field as protojson writes it (a string), left out when 0. */
export function int64Field<K extends string>(name: K, n: number): Partial<Record<K, string>> {
  return (n ? { [name]: String(n) } : {}) as Partial<Record<K, string>>;
}

/** A Timestamp as protojson writes it: RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits (none for a whole second). */
export function protoTime(iso: string): string {
  return iso.replace(/\.0+Z$/, 'Z');
}

export function repoJson(name: string, type: PfsRepo['type'] = 'user'): PfsRepo {
  return { name, type, project: { name: 'default' } };
}

/** A Commit reference; `branch` when known. */
export function commitJson(ref: CommitRef, branch?: string): PfsCommit {
  return { repo: repoJson(ref.repo), id: ref.id, ...(branch ? { branch: { repo: repoJson(ref.repo), name: branch } } : {}) };
}

/**
 * CommitInfo. A commit with provenance was made by a pipeline: origin AUTO, and its provenance
 * holds the input commits and the commit of the pipeline's spec (its `spec` repo, named as the
 * pipeline), as Pachyderm's.
 */
export function commitInfoJson(c: CommitInfo) {
  const provenance = c.provenance.map((p) => commitJson(p));
  if (c.specCommit) provenance.push({ repo: repoJson(c.repo, 'spec'), id: c.specCommit });
  return {
    commit: commitJson(c, c.branch),
    origin: { kind: c.provenance.length || c.specCommit ? 'AUTO' : 'USER' },
    ...(c.description ? { description: c.description } : {}),
    // A parent is always the previous head of the same branch.
    ...(c.parent ? { parent_commit: commitJson({ repo: c.repo, id: c.parent }, c.branch) } : {}),
    started: protoTime(c.started),
    finishing: protoTime(c.finished),
    finished: protoTime(c.finished),
    ...(provenance.length ? { direct_provenance: provenance } : {}),
    ...int64Field('size_bytes_upper_bound', c.sizeBytes),
    details: { ...int64Field('size_bytes', c.sizeBytes) },
  };
}

export function repoInfoJson(r: RepoInfo) {
  return {
    repo: repoJson(r.name),
    created: protoTime(r.created),
    ...int64Field('size_bytes_upper_bound', r.sizeBytes),
    ...(r.description ? { description: r.description } : {}),
    ...(r.branches.length ? { branches: r.branches.map((name) => ({ repo: repoJson(r.name), name })) } : {}),
    details: { ...int64Field('size_bytes', r.sizeBytes) },
  };
}

/** FileInfo of a file (with `entry`) or a folder (path ending in `/`, as Pachyderm writes folders). */
export function fileInfoJson(c: CommitInfo, path: string, sizeBytes: number, entry?: FileEntry) {
  return {
    file: { commit: commitJson(c, c.branch), path },
    file_type: entry ? 'FILE' : 'DIR',
    committed: protoTime(c.finished),
    ...int64Field('size_bytes', sizeBytes),
    ...(entry ? { hash: Buffer.from(entry.sha256, 'hex').toString('base64') } : {}),
  };
}
