import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir } from '../helpers/cli.js';
import { commitFiles, createPipelines, pfs, shellPipeline } from '../helpers/engine.js';
import { addDevice, frameName, startServer, type Served } from '../helpers/serve.js';

// Pachyderm's S3 gateway protocol (src/server/pfs/s3/: driver.go bucketNameToCommit, bucket.go
// ListObjects, object.go GetObject/PutObject/DeleteObject) on the embedded store, with two real
// clients: the AWS SDK for JavaScript and Debian's s3cmd.

const run = promisify(execFile);
const OPERATOR = { accessKeyId: 'vigil-operator', secretAccessKey: 'operator-secret-9f2c1' };
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

function client(url: string, credentials: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
}

async function s3Error(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return { status: e.$metadata.httpStatusCode ?? 0, code: e.name, message: e.message };
    throw e;
  }
  assert.fail('expected an S3 error');
}

describe('the S3 gateway', () => {
  let root: string;
  let server: Served;
  let s3: S3Client;
  let jpeg: Buffer;

  before(async () => {
    root = await tempDir();
    await commitFiles(root, 'rules', { '/rules.yaml': 'rules: []\n' });
    await commitFiles(root, 'raw', { '/u1-cam1/20200101T000000Z.jpg': 'an old frame' });
    await createPipelines(root, shellPipeline('copies', pfs('rules', '/*'), 'cp -r $PFS_ROOT/rules/* $PFS_ROOT/out/'));
    server = await startServer(root, ['--no-pipelines', '--s3-port', '0'], {
      VIGIL_S3_ACCESS_KEY: OPERATOR.accessKeyId,
      VIGIL_S3_SECRET_KEY: OPERATOR.secretAccessKey,
    });
    assert.ok(server.s3Url, server.log());
    s3 = client(server.s3Url!, OPERATOR);
    jpeg = await readFile(join(packageRoot(), 'test', 'fixtures', 'rocket.jpg'));
  });

  after(async () => {
    s3?.destroy();
    assert.equal(await server?.stop(), 0, server?.log());
    assert.ok(!server.log().includes(OPERATOR.secretAccessKey), 'the secret is never logged');
  });

  test('AWS SDK, operator: buckets, put as a commit, get and head with ETag and version, list with prefix, delimiter and continuation, delete', async () => {
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
    assert.deepEqual(buckets.sort(), ['master.raw', 'master.rules'], 'branches with commits (copies has none yet)');

    const notes = Buffer.from('first notes\n');
    const put = await s3.send(new PutObjectCommand({ Bucket: 'master.rules', Key: 'docs/notes.txt', Body: notes }));
    assert.equal(put.ETag, `"${md5(notes)}"`);
    assert.match(put.VersionId!, /^[0-9a-f]{32}$/, 'the version is the commit');
    for (const [i, name] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      await s3.send(new PutObjectCommand({ Bucket: 'rules', Key: `docs/more/${name}.txt`, Body: `file ${i}` }));
    }

    const got = await s3.send(new GetObjectCommand({ Bucket: 'master.rules', Key: 'docs/notes.txt' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), notes);
    assert.equal(got.ETag, `"${md5(notes)}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'master.rules', Key: 'docs/notes.txt' }));
    assert.equal(head.ContentLength, notes.length);
    const old = await s3.send(new GetObjectCommand({ Bucket: `${put.VersionId}.master.rules`, Key: 'docs/notes.txt' }));
    assert.equal(await old.Body!.transformToString(), 'first notes\n', 'a bucket naming a commit reads that commit');
    const noSuch = await s3Error(s3.send(new GetObjectCommand({ Bucket: 'master.rules', Key: 'docs/none.txt' })));
    assert.deepEqual([noSuch.status, noSuch.code], [404, 'NoSuchKey']);

    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'master.rules', Delimiter: '/' }));
    assert.deepEqual(
      top.Contents!.map((o) => o.Key),
      ['rules.yaml'],
    );
    assert.deepEqual(
      top.CommonPrefixes!.map((p) => p.Prefix),
      ['docs/'],
    );
    const docs = await s3.send(new ListObjectsV2Command({ Bucket: 'master.rules', Prefix: 'docs/', Delimiter: '/' }));
    assert.deepEqual([docs.Contents!.map((o) => o.Key), docs.CommonPrefixes!.map((p) => p.Prefix)], [['docs/notes.txt'], ['docs/more/']]);
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'master.rules', Prefix: 'docs/more/', MaxKeys: 2, ContinuationToken: token }),
      );
      keys.push(...page.Contents!.map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      pages++;
    } while (token && pages < 10);
    assert.deepEqual(
      keys,
      ['a', 'b', 'c', 'd', 'e'].map((n) => `docs/more/${n}.txt`),
    );
    assert.equal(pages, 3);

    await s3.send(new DeleteObjectCommand({ Bucket: 'master.rules', Key: 'docs/notes.txt' }));
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'master.rules', Key: 'docs/notes.txt' })))).status, 404);
    const output = await s3Error(s3.send(new PutObjectCommand({ Bucket: 'master.copies', Key: 'x.txt', Body: 'x' })));
    assert.deepEqual([output.status, output.code], [400, 'WriteToOutputBranch']);
  });

  test('AWS SDK, a camera signing with its device token: its own folder of raw only, through the ingest checks', async () => {
    const token = await addDevice(root, 'u1-cam1');
    const cam = client(server.s3Url!, { accessKeyId: token, secretAccessKey: token });
    try {
      const key = `u1-cam1/${frameName(30)}`;
      const put = await cam.send(new PutObjectCommand({ Bucket: 'master.raw', Key: key, Body: jpeg }));
      assert.equal(put.ETag, `"${md5(jpeg)}"`);
      const back = await cam.send(new GetObjectCommand({ Bucket: 'raw', Key: key }));
      assert.equal(md5(await back.Body!.transformToByteArray()), md5(jpeg));
      const listed = await cam.send(new ListObjectsV2Command({ Bucket: 'master.raw', Prefix: 'u1-cam1/' }));
      assert.ok(listed.Contents!.some((o) => o.Key === key));

      const other = await s3Error(cam.send(new PutObjectCommand({ Bucket: 'master.raw', Key: `u2-cam1/${frameName(30)}`, Body: jpeg })));
      assert.deepEqual([other.status, other.code], [403, 'AccessDenied']);
      const notImage = await s3Error(
        cam.send(new PutObjectCommand({ Bucket: 'master.raw', Key: `u1-cam1/${frameName(31)}`, Body: 'text' })),
      );
      assert.equal(notImage.status, 415);
      assert.match(notImage.message, /no known image format/);
      const conflict = await s3Error(
        cam.send(new PutObjectCommand({ Bucket: 'master.raw', Key: key, Body: Buffer.concat([jpeg, Buffer.from('x')]) })),
      );
      assert.equal(conflict.status, 409);
      assert.equal((await s3Error(cam.send(new ListObjectsV2Command({ Bucket: 'master.raw' })))).status, 403);
      assert.equal((await s3Error(cam.send(new DeleteObjectCommand({ Bucket: 'master.raw', Key: key })))).status, 403);
      assert.equal((await s3Error(cam.send(new GetObjectCommand({ Bucket: 'master.rules', Key: 'rules.yaml' })))).status, 403);
    } finally {
      cam.destroy();
    }
    const wrong = client(server.s3Url!, { accessKeyId: OPERATOR.accessKeyId, secretAccessKey: 'not-the-secret' });
    const refused = await s3Error(wrong.send(new ListBucketsCommand({})));
    wrong.destroy();
    assert.deepEqual([refused.status, refused.code], [403, 'SignatureDoesNotMatch']);
  });

  test('s3cmd: ls, put (a frame into raw), get, info, del', async () => {
    const dir = await tempDir('vigil-s3cmd-');
    const host = new URL(server.s3Url!).host;
    const config = join(dir, 's3cfg');
    await writeFile(
      config,
      `[default]\naccess_key = ${OPERATOR.accessKeyId}\nsecret_key = ${OPERATOR.secretAccessKey}\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n`,
    );
    const s3cmd = async (...args: string[]) => (await run('s3cmd', ['-c', config, ...args], { timeout: 60_000 })).stdout;
    assert.match(await s3cmd('ls'), /s3:\/\/master\.raw/);
    const frame = join(dir, 'frame.jpg');
    await writeFile(frame, jpeg);
    const key = `u1-cam1/${frameName(40)}`;
    await s3cmd('put', frame, `s3://master.raw/${key}`);
    assert.match(await s3cmd('ls', 's3://master.raw/u1-cam1/'), new RegExp(key.replace('.', '\\.')));
    await s3cmd('get', `s3://master.raw/${key}`, join(dir, 'back.jpg'));
    assert.deepEqual(await readFile(join(dir, 'back.jpg')), jpeg);
    assert.match(await s3cmd('info', `s3://master.raw/${key}`), new RegExp(`MD5 sum:\\s+${md5(jpeg)}`));
    await s3cmd('del', 's3://master.rules/rules.yaml');
    assert.doesNotMatch(await s3cmd('ls', 's3://master.rules/'), /rules\.yaml/);
  });
});
