/**
 * `vigil step validate`: every frame of `raw` becomes a standard JPEG under /valid/ or a
 * rejection record under /rejected/. Frame content never fails the step; only its own
 * troubles do (an unreadable config, an unwritable output).
 */
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FileRef } from '../../specs/index.js';
import { VigilError } from '../../src/pfs/errors.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { sha256, sha256File, writeJsonOutput, writeOutput } from '../../src/pfs/files.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';
import { configVersion, loadConfig, type ResolvedConfig } from './config.js';
import {
  SNIFF_BYTES,
  datumScope,
  formatAccepted,
  judge,
  lumaStdDev,
  rejectedPath,
  rejectionRecord,
  shouldDecode,
  sniffFormat,
  validPath,
  type Inspection,
} from './core.js';
import { encodeJpeg, readDimensions, standardise, type StandardImage } from './image.js';

/** The pipeline's input name: frames arrive under `$PFS_ROOT/raw`, the datum's path in `$raw`. */
const INPUT = 'raw';

interface Run {
  config: ResolvedConfig;
  configVersion: string;
  out: string;
  repoRoot: string;
  commit?: string;
}

/** A file's path in its repo (`/u1-cam1/20261126T041500Z.jpg`). */
function repoPath(repoRoot: string, file: string): string {
  return '/' + relative(repoRoot, file).split(sep).join('/');
}

async function filesBelow(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) files.push(...(await filesBelow(path)));
    else files.push(path);
  }
  return files;
}

/** The files of this datum that this datum must judge (see datumScope). */
async function ownedFiles(repoRoot: string, datum: string): Promise<string[]> {
  const scope = datumScope(repoPath(repoRoot, datum), (await stat(datum)).isDirectory());
  return scope === 'self' ? [datum] : scope === 'below' ? filesBelow(datum) : [];
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file);
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Measures a frame, running only the checks that can and should run. */
async function inspect(file: string, config: ResolvedConfig): Promise<{ inspection: Inspection; sha256: string; image?: StandardImage }> {
  const { size } = await stat(file);
  // An oversized file is hashed as a stream and never loaded.
  const bytes = size <= config.maxBytes ? await readFile(file) : undefined;
  const inspection: Inspection = { bytes: size, format: sniffFormat(bytes ?? (await readHead(file))) };
  const digest = bytes ? sha256(bytes) : await sha256File(file);
  if (!formatAccepted(inspection.format, config)) return { inspection, sha256: digest };
  inspection.header = await readDimensions(bytes ?? file);
  if (!bytes || !shouldDecode(inspection, config)) return { inspection, sha256: digest };
  const image = await standardise(bytes, config);
  if ('error' in image) {
    inspection.decode = image;
    return { inspection, sha256: digest };
  }
  inspection.decode = { lumaStdDev: lumaStdDev(image.pixels, image.channels) };
  return { inspection, sha256: digest, image };
}

/** Writes one output; a failure is the step's own, reported with the path. */
async function write(run: Run, path: string, data: Uint8Array | object): Promise<void> {
  const target = join(run.out, path);
  try {
    await (data instanceof Uint8Array ? writeOutput(target, data) : writeJsonOutput(target, data));
  } catch (e) {
    throw new VigilError(`cannot write the output ${target}: ${(e as Error).message}`);
  }
}

async function validateFile(run: Run, file: string): Promise<void> {
  const path = repoPath(run.repoRoot, file);
  const { inspection, sha256: digest, image } = await inspect(file, run.config);
  const verdict = judge(path, inspection, run.config, new Date());
  if (verdict.valid) {
    // judge passes a frame only once it decoded, so its standard image is there.
    await write(run, validPath(verdict.frame), await encodeJpeg(image!, run.config.jpegQuality));
    return;
  }
  const input: FileRef = { repo: INPUT, ...(run.commit ? { commit: run.commit } : {}), path, sha256: digest, size: inspection.bytes };
  await write(run, rejectedPath(verdict.frame, digest), rejectionRecord(input, verdict.frame, verdict.reasons, run.configVersion));
}

export async function main(): Promise<void> {
  const config = await loadConfig();
  const version = configVersion(config);
  await forEachDatum(async ({ env }) => {
    const datum = env[INPUT];
    if (!datum) throw new VigilError(`no datum: $${INPUT} (the input's path under PFS_ROOT) is unset`);
    const repoRoot = join(pfsRoot(env), INPUT);
    const run: Run = { config, configVersion: version, out: outDir(env), repoRoot, commit: env[`${INPUT}_COMMIT`] || undefined };
    for (const file of await ownedFiles(repoRoot, datum)) await validateFile(run, file);
  });
}
