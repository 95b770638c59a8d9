/**
 * Frames whose bytes can be searched for on disk, for the retention and erasure tests: a real
 * picture with a comment segment (COM) holding a marker, and a search of every file of a folder.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../../src/pfs/package-root.js';

const FIXTURE = await readFile(join(packageRoot(), 'test', 'fixtures', 'cat_det.jpg'));

/**
 * The fixture at `brightness` (1 is as it is; distinct values give distinct objects, as a
 * camera's frames differ) with a COM segment holding `marker` right after the JPEG's start.
 */
export async function markedFrame(brightness: number, marker: string): Promise<Buffer> {
  const picture = await sharp(FIXTURE).modulate({ brightness }).jpeg().toBuffer();
  const text = Buffer.from(marker, 'latin1');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(text.length + 2);
  return Buffer.concat([picture.subarray(0, 2), Buffer.from([0xff, 0xfe]), length, text, picture.subarray(2)]);
}

/** Every file under `dir` whose bytes contain `needle`. */
export async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(needle)) found.push(path);
  }
  return found;
}
