import { createHash, hash } from 'node:crypto';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The sha256 of a file's bytes, hex. */
export async function sha256File(path: string): Promise<string> {
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(path)) digest.update(chunk as Buffer);
  return digest.digest('hex');
}

/** The sha256 of bytes or a string, hex. One-shot crypto.hash: cheaper than createHash on the short strings hashed for every datum. */
export function sha256(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/** The JSON a file holds; null when there is no such file (or a folder on its path is missing). */
export async function readJsonFile<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * Writes an output file, creating its folders. The engine collects /pfs/out only after the
 * datum ends. Synchronous on purpose: a step works on one datum at a time, and for the small
 * files steps write, thread-pool round trips (a mkdir, then an open, a write and a close) cost
 * more than the work itself.
 */
export function writeOutput(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** JSON as every step writes it: stable two-space indentation and a final newline. */
export function writeJsonOutput(path: string, record: unknown): void {
  writeOutput(path, `${JSON.stringify(record, null, 2)}\n`);
}
