/** Frames for the validate stage's tests: real fixtures and crafted bad ones, with what each must become. */
import { int64, parseRaw } from './engine.js';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { assertValid } from '../../specs/index.js';
import { sha256 } from '../../src/pfs/files.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { unparsedRejectionPath } from '../../src/contract/repos.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, type CliResult } from './cli.js';

export const fixturePath = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
export const fixture = (name: string) => readFile(fixturePath(name));

const black = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#000000' } });
const future = formatTimestamp(new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000));

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const frame = Buffer.alloc(8 + data.length + 4);
  frame.writeUInt32BE(data.length, 0);
  body.copy(frame, 4);
  frame.writeUInt32BE(crc32(body), 4 + body.length);
  return frame;
}

/**
 * A real black PNG of any size, 1 bit a pixel: 30000x30000 is 112 MB of rows that deflate to
 * about 110 KB, where sharp cannot even make the pixels of such an image.
 */
export function blackPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth; colour type 0 (grey), no interlace
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // each row: filter 0, then zero bits
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface FrameCase {
  /** The frame's path in `raw`. */
  path: string;
  make: () => Promise<Buffer>;
  /** A valid frame's output size, or a rejection's codes (and whether its path names no camera). */
  expect: { size: [number, number] } | { codes: string[]; unparsed?: true };
}

export const GOOD_FRAMES: Record<string, FrameCase> = {
  'motorcycle 741x500 PNG stays 741x500': {
    path: '/u1-cam1/20261126T041500Z.png',
    make: () => fixture('motorcycle_left.png'),
    expect: { size: [741, 500] },
  },
  'astronaut 512x512 PNG': { path: '/u1-cam1/20261126T041501Z.png', make: () => fixture('astronaut.png'), expect: { size: [512, 512] } },
  'rocket JPEG': { path: '/u1-cam1/20261126T041502Z.jpg', make: () => fixture('rocket.jpg'), expect: { size: [640, 427] } },
  'grayscale camera PNG becomes sRGB': {
    path: '/u1-cam1/20261126T041503Z.png',
    make: () => fixture('camera.png'),
    expect: { size: [512, 512] },
  },
  'RGBA horse loses its alpha': { path: '/u1-cam1/20261126T041504Z.png', make: () => fixture('horse.png'), expect: { size: [400, 328] } },
  'a 2000x1000 JPEG becomes 1280x640': {
    path: '/u2-door/20261126T041505.250Z.jpg',
    make: () => sharp(fixturePath('motorcycle_left.png')).resize(2000, 1000, { fit: 'fill' }).jpeg().toBuffer(),
    expect: { size: [1280, 640] },
  },
  'EXIF orientation 6 is applied': {
    path: '/u1-cam1/20261126T041506Z.jpg',
    make: () => sharp(fixturePath('motorcycle_left.png')).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    expect: { size: [500, 741] },
  },
  'PNG bytes named .jpg pass: the bytes decide': {
    path: '/u1-cam1/20261126T041507Z.jpg',
    make: () => fixture('chelsea.png'),
    expect: { size: [451, 300] },
  },
  WebP: {
    path: '/u1-cam1/20261126T041508Z.webp',
    make: () => sharp(fixturePath('coffee.png')).webp().toBuffer(),
    expect: { size: [600, 400] },
  },
  'transparent background flattened on black': {
    path: '/u1-cam1/20261126T041509Z.png',
    make: () =>
      sharp({ create: { width: 200, height: 200, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } })
        .composite([{ input: { create: { width: 100, height: 100, channels: 4, background: '#ffffffff' } }, left: 50, top: 50 }])
        .png()
        .toBuffer(),
    expect: { size: [200, 200] },
  },
};

export const BAD_FRAMES: Record<string, FrameCase> = {
  'truncated.jpg': { path: '/u1-cam1/20261126T041600Z.jpg', make: () => fixture('truncated.jpg'), expect: { codes: ['decode'] } },
  'a JPEG cut in half (its header intact)': {
    path: '/u1-cam1/20261126T041601Z.jpg',
    make: async () => (await fixture('rocket.jpg')).subarray(0, 56_000),
    expect: { codes: ['decode'] },
  },
  'a text file named .jpg': {
    path: '/u1-cam1/20261126T041602Z.jpg',
    make: async () => Buffer.from('this is not a picture\n'),
    expect: { codes: ['format'] },
  },
  'a GIF': {
    path: '/u1-cam1/20261126T041603Z.jpg',
    make: () => sharp(fixturePath('chelsea.png')).gif().toBuffer(),
    expect: { codes: ['format'] },
  },
  'a 100x100 image': {
    path: '/u1-cam1/20261126T041604Z.png',
    make: () => sharp(fixturePath('astronaut.png')).resize(100, 100).png().toBuffer(),
    expect: { codes: ['resolution'] },
  },
  'a solid black 640x480 JPEG': {
    path: '/u1-cam1/20261126T041605Z.jpg',
    make: () => black(640, 480).jpeg().toBuffer(),
    expect: { codes: ['contrast'] },
  },
  '/u1-cam1/yesterday.jpg': {
    path: '/u1-cam1/yesterday.jpg',
    make: () => fixture('rocket.jpg'),
    expect: { codes: ['name'], unparsed: true },
  },
  'a frame at the repo root': {
    path: '/frame.jpg',
    make: () => fixture('motorcycle_left.png'),
    expect: { codes: ['name'], unparsed: true },
  },
  'an hour in the future': { path: `/u1-cam1/${future}.jpg`, make: () => fixture('rocket.jpg'), expect: { codes: ['name'] } },
  'a reset camera clock: 1970-01-01': {
    path: '/u1-cam1/19700101T000000Z.jpg',
    make: () => fixture('rocket.jpg'),
    expect: { codes: ['name'] },
  },
  'a 30000x30000 PNG: its size read from the header, never decoded': {
    path: '/u1-cam1/20261126T041606Z.png',
    make: async () => blackPng(30_000, 30_000),
    expect: { codes: ['resolution'] },
  },
  'everything wrong at once': {
    path: '/black.png',
    make: () => black(100, 100).png().toBuffer(),
    expect: { codes: ['name', 'resolution', 'contrast'], unparsed: true },
  },
};

/** Every file below `dir` as `/a/b`, sorted; none when `dir` is absent. */
export async function listFiles(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const files: string[] = [];
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) files.push(...(await listFiles(path, base)));
    else files.push(`/${relative(base, path)}`);
  }
  return files;
}

/**
 * Lays out `$PFS_ROOT/raw/<path>` for each file and runs `vigil step validate` once on the datum
 * whose `$raw` is `datumPath` (every file laid out is the datum's, as in a group datum).
 */
export async function runValidateStep(
  files: Record<string, Buffer>,
  datumPath: string,
  env: Record<string, string> = {},
): Promise<{ root: string; result: CliResult; outputs: string[] }> {
  const root = await tempDir('vigil-validate-');
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(root, 'raw', path)), { recursive: true });
    await writeFile(join(root, 'raw', path), bytes);
  }
  const result = await vigil(['step', 'validate'], {
    root: join(root, 'store'),
    env: { PFS_ROOT: root, raw: join(root, 'raw', datumPath), VIGIL_VALIDATE_CONFIG: '', ...env },
  });
  return { root, result, outputs: await listFiles(join(root, 'out')) };
}

/** The one output a frame must have in the validated repo. */
export function expectedOutput(c: FrameCase): string {
  const parts = c.path.split('/');
  const source = parts.length === 3 ? parts[1] : '';
  const ts = c.path.slice(c.path.lastIndexOf('/') + 1, c.path.lastIndexOf('.'));
  if ('size' in c.expect) return `/valid/${source}/${ts}.jpg`;
  return c.expect.unparsed ? unparsedRejectionPath(c.path) : `/rejected/${source}/${ts}.json`;
}

/**
 * Checks a frame's output under `outDir` (a step's /pfs/out, or a copy of the validated repo):
 * a standard JPEG of the expected size, or a schema-valid rejection with exactly the expected
 * codes and the frame's lineage.
 */
export async function assertFrameOutput(
  c: FrameCase,
  bytes: Buffer,
  outDir: string,
  lineage: { commit: string; configVersion: string },
): Promise<void> {
  const file = join(outDir, expectedOutput(c));
  if ('size' in c.expect) {
    const meta = await sharp(file).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels, meta.space], ['jpeg', ...c.expect.size, 3, 'srgb']);
    assert.equal(meta.hasAlpha, false);
    assert.equal(meta.exif, undefined, 'no EXIF left');
    assert.equal(meta.icc, undefined, 'no ICC profile left');
    assert.equal(meta.orientation, undefined);
    return;
  }
  const record = assertValid('rejection', JSON.parse(await readFile(file, 'utf8')), file);
  assert.deepEqual(
    record.reasons.map((r) => r.code),
    c.expect.codes,
  );
  assert.deepEqual(record.input, { repo: 'raw', commit: lineage.commit, path: c.path, sha256: sha256(bytes), size: bytes.length });
  assert.equal(record.configVersion, lineage.configVersion);
  assert.equal(record.user, c.expect.unparsed ? undefined : 'u1');
  for (const reason of record.reasons) assert.match(reason.message, /^[A-Z].*\.$/, 'one sentence');
}

/** A job of `vigil list job --raw` (pachctl's JobInfo), with the fields these tests read. */
export interface RawJob {
  job?: { id?: string; pipeline?: { name?: string } };
  state?: string;
  data_processed?: string;
  data_skipped?: string;
  data_total?: string;
}

/** The jobs of one pipeline from `--raw` output (a stream of JobInfo messages), newest first as listed. */
export function jobsOf(
  raw: string,
  pipeline: string,
): Array<{ id: string; state: string; processed: number; skipped: number; total: number }> {
  return parseRaw<RawJob>(raw)
    .filter((j) => j.job?.pipeline?.name === pipeline)
    .map((j) => ({
      id: j.job!.id ?? '',
      state: j.state ?? '',
      processed: int64(j.data_processed),
      skipped: int64(j.data_skipped),
      total: int64(j.data_total),
    }));
}
