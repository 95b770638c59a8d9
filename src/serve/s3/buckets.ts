/**
 * Bucket names and listings of Pachyderm's S3 gateway (src/server/pfs/s3/driver.go,
 * bucketNameToCommit; bucket.go, ListObjects), on the embedded store. Pure.
 */

/** What a bucket names: a repo's branch, and a commit of it when the name starts with one. */
export interface BucketRef {
  repo: string;
  branch: string;
  commit?: string;
}

const COMMIT_ID = /^[0-9a-f]{32}$/;

/**
 * `[<commit>.]<branch>.<repo>`, or `<repo>` alone for its master (Pachyderm's
 * `[[commitID.]branch.]repoName[.project]`; Vigil has one project, `default`, which a third
 * part may name). Null for a name that is none of these.
 */
export function parseBucket(name: string): BucketRef | null {
  let parts = name.split('.');
  let commit: string | undefined;
  if (parts.length > 1 && COMMIT_ID.test(parts[0]!)) {
    commit = parts[0];
    parts = parts.slice(1);
  }
  if (parts.length === 3 && parts[2] === 'default') parts = parts.slice(0, 2);
  if (parts.length === 1 && parts[0]) return { repo: parts[0], branch: 'master', ...(commit ? { commit } : {}) };
  if (parts.length === 2 && parts[0] && parts[1]) return { repo: parts[1], branch: parts[0], ...(commit ? { commit } : {}) };
  return null;
}

export interface ListRequest {
  prefix: string;
  /** '' (everything under the prefix) or '/' (one level), as Pachyderm takes. */
  delimiter: string;
  /** List keys after this one (V1 marker, V2 start-after or continuation). */
  after: string;
  maxKeys: number;
}

export interface Listing<F> {
  contents: Array<F & { key: string }>;
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or prefix listed, when truncated: where the next page starts. */
  next?: string;
}

/** One page of keys (paths without their leading slash) in key order, with `/`-grouped common prefixes. */
export function listKeys<F extends { path: string }>(files: readonly F[], req: ListRequest): Listing<F> {
  const result: Listing<F> = { contents: [], commonPrefixes: [], isTruncated: false };
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let last = '';
  for (const file of sorted) {
    const key = file.path.slice(1);
    if (!key.startsWith(req.prefix)) continue;
    let entry: { prefix: string } | { key: string } = { key };
    if (req.delimiter) {
      const cut = key.indexOf(req.delimiter, req.prefix.length);
      if (cut >= 0) entry = { prefix: key.slice(0, cut + req.delimiter.length) };
    }
    const name = 'prefix' in entry ? entry.prefix : entry.key;
    if (name <= req.after || name === last) continue;
    if (result.contents.length + result.commonPrefixes.length >= req.maxKeys) {
      result.isTruncated = true;
      result.next = last;
      break;
    }
    last = name;
    if ('prefix' in entry) result.commonPrefixes.push(entry.prefix);
    else result.contents.push({ ...file, key });
  }
  return result;
}
