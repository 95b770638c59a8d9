/**
 * `vigil step validate` as a child process on a hand-laid PFS_ROOT, one datum per process (no
 * PPS_WORKER_GRPC_PORT): real fixtures and crafted bad frames.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { assertValid } from '../../specs/index.js';
import { unparsedRejectionPath } from '../../src/contract/repos.js';
import { configVersion, resolveConfig } from '../../steps/validate/config.js';
import { tempDir, vigil, type CliResult } from '../helpers/cli.js';
import { BAD_FRAMES, GOOD_FRAMES, assertFrameOutput, expectedOutput, fixture, runValidateStep } from '../helpers/validate.js';

const COMMIT = 'c0ffee0000000000000000000000000000000001';
const DEFAULT_VERSION = configVersion(resolveConfig({}, 'defaults'));
const CASES = { ...GOOD_FRAMES, ...BAD_FRAMES };

const runStep = (files: Record<string, Buffer>, datumPath: string, env: Record<string, string> = {}) =>
  runValidateStep(files, datumPath, { raw_COMMIT: COMMIT, ...env });

type Ran = { bytes: Buffer; root: string; result: CliResult; outputs: string[] };
const ran = new Map<string, Ran>();

before(async () => {
  // Two at a time: each is a process that loads sharp.
  const queue = Object.entries(CASES);
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [name, c] = next;
      const bytes = await c.make();
      ran.set(name, { bytes, ...(await runStep({ [c.path]: bytes }, c.path)) });
    }
  };
  await Promise.all([worker(), worker()]);
});

for (const [name, c] of Object.entries(CASES)) {
  test(`${name}: ${'size' in c.expect ? `valid, ${c.expect.size.join('x')}` : `rejected for ${c.expect.codes.join(', ')}`}`, async () => {
    const { bytes, root, result, outputs } = ran.get(name)!;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(outputs, [expectedOutput(c)]);
    await assertFrameOutput(c, bytes, join(root, 'out'), { commit: COMMIT, configVersion: DEFAULT_VERSION });
  });
}

test('a transparent background becomes black, an opaque square stays white', async () => {
  const { root, outputs } = ran.get('transparent background flattened on black')!;
  const { data, info } = await sharp(join(root, 'out', outputs[0]))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => data[(y * info.width + x) * info.channels];
  assert.ok(at(10, 10) < 8, `corner ${at(10, 10)}`);
  assert.ok(at(100, 100) > 247, `centre ${at(100, 100)}`);
});

test('the same frame always yields the same bytes', async () => {
  const name = 'a 2000x1000 JPEG becomes 1280x640';
  const first = ran.get(name)!;
  const again = await runStep({ [CASES[name].path]: first.bytes }, CASES[name].path);
  const read = (r: { root: string; outputs: string[] }) => readFile(join(r.root, 'out', r.outputs[0]));
  assert.ok((await read(first)).equals(await read(again)));
});

test('a camera folder entry that is a folder (frames nested too deep) rejects each of its files by name, by path', async () => {
  const rocket = await fixture('rocket.jpg');
  const nested = ['/u1-cam1/sub/20261126T041500Z.jpg', '/u1-cam1/sub/deeper/x.jpg', '/u1-cam1/sub/deeper/y.jpg'];
  // The same bytes under two paths are two rejections: records are named by path, not content.
  const { result, outputs } = await runStep(Object.fromEntries(nested.map((p) => [p, rocket])), '/u1-cam1/sub');
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(outputs, nested.map(unparsedRejectionPath).sort());
});

test('a root folder with a dot in its name owns nothing: its frames are datums of their own', async () => {
  const { result, outputs } = await runStep({ '/u1.cam1/20261126T041500Z.jpg': await fixture('rocket.jpg') }, '/u1.cam1');
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(outputs, []);
});

test('limits come from the file named by VIGIL_VALIDATE_CONFIG, and its version is recorded', async () => {
  const dir = await tempDir();
  const file = join(dir, 'strict.yaml');
  await writeFile(file, '# stricter limits for a test\nminSide: 600\nmaxBytes: 100000\n');
  const { result, outputs, root } = await runStep(
    { '/u1-cam1/20261126T041500Z.png': await fixture('motorcycle_left.png') },
    '/u1-cam1/20261126T041500Z.png',
    { VIGIL_VALIDATE_CONFIG: file },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(outputs, ['/rejected/u1-cam1/20261126T041500Z.json']);
  const record = assertValid('rejection', JSON.parse(await readFile(join(root, 'out', outputs[0]), 'utf8')), outputs[0]);
  // Over the size limit, the file is not decoded: no decode or contrast verdict.
  assert.deepEqual(
    record.reasons.map((r) => [r.code, r.measured, r.limit]),
    [
      ['resolution', '741x500', '600..8192'],
      ['size', 644701, 100000],
    ],
  );
  assert.equal(record.configVersion, configVersion(resolveConfig({ minSide: 600, maxBytes: 100000 }, file)));
});

test('an invalid or unreadable config fails the step, before any output', async () => {
  const dir = await tempDir();
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'minSide: tiny\nmaxMegapixels: 12\n');
  const frame = { '/u1-cam1/20261126T041500Z.jpg': await fixture('rocket.jpg') };
  const bad = await runStep(frame, '/u1-cam1/20261126T041500Z.jpg', { VIGIL_VALIDATE_CONFIG: file });
  assert.equal(bad.result.code, 1);
  assert.match(bad.result.stderr, /^vigil: invalid validate config:/);
  assert.match(bad.result.stderr, /bad\.yaml: minSide: "tiny" must be integer/);
  assert.match(bad.result.stderr, /unknown field "maxMegapixels"; fields: /);
  assert.deepEqual(bad.outputs, []);
  const missing = await runStep(frame, '/u1-cam1/20261126T041500Z.jpg', { VIGIL_VALIDATE_CONFIG: join(dir, 'nope.yaml') });
  assert.equal(missing.result.code, 1);
  assert.match(missing.result.stderr, /cannot read the validate config .*nope\.yaml \(VIGIL_VALIDATE_CONFIG\)/);
});

test('an output that cannot be written fails the step, naming the path', async () => {
  const root = await tempDir('vigil-validate-');
  await mkdir(join(root, 'raw', 'u1-cam1'), { recursive: true });
  await writeFile(join(root, 'raw', 'u1-cam1', '20261126T041500Z.jpg'), await fixture('rocket.jpg'));
  await writeFile(join(root, 'out'), 'a file where the output folder should be');
  const result = await vigil(['step', 'validate'], {
    root: join(root, 'store'),
    env: { PFS_ROOT: root, raw: join(root, 'raw', 'u1-cam1', '20261126T041500Z.jpg'), VIGIL_VALIDATE_CONFIG: '' },
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /vigil: cannot write the output .*\/out\/valid\/u1-cam1\/20261126T041500Z\.jpg/);
});
