import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listKeys, parseBucket } from '../../src/serve/s3/buckets.js';

// Pachyderm's src/server/pfs/s3/driver.go (bucketNameToCommit) and bucket.go (ListObjects).

test('bucket names: <repo>, <branch>.<repo>, <commit>.<branch>.<repo>, and the default project', () => {
  const commit = '0123456789abcdef0123456789abcdef';
  assert.deepEqual(parseBucket('raw'), { repo: 'raw', branch: 'master' });
  assert.deepEqual(parseBucket('dev.raw'), { repo: 'raw', branch: 'dev' });
  assert.deepEqual(parseBucket('dev.raw.default'), { repo: 'raw', branch: 'dev' });
  assert.deepEqual(parseBucket(`${commit}.master.raw`), { repo: 'raw', branch: 'master', commit });
  assert.deepEqual(parseBucket(`${commit}.raw`), { repo: 'raw', branch: 'master', commit });
  assert.equal(parseBucket('a.b.otherproject'), null);
  assert.equal(parseBucket('a.b.c.d'), null);
  assert.equal(parseBucket('.raw'), null);
});

const files = ['/a.txt', '/d/1.txt', '/d/2.txt', '/d/e/3.txt', '/f/4.txt', '/z.txt'].map((path) => ({ path, sha256: 'x', size: 1 }));
const keys = (r: ReturnType<typeof listKeys>) => [r.contents.map((c) => c.key), r.commonPrefixes];

test('listing: prefix, the / delimiter grouping common prefixes, pages after a key', () => {
  assert.deepEqual(keys(listKeys(files, { prefix: '', delimiter: '', after: '', maxKeys: 1000 })), [files.map((f) => f.path.slice(1)), []]);
  assert.deepEqual(keys(listKeys(files, { prefix: '', delimiter: '/', after: '', maxKeys: 1000 })), [
    ['a.txt', 'z.txt'],
    ['d/', 'f/'],
  ]);
  assert.deepEqual(keys(listKeys(files, { prefix: 'd/', delimiter: '/', after: '', maxKeys: 1000 })), [['d/1.txt', 'd/2.txt'], ['d/e/']]);
  const first = listKeys(files, { prefix: '', delimiter: '/', after: '', maxKeys: 2 });
  assert.deepEqual([keys(first), first.isTruncated, first.next], [[['a.txt'], ['d/']], true, 'd/']);
  const second = listKeys(files, { prefix: '', delimiter: '/', after: first.next!, maxKeys: 2 });
  assert.deepEqual([keys(second), second.isTruncated], [[['z.txt'], ['f/']], false]);
});
