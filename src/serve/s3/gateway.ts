/**
 * Pachyderm's S3 gateway protocol on the embedded store (src/server/pfs/s3/ of Pachyderm): a
 * bucket is a repo's branch, `<branch>.<repo>` (or `<repo>` for master, `<commit>.<branch>.<repo>`
 * for a past commit); GetObject, HeadObject (ETag, x-amz-version-id: the commit), ListObjects V1
 * and V2 (prefix, delimiter `/`, continuation), PutObject and DeleteObject (each a commit),
 * ListBuckets, GetBucketLocation. A frame put into raw@master goes through the ingest, with its
 * checks and group commit, as an HTTP upload does. Path-style requests on a port of its own.
 *
 * Authentication is AWS Signature V4. The operator's access key and secret come from the
 * environment (VIGIL_S3_ACCESS_KEY, VIGIL_S3_SECRET_KEY) and may do everything but write a
 * pipeline's output. A camera signs with its device token as both access key and secret (as
 * Pachyderm takes an auth token as both) and may only put, get and list its own folder of raw.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { REPOS } from '../../contract/repos.js';
import { listPipelines } from '../../engine/pps/pipelines.js';
import type { CommitInfo, FileEntry } from '../../engine/store/store.js';
import { VigilError } from '../../pfs/errors.js';
import { connectionOf, tokenTransportAllowed } from '../auth.js';
import type { ServeEnv } from '../app.js';
import { Refusal } from '../errors.js';
import { listen, type ListenOptions } from '../listen.js';
import type { Companion, ServeParts } from '../service.js';
import { listKeys, parseBucket, type BucketRef } from './buckets.js';
import { ETags } from './etags.js';
import { S3_CODE_OF_REFUSAL, S3Error } from './s3-error.js';
import { verifySignature } from './sigv4.js';
import { aclXml, errorXml, listBucketsXml, listV1Xml, listV2Xml, locationXml } from './xml.js';

export interface S3GatewayOptions extends ListenOptions {
  /** The operator's key pair; without it only device tokens are taken. */
  operator?: { accessKey: string; secretKey: string };
  allowInsecureTokens: boolean;
  /** Largest object a PutObject takes, bytes (a frame is held to the validate stage's maxBytes besides). */
  maxObjectBytes?: number;
}

type Caller = { kind: 'operator' } | { kind: 'device'; device: string };

const XML = { 'Content-Type': 'application/xml' };
/** S3 sub-resources this gateway does not have. */
const SUBRESOURCES = new Set([
  'policy',
  'cors',
  'lifecycle',
  'tagging',
  'versioning',
  'website',
  'logging',
  'notification',
  'replication',
  'encryption',
  'uploads',
  'versions',
  'object-lock',
  'retention',
  'legal-hold',
  'accelerate',
  'requestPayment',
]);

export function s3Gateway(opts: S3GatewayOptions): (parts: ServeParts) => Promise<Companion> {
  return async (parts) => {
    const listening = await listen(s3App(opts, parts), opts);
    parts.log(`S3 gateway at ${listening.url} (buckets <branch>.<repo>)`);
    return { stop: () => listening.close() };
  };
}

export function s3App(opts: S3GatewayOptions, parts: ServeParts): Hono<ServeEnv> {
  const { store, ingest, verifier } = parts;
  const etags = new ETags(store);
  const maxObjectBytes = opts.maxObjectBytes ?? 64 * 2 ** 20;
  // strict: false, so that `/<bucket>/` (as s3cmd lists) is the bucket.
  const app = new Hono<ServeEnv>({ strict: false });

  const caller = (c: Context<ServeEnv>): { caller: Caller; payloadHash: string } => {
    const raw = c.env.incoming.url ?? '/';
    const q = raw.indexOf('?');
    const { accessKey, payloadHash } = verifySignature(
      {
        method: c.req.method,
        rawPath: q < 0 ? raw : raw.slice(0, q),
        rawQuery: q < 0 ? '' : raw.slice(q + 1),
        header: (n) => c.req.header(n),
      },
      (key) => (opts.operator && key === opts.operator.accessKey ? opts.operator.secretKey : verifier.deviceOf(key) ? key : null),
    );
    if (opts.operator && accessKey === opts.operator.accessKey) return { caller: { kind: 'operator' }, payloadHash };
    if (!tokenTransportAllowed(connectionOf(c), opts.allowInsecureTokens)) {
      throw new S3Error(403, 'AccessDenied', 'device tokens are taken only over HTTPS (or from this machine)');
    }
    return { caller: { kind: 'device', device: verifier.deviceOf(accessKey)! }, payloadHash };
  };

  const bucketOf = (name: string): BucketRef => {
    const ref = parseBucket(name);
    if (!ref) throw new S3Error(400, 'InvalidBucketName', `"${name}" is not <branch>.<repo>, <repo> or <commit>.<branch>.<repo>`);
    return ref;
  };

  /** The commit a bucket reads (null: the branch has no commits yet); NoSuchBucket for a missing repo or commit. */
  const commitOf = async (ref: BucketRef): Promise<CommitInfo | null> => {
    try {
      if (ref.commit) return await store.resolveCommit(ref.repo, ref.commit);
      return await store.headCommit(ref.repo, ref.branch);
    } catch (e) {
      if (e instanceof VigilError) throw new S3Error(404, 'NoSuchBucket', e.message);
      throw e;
    }
  };

  const deviceMayRead = (who: Caller, ref: BucketRef, key: string): void => {
    if (who.kind === 'operator') return;
    if (ref.repo !== REPOS.raw || ref.branch !== 'master' || !key.startsWith(`${who.device}/`)) {
      throw new S3Error(403, 'AccessDenied', `a device token reaches only raw@master:/${who.device}/`);
    }
  };

  app.onError((e, c) => {
    if (e instanceof Refusal) for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
    const err = asS3Error(e, parts.log);
    return c.req.method === 'HEAD'
      ? c.body(null, err.status as 400)
      : c.body(errorXml(err.code, err.message, c.req.path), err.status as 400, XML);
  });

  /** Sub-resources (?acl, ?policy, ?tagging...): the ACL is answered, the rest are not supported. */
  const subresource = (c: Context<ServeEnv>): Response | null => {
    const query = c.env.incoming.url?.split('?')[1] ?? '';
    const names = query.split('&').map((p) => p.split('=')[0]!);
    if (names.includes('acl')) return c.body(aclXml(), 200, XML);
    const unsupported = names.find((n) => SUBRESOURCES.has(n));
    if (unsupported) throw new S3Error(501, 'NotImplemented', `?${unsupported} is not supported by the Vigil gateway`);
    return null;
  };

  app.get('/', async (c) => {
    const { caller: who } = caller(c);
    if (who.kind !== 'operator') throw new S3Error(403, 'AccessDenied', 'a device token cannot list buckets');
    const buckets = (await store.listRepos()).flatMap((r) => r.branches.map((b) => ({ name: `${b}.${r.name}`, created: r.created })));
    return c.body(listBucketsXml(buckets), 200, XML);
  });

  app.on('HEAD', '/:bucket', async (c) => {
    caller(c);
    await commitOf(bucketOf(c.req.param('bucket')));
    return c.body(null, 200);
  });

  app.get('/:bucket', async (c) => {
    const { caller: who } = caller(c);
    const ref = bucketOf(c.req.param('bucket'));
    const commit = await commitOf(ref);
    if (c.req.query('location') !== undefined) return c.body(locationXml(), 200, XML);
    const sub = subresource(c);
    if (sub) return sub;
    const v2 = c.req.query('list-type') === '2';
    const prefix = (c.req.query('prefix') ?? '').replace(/^\//, '');
    const delimiter = c.req.query('delimiter') ?? '';
    if (delimiter !== '' && delimiter !== '/')
      throw new S3Error(400, 'InvalidDelimiter', "The delimiter you specified is invalid. It must be '' or '/'.");
    deviceMayRead(who, ref, prefix);
    const maxKeys = Math.min(1000, Math.max(0, Number(c.req.query('max-keys') ?? 1000) || 0));
    const token = c.req.query('continuation-token');
    const after = v2
      ? token
        ? Buffer.from(token, 'base64url').toString('utf8')
        : (c.req.query('start-after') ?? '')
      : (c.req.query('marker') ?? '');
    const files = commit ? await store.listFiles(ref.repo, commit.id) : [];
    const page = listKeys(files, { prefix, delimiter, after, maxKeys });
    const lastModified = commit?.finished ?? new Date(0).toISOString();
    const contents = await Promise.all(
      page.contents.map(async (f) => ({ key: f.key, lastModified, etag: await etags.of(f.sha256), size: f.size })),
    );
    const common = {
      bucket: c.req.param('bucket'),
      prefix,
      delimiter,
      maxKeys,
      isTruncated: page.isTruncated,
      contents,
      commonPrefixes: page.commonPrefixes,
    };
    const xml = v2
      ? listV2Xml({
          ...common,
          keyCount: contents.length + page.commonPrefixes.length,
          ...(token ? { continuationToken: token } : {}),
          ...(page.next ? { nextContinuationToken: Buffer.from(page.next).toString('base64url') } : {}),
          ...(c.req.query('start-after') ? { startAfter: c.req.query('start-after')! } : {}),
        })
      : listV1Xml({ ...common, marker: after, ...(page.next && delimiter ? { nextMarker: page.next } : {}) });
    return c.body(xml, 200, XML);
  });

  const findFile = async (ref: BucketRef, key: string): Promise<{ file: FileEntry; commit: CommitInfo }> => {
    const commit = await commitOf(ref);
    const path = `/${key.replace(/\/$/, '')}`;
    const file = commit ? await store.fileAt(ref.repo, commit.id, path) : null;
    if (!file || !commit) throw new S3Error(404, 'NoSuchKey', `${ref.repo}@${ref.commit ?? ref.branch}:${path} does not exist`);
    return { file, commit };
  };

  const objectHeaders = async (file: FileEntry, commit: CommitInfo) => ({
    ETag: `"${await etags.of(file.sha256)}"`,
    'Last-Modified': new Date(commit.finished).toUTCString(),
    'Content-Length': String(file.size),
    'Content-Type': 'application/octet-stream',
    'x-amz-version-id': commit.id,
  });

  app.on(['GET', 'HEAD'], '/:bucket/:key{.+}', async (c) => {
    const { caller: who } = caller(c);
    const ref = bucketOf(c.req.param('bucket'));
    const key = c.req.param('key');
    deviceMayRead(who, ref, key);
    const sub = c.req.method === 'GET' ? subresource(c) : null;
    if (sub) return sub;
    const versioned = c.req.query('versionId') ? { ...ref, commit: c.req.query('versionId')! } : ref;
    const { file, commit } = await findFile(versioned, key);
    const headers = await objectHeaders(file, commit);
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    const { createReadStream } = await import('node:fs');
    const { Readable } = await import('node:stream');
    return c.body(Readable.toWeb(createReadStream(store.objectPath(file.sha256))) as ReadableStream, 200, headers);
  });

  app.put('/:bucket/:key{.+}', async (c) => {
    const { caller: who, payloadHash } = caller(c);
    const ref = bucketOf(c.req.param('bucket'));
    const key = c.req.param('key').replace(/\/$/, '');
    if (c.req.header('x-amz-copy-source')) throw new S3Error(501, 'NotImplemented', 'CopyObject is not supported');
    if (ref.commit) throw new S3Error(400, 'InvalidBucketName', 'a bucket naming a commit is read-only');
    deviceMayRead(who, ref, key);
    const isFrame = ref.repo === REPOS.raw && ref.branch === 'master';
    const body = await readBody(c, payloadHash, maxObjectBytes);
    const md5 = createHash('md5').update(body).digest('hex');
    const expectedMd5 = c.req.header('content-md5');
    if (expectedMd5 && Buffer.from(expectedMd5, 'base64').toString('hex') !== md5)
      throw new S3Error(400, 'BadDigest', 'the Content-MD5 does not match the body');
    let commit: string;
    let sha256: string;
    if (isFrame) {
      const slash = key.indexOf('/');
      if (slash < 0) throw new Refusal('bad_path', `/${key} is not /<user>-<device>/<ts>.<ext>`);
      const receipt = await ingest.receive({
        source: key.slice(0, slash),
        file: key.slice(slash + 1),
        body,
        declaredBytes: body.byteLength,
      });
      ({ commit, sha256 } = receipt);
    } else {
      if ((await listPipelines(store)).some((p) => p.name === ref.repo)) {
        throw new S3Error(400, 'WriteToOutputBranch', 'You cannot write to an output branch');
      }
      await commitOf(ref);
      const object = await store.addObject(body);
      sha256 = object.sha256;
      commit = (
        await store.commit(ref.repo, ref.branch, { put: [{ path: `/${key}`, ...object }] }, { description: `put ${key} through S3` })
      ).id;
    }
    etags.remember(sha256, md5);
    return c.body(null, 200, { ETag: `"${md5}"`, 'x-amz-version-id': commit });
  });

  app.delete('/:bucket/:key{.+}', async (c) => {
    const { caller: who } = caller(c);
    if (who.kind !== 'operator') throw new S3Error(403, 'AccessDenied', 'a device token cannot delete');
    const ref = bucketOf(c.req.param('bucket'));
    if (ref.commit) throw new S3Error(400, 'InvalidBucketName', 'a bucket naming a commit is read-only');
    const { file } = await findFile(ref, c.req.param('key'));
    if ((await listPipelines(store)).some((p) => p.name === ref.repo))
      throw new S3Error(400, 'WriteToOutputBranch', 'You cannot write to an output branch');
    const commit =
      ref.repo === REPOS.raw && ref.branch === 'master'
        ? await ingest.batcher.delete([file.path])
        : (await store.commit(ref.repo, ref.branch, { delete: [file.path] }, { description: `deleted ${file.path} through S3` })).id;
    return c.body(null, 204, { 'x-amz-version-id': commit });
  });

  app.all('*', () => {
    throw new S3Error(501, 'NotImplemented', 'this S3 operation is not supported by the Vigil gateway');
  });
  return app;
}

/** What the client is told of an error: an S3 error as it is, an ingest refusal with its status, anything unforeseen as InternalError (logged). */
function asS3Error(e: unknown, log: (line: string) => void): S3Error {
  if (e instanceof S3Error) return e;
  if (e instanceof Refusal) return new S3Error(e.status, S3_CODE_OF_REFUSAL[e.code], e.message);
  if (e instanceof VigilError) return new S3Error(400, 'InvalidRequest', e.message);
  log(`S3 error: ${(e as Error).stack ?? String(e)}`);
  return new S3Error(500, 'InternalError', 'the store failed');
}

/** Reads a PUT body up to `limit` bytes and checks it against the payload hash the client signed. */
async function readBody(c: Context<ServeEnv>, payloadHash: string, limit: number): Promise<Buffer> {
  if (payloadHash.startsWith('STREAMING-'))
    throw new S3Error(501, 'NotImplemented', `chunked uploads (${payloadHash}) are not supported; send the body whole`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of c.env.incoming) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new S3Error(400, 'EntityTooLarge', `the object is over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks, size);
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && createHash('sha256').update(body).digest('hex') !== payloadHash) {
    throw new S3Error(400, 'XAmzContentSHA256Mismatch', 'the body does not match x-amz-content-sha256');
  }
  return body;
}
