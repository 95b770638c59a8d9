/** The S3 API's XML bodies (ListBuckets, ListObjects V1 and V2, errors, location), escaped. */
import { randomBytes } from 'node:crypto';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** An element, or several: `el('Key', 'a')` → `<Key>a</Key>`; children given as XML are kept as they are. */
function el(name: string, value: string | number | boolean): string {
  return `<${name}>${typeof value === 'string' ? escapeXml(value) : String(value)}</${name}>`;
}

function doc(root: string, children: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${children.join('')}</${root}>`;
}

export function errorXml(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${el('Code', code)}${el('Message', message)}${el('Resource', resource)}${el('RequestId', randomBytes(8).toString('hex'))}</Error>`;
}

const OWNER = '<Owner><ID>vigil</ID><DisplayName>vigil</DisplayName></Owner>';

export function listBucketsXml(buckets: Array<{ name: string; created: string }>): string {
  const list = buckets.map((b) => `<Bucket>${el('Name', b.name)}${el('CreationDate', b.created)}</Bucket>`).join('');
  return doc('ListAllMyBucketsResult', [OWNER, `<Buckets>${list}</Buckets>`]);
}

export interface ObjectRow {
  key: string;
  lastModified: string;
  etag: string;
  size: number;
}

interface ListXmlOptions {
  bucket: string;
  prefix: string;
  delimiter: string;
  maxKeys: number;
  isTruncated: boolean;
  contents: ObjectRow[];
  commonPrefixes: string[];
}

function listBody(o: ListXmlOptions): string[] {
  return [
    el('Name', o.bucket),
    el('Prefix', o.prefix),
    ...(o.delimiter ? [el('Delimiter', o.delimiter)] : []),
    el('MaxKeys', o.maxKeys),
    el('IsTruncated', o.isTruncated),
    ...o.contents.map(
      (c) =>
        `<Contents>${el('Key', c.key)}${el('LastModified', c.lastModified)}${el('ETag', `"${c.etag}"`)}${el('Size', c.size)}${el('StorageClass', 'STANDARD')}${OWNER}</Contents>`,
    ),
    ...o.commonPrefixes.map((p) => `<CommonPrefixes>${el('Prefix', p)}</CommonPrefixes>`),
  ];
}

export function listV2Xml(
  o: ListXmlOptions & { keyCount: number; continuationToken?: string; nextContinuationToken?: string; startAfter?: string },
): string {
  return doc('ListBucketResult', [
    ...listBody(o),
    el('KeyCount', o.keyCount),
    ...(o.continuationToken ? [el('ContinuationToken', o.continuationToken)] : []),
    ...(o.nextContinuationToken ? [el('NextContinuationToken', o.nextContinuationToken)] : []),
    ...(o.startAfter ? [el('StartAfter', o.startAfter)] : []),
  ]);
}

export function listV1Xml(o: ListXmlOptions & { marker: string; nextMarker?: string }): string {
  return doc('ListBucketResult', [...listBody(o), el('Marker', o.marker), ...(o.nextMarker ? [el('NextMarker', o.nextMarker)] : [])]);
}

export function locationXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_NS}"></LocationConstraint>`;
}

/** The one ACL the gateway has: its owner may do everything (who may do what is the credentials' business). */
export function aclXml(): string {
  const grant =
    '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>vigil</ID><DisplayName>vigil</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>';
  return doc('AccessControlPolicy', [OWNER, `<AccessControlList>${grant}</AccessControlList>`]);
}
