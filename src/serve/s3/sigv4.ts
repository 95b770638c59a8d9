/**
 * AWS Signature Version 4 on S3 requests (the Authorization header form), as S3 checks it: the
 * canonical request rebuilt from what was sent, signed with the secret of the access key the
 * request names, compared in constant time. The payload hash is the x-amz-content-sha256 header
 * the client signed; the gateway checks the body against it as it reads it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './s3-error.js';

export interface SignedRequest {
  method: string;
  /** The path as sent, still percent-encoded: what the client signed. */
  rawPath: string;
  /** The query string as sent, without `?`. */
  rawQuery: string;
  header(name: string): string | undefined;
}

interface Authorization {
  accessKey: string;
  scope: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/;
/** How far a request's clock may be from ours (S3's 15 minutes). */
const MAX_SKEW_MS = 15 * 60_000;

function parseAuthorization(header: string | undefined): Authorization {
  if (!header) throw new S3Error(403, 'AccessDenied', 'this request is not signed; sign it with AWS Signature Version 4');
  const m = AUTH.exec(header);
  if (!m)
    throw new S3Error(
      400,
      'AuthorizationHeaderMalformed',
      'the Authorization header is not AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...',
    );
  return { accessKey: m[1]!, scope: m[2]!, signedHeaders: m[3]!.split(';'), signature: m[4]! };
}

/** RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ escaped. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(raw: string): string {
  if (!raw) return '';
  return raw
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))] as const;
    })
    .sort(([ka, va], [kb, vb]) => (ka !== kb ? (ka < kb ? -1 : 1) : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** The signature the request must carry under `secret`. */
function signature(req: SignedRequest, auth: Authorization, secret: string, amzDate: string, payloadHash: string): string {
  const headers = auth.signedHeaders.map((h) => `${h}:${(req.header(h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, req.rawPath || '/', canonicalQuery(req.rawQuery), headers, auth.signedHeaders.join(';'), payloadHash].join(
    '\n',
  );
  const toSign = ['AWS4-HMAC-SHA256', amzDate, auth.scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const [date, region, service, terminator] = auth.scope.split('/');
  let key = hmac(`AWS4${secret}`, date ?? '');
  for (const part of [region ?? '', service ?? '', terminator ?? '']) key = hmac(key, part);
  return hmac(key, toSign).toString('hex');
}

/**
 * Checks a request's signature; returns its access key and the payload hash it signed (a hex
 * sha256, or UNSIGNED-PAYLOAD). `secretOf` gives an access key's secret, or null for none.
 */
export function verifySignature(
  req: SignedRequest,
  secretOf: (accessKey: string) => string | null,
  now = Date.now(),
): { accessKey: string; payloadHash: string } {
  const auth = parseAuthorization(req.header('authorization'));
  const amzDate = req.header('x-amz-date') ?? '';
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!when) throw new S3Error(403, 'AccessDenied', 'x-amz-date is missing or not YYYYMMDDTHHMMSSZ');
  const time = Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!);
  if (Math.abs(time - now) > MAX_SKEW_MS)
    throw new S3Error(403, 'RequestTimeTooSkewed', "the request's time is more than 15 minutes from the server's");
  if (!auth.signedHeaders.includes('host')) throw new S3Error(403, 'AccessDenied', 'the signature must cover the host header');
  const payloadHash = req.header('x-amz-content-sha256');
  if (!payloadHash) throw new S3Error(400, 'InvalidRequest', 'x-amz-content-sha256 is missing');
  const secret = secretOf(auth.accessKey);
  if (secret === null)
    throw new S3Error(403, 'InvalidAccessKeyId', 'the access key is not known (an operator key, or a live device token)');
  const expected = Buffer.from(signature(req, auth, secret, amzDate, payloadHash), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'))) {
    throw new S3Error(403, 'SignatureDoesNotMatch', 'the signature does not match the request signed with the key given');
  }
  return { accessKey: auth.accessKey, payloadHash };
}
