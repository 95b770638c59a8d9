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
import type { Rejection } from '../../specs/index.js';
import { REPOS, duplicateRejectionPath, validFramePath } from '../../src/contract/repos.js';
import { VigilError } from '../../src/pfs/errors.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { sha256, sha256File, writeJsonOutput, writeOutput } from '../../src/pfs/files.js';
import { datumInput, groupedInput, inputFiles, type InputFile } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { useAtomicFullCollections } from '../../src/pfs/gc.js';
import { SNIFF_BYTES, sniffFormat } from '../../src/contract/image-format.js';
import { configVersion, loadConfig, type ResolvedConfig } from './config.js';
import {
  duplicateReason,
  formatAccepted,
  frameGroups,
  judge,
  keepOrder,
  lumaStdDev,
  ownsFiles,
  rejectedPath,
  rejectionRecord,
  shouldDecode,
  type Inspection,
  type Verdict,
} from './core.js';
import { encodeJpeg, readDimensions, standardise } from './image.js';

interface Run {
  config: ResolvedConfig;
  configVersion: string;
  out: string;
  /** The clock capture times are judged against: one reading per datum. */
  now: Date;
}

/**
 * The files this datum must judge. A datum is one path of `raw`, or a group of paths that name
 * one frame with several extensions (pipelines/validated.yaml): its files are whatever lies under
 * `$PFS_ROOT/raw`, since `$raw` names only one path of a group.
 */
function ownedFiles(env: Record<string, string>): InputFile[] {
  const anchor = datumInput(env, REPOS.raw);
  return ownsFiles(anchor.repoPath, statSync(anchor.path).isDirectory()) ? inputFiles(groupedInput(env, REPOS.raw)) : [];
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

/** A file of the datum, measured and judged. */
interface Judged extends Inspected {
  file: InputFile;
  verdict: Verdict;
}

async function judgeFile(run: Run, file: InputFile): Promise<Judged> {
  const inspected = await inspect(file.path, run.config);
  return { file, ...inspected, verdict: judge(file.repoPath, inspected.inspection, run.config, run.now) };
}

/** Writes a rejection of `judged` with `reasons`, at `path`. */
async function writeRejection(run: Run, judged: Judged, path: string, reasons: Rejection['reasons']): Promise<void> {
  const { file, inspection, bytes, verdict } = judged;
  const input = fileRef(file, { sha256: await sha256Of(file.path, bytes), size: inspection.bytes });
  write(run, path, rejectionRecord(input, verdict.frame, reasons, run.configVersion));
}

/**
 * Decides the raw files of one frame (nearly always one file; see frameGroups): the file the keep
 * rule puts first becomes the frame's JPEG or rejection, every other a duplicate rejection that
 * names the kept file, besides its own failures.
 */
async function validateFrame(run: Run, files: InputFile[]): Promise<void> {
  const judged: Judged[] = [];
  for (const file of files) judged.push(await judgeFile(run, file));
  const order = (j: Judged) => ({ path: j.file.repoPath, valid: j.verdict.valid });
  judged.sort((a, b) => keepOrder(order(a), order(b)));
  const kept = judged[0]!;
  const { verdict } = kept;
  // judge passes a frame only once it decoded, so its JPEG is there.
  if (verdict.valid) write(run, validFramePath(verdict.frame), await kept.jpeg!);
  else await writeRejection(run, kept, rejectedPath(verdict.frame, kept.file.repoPath), verdict.reasons);
  for (const other of judged.slice(1)) {
    const { file, verdict: own } = other;
    // Files are grouped only when their paths parse to one frame, so these have a frame and a duplicate path.
    const duplicate = duplicateReason(file.repoPath, kept.file.repoPath, own.frame!);
    await writeRejection(run, other, duplicateRejectionPath(file.repoPath)!, own.valid ? [duplicate] : [...own.reasons, duplicate]);
  }
}

export async function main(): Promise<void> {
  useAtomicFullCollections();
  const config = await loadConfig();
  const version = configVersion(config);
  await forEachDatum(async ({ env }) => {
    const run: Run = { config, configVersion: version, out: outDir(env), now: new Date() };
    for (const files of frameGroups(ownedFiles(env))) await validateFrame(run, files);
  });
}
