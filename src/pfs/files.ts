import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The sha256 of a file's bytes, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes an output file, creating its folders. The engine collects /pfs/out only after the datum ends. */
export async function writeOutput(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

/** JSON as every step writes it: stable two-space indentation and a final newline. */
export function writeJsonOutput(path: string, record: unknown): Promise<void> {
  return writeOutput(path, JSON.stringify(record, null, 2) + '\n');
}
