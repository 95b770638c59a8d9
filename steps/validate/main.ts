/**
 * `vigil step validate`: every frame of `raw` becomes a standard JPEG under /valid/ or a
 * rejection record under /rejected/. Frame content never fails the step; only its own
 * troubles do (an unreadable config, an unwritable output).
 *
 * Its file I/O is synchronous: the step works on one frame at a time and has nothing else to
 * do meanwhile, and thread-pool round trips for a stat, a read and a write cost more than the
 * calls themselves.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPOS, validFramePath } from '../../src/contract/repos.js';
import { VigilError } from '../../src/pfs/errors.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { sha256, sha256File, writeJsonOutput, writeOutput } from '../../src/pfs/files.js';
import { datumInput, inputFiles, type DatumInput, type InputFile } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { useAtomicFullCollections } from '../../src/pfs/gc.js';
import { SNIFF_BYTES, sniffFormat } from '../../src/contract/image-format.js';
import { configVersion, loadConfig, type ResolvedConfig } from './config.js';
import { datumScope, formatAccepted, judge, lumaStdDev, rejectedPath, rejectionRecord, shouldDecode, type Inspection } from './core.js';
import { encodeJpeg, readDimensions, standardise } from './image.js';

interface Run {
  config: ResolvedConfig;
  configVersion: string;
  out: string;
}

/** The files of this datum that this datum must judge (see datumScope). */
function ownedFiles(datum: DatumInput): InputFile[] {
  return datumScope(datum.repoPath, statSync(datum.path).isDirectory()) === 'none' ? [] : inputFiles(datum);
}

function readHead(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    return head.subarray(0, readSync(fd, head, 0, SNIFF_BYTES, 0));
  } finally {
    closeSync(fd);
  }
}

/** A frame's measurements, its bytes when they were loaded, and its standard JPEG (being encoded) when it decoded. */
interface Inspected {
  inspection: Inspection;
  bytes?: Buffer;
  jpeg?: Promise<Buffer>;
}

/** Measures a frame, running only the checks that can and should run. */
async function inspect(file: string, config: ResolvedConfig): Promise<Inspected> {
  const { size } = statSync(file);
  // An oversized file is never loaded (see sha256Of).
  const bytes = size <= config.maxBytes ? readFileSync(file) : undefined;
  const inspection: Inspection = { bytes: size, format: sniffFormat(bytes ?? readHead(file)) };
  if (!formatAccepted(inspection.format, config)) return { inspection, bytes };
  inspection.header = await readDimensions(bytes ?? file);
  if (!bytes || !shouldDecode(inspection, config)) return { inspection, bytes };
  const image = await standardise(bytes, config);
  if ('error' in image) {
    inspection.decode = image;
    return { inspection, bytes };
  }
  // The JPEG is encoded on libvips' thread while the contrast is measured on this one; a frame
  // that then fails a check drops it.
  const jpeg = encodeJpeg(image, config.jpegQuality);
  jpeg.catch(() => {}); // awaited (and its failure reported) only for a valid frame
  inspection.decode = { lumaStdDev: lumaStdDev(image.pixels, image.channels) };
  return { inspection, bytes, jpeg };
}

/** The sha256 a rejection's lineage records; an oversized file is hashed as a stream. Valid frames skip it: their lineage is the output commit's. */
async function sha256Of(file: string, bytes: Buffer | undefined): Promise<string> {
  return bytes ? sha256(bytes) : sha256File(file);
}

/** Writes one output; a failure is the step's own, reported with the path. */
function write(run: Run, path: string, data: Uint8Array | object): void {
  const target = join(run.out, path);
  try {
    if (data instanceof Uint8Array) writeOutput(target, data);
    else writeJsonOutput(target, data);
  } catch (e) {
    throw new VigilError(`cannot write the output ${target}: ${(e as Error).message}`);
  }
}

async function validateFile(run: Run, file: InputFile): Promise<void> {
  const { inspection, bytes, jpeg } = await inspect(file.path, run.config);
  const verdict = judge(file.repoPath, inspection, run.config, new Date());
  if (verdict.valid) {
    // judge passes a frame only once it decoded, so its JPEG is there.
    write(run, validFramePath(verdict.frame), await jpeg!);
    return;
  }
  const digest = await sha256Of(file.path, bytes);
  const input = fileRef(file, { sha256: digest, size: inspection.bytes });
  write(run, rejectedPath(verdict.frame, digest), rejectionRecord(input, verdict.frame, verdict.reasons, run.configVersion));
}

export async function main(): Promise<void> {
  useAtomicFullCollections();
  const config = await loadConfig();
  const version = configVersion(config);
  await forEachDatum(async ({ env }) => {
    const run: Run = { config, configVersion: version, out: outDir(env) };
    for (const file of ownedFiles(datumInput(env, REPOS.raw))) await validateFile(run, file);
  });
}
