/**
 * The step kit (src/pfs/): a datum's inputs as a step sees them, lineage references to their
 * files, schema-checked record reads, and durable writes, on a hand-laid PFS_ROOT.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFileOnce } from '../../src/pfs/durable.js';
import { VigilError } from '../../src/pfs/errors.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { readJsonFile, sha256 } from '../../src/pfs/files.js';
import { datumInput, groupedInput, inputCommit, inputFiles } from '../../src/pfs/inputs.js';
import { readRecord } from '../../src/pfs/records.js';
import { tempDir } from '../helpers/cli.js';
import { detection, obj } from '../helpers/match.js';

async function lay(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

test('an input is $<name> under PFS_ROOT, with its repo path and $<name>_COMMIT', () => {
  const env = { PFS_ROOT: '/x/pfs', raw: '/x/pfs/raw/u1-cam1/20261126T041500Z.jpg', raw_COMMIT: 'c1' };
  assert.deepEqual(datumInput(env, 'raw'), {
    name: 'raw',
    commit: 'c1',
    root: '/x/pfs/raw',
    path: '/x/pfs/raw/u1-cam1/20261126T041500Z.jpg',
    repoPath: '/u1-cam1/20261126T041500Z.jpg',
  });
  assert.equal(
    datumInput({ rules: '/pfs/rules', rules_COMMIT: '' }, 'rules').repoPath,
    '/',
    'glob / gives the whole repo; PFS_ROOT defaults to /pfs',
  );
  assert.equal('commit' in datumInput({ rules: '/pfs/rules', rules_COMMIT: '' }, 'rules'), false);
  assert.throws(
    () => datumInput({ PFS_ROOT: '/x/pfs' }, 'raw'),
    (e) => e instanceof VigilError && /this datum has no input raw: \$raw/.test(e.message),
  );
  assert.deepEqual(groupedInput({ PFS_ROOT: '/x/pfs', matches: '/x/pfs/matches/u1-cam1/a.json', matches_COMMIT: 'm' }, 'matches'), {
    name: 'matches',
    commit: 'm',
    root: '/x/pfs/matches',
    path: '/x/pfs/matches',
    repoPath: '/',
  });
  assert.equal(inputCommit(datumInput(env, 'raw')), 'c1');
  assert.throws(
    () => inputCommit(datumInput({ raw: '/pfs/raw/a' }, 'raw')),
    /\$raw_COMMIT is unset: the step records the commit of its input raw/,
  );
});

test('the files of an input: the file itself, or every file under the folder in repo path order', async () => {
  const pfs = await tempDir('vigil-kit-');
  await lay(join(pfs, 'detections'), { 'u1-cam1/b.json': 'b', 'u1-cam1/a.json': 'a', 'u1-cam1/deep/c.json': 'c', 'u1-cam1-x/d.json': 'd' });
  const env = { PFS_ROOT: pfs, detections: join(pfs, 'detections', 'u1-cam1'), detections_COMMIT: 'd1' };
  const files = inputFiles(datumInput(env, 'detections'));
  assert.deepEqual(
    files.map((f) => f.repoPath),
    ['/u1-cam1/a.json', '/u1-cam1/b.json', '/u1-cam1/deep/c.json'],
  );
  assert.deepEqual(files[0], {
    name: 'detections',
    commit: 'd1',
    path: join(pfs, 'detections', 'u1-cam1', 'a.json'),
    repoPath: '/u1-cam1/a.json',
  });
  const one = inputFiles(datumInput({ ...env, detections: join(pfs, 'detections', 'u1-cam1-x', 'd.json') }, 'detections'));
  assert.deepEqual(
    one.map((f) => f.repoPath),
    ['/u1-cam1-x/d.json'],
  );
  assert.deepEqual(
    inputFiles(groupedInput(env, 'detections')).map((f) => f.repoPath),
    ['/u1-cam1-x/d.json', '/u1-cam1/a.json', '/u1-cam1/b.json', '/u1-cam1/deep/c.json'],
  );
});

test('a lineage reference names repo, commit and repo path, and the sha256 and size of the bytes', () => {
  const bytes = Buffer.from('frame bytes');
  const file = { name: 'validated', commit: 'v1', path: '/pfs/validated/valid/u1-cam1/t.jpg', repoPath: '/valid/u1-cam1/t.jpg' };
  const ref = fileRef(file, bytes);
  assert.deepEqual(ref, { repo: 'validated', commit: 'v1', path: '/valid/u1-cam1/t.jpg', sha256: sha256(bytes), size: 11 });
  assert.deepEqual(Object.keys(ref), ['repo', 'commit', 'path', 'sha256', 'size'], 'the order every record writes');
  assert.deepEqual(fileRef({ ...file, commit: undefined }, { sha256: 'ab'.repeat(32), size: 5 }), {
    repo: 'validated',
    path: '/valid/u1-cam1/t.jpg',
    sha256: 'ab'.repeat(32),
    size: 5,
  });
});

test('a record read checks the schema and names the file and every problem', async () => {
  const pfs = await tempDir('vigil-kit-');
  const good = JSON.stringify(detection('u1', 'cam1', '2026-11-27T00:00:00.000Z', [obj('dog', 0.9)]));
  const bad = JSON.stringify({ ...JSON.parse(good), objects: [{ label: 'dog', score: 2 }] });
  await lay(join(pfs, 'detections'), { 'u1-cam1/good.json': good, 'u1-cam1/bad.json': bad, 'u1-cam1/broken.json': '{"user": ' });
  const file = (name: string) =>
    datumInput({ PFS_ROOT: pfs, detections: join(pfs, 'detections', 'u1-cam1', name), detections_COMMIT: 'd1' }, 'detections');

  const { record, ref } = readRecord(file('good.json'), 'detection');
  assert.equal(record.objects[0]!.label, 'dog');
  assert.deepEqual(ref, {
    repo: 'detections',
    commit: 'd1',
    path: '/u1-cam1/good.json',
    sha256: sha256(good),
    size: Buffer.byteLength(good),
  });

  assert.throws(
    () => readRecord(file('bad.json'), 'detection'),
    (e) => {
      assert.ok(e instanceof VigilError);
      const lines = e.message.split('\n');
      assert.ok(lines.length >= 2 && lines.every((l) => l.startsWith('detections:/u1-cam1/bad.json: ')), e.message);
      assert.match(e.message, /objects\[0\]\.score: 2 is out of range: must be <= 1/);
      assert.match(e.message, /objects\[0\]: missing field "classId"/);
      return true;
    },
  );
  assert.throws(
    () => readRecord(file('broken.json'), 'detection'),
    (e) => e instanceof VigilError && e.message.startsWith('detections:/u1-cam1/broken.json: not JSON: '),
  );
  assert.throws(
    () => readRecord(file('gone.json'), 'detection'),
    (e) => e instanceof VigilError && e.message.startsWith('detections:/u1-cam1/gone.json: cannot read it: '),
  );
});

test('createFileOnce keeps the first writer, says who it was, and leaves no temporary file', async () => {
  const dir = await tempDir('vigil-kit-');
  const path = join(dir, 'record.json');
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => createFileOnce(path, `writer ${i}`)));
  assert.equal(results.filter(Boolean).length, 1);
  assert.equal(await readFile(path, 'utf8'), `writer ${results.indexOf(true)}`);
  assert.equal(await createFileOnce(path, 'late', { sync: false }), false);
  assert.deepEqual(await readdir(dir), ['record.json']);
});

test('readJsonFile: the JSON, or null when the file or a folder on its path is missing', async () => {
  const dir = await tempDir('vigil-kit-');
  await writeFile(join(dir, 'a.json'), '{"n": 1}');
  assert.deepEqual(await readJsonFile(join(dir, 'a.json')), { n: 1 });
  assert.equal(await readJsonFile(join(dir, 'none.json')), null);
  assert.equal(await readJsonFile(join(dir, 'a.json', 'below.json')), null);
  await writeFile(join(dir, 'bad.json'), '{');
  await assert.rejects(readJsonFile(join(dir, 'bad.json')), SyntaxError);
});
