/**
 * The validate step's decisions, without I/O: what a frame's bytes are, which checks can run,
 * which fail, and where the result goes. The shell (main.ts) gathers the measurements.
 */
import type { FileRef, Rejection, RejectionReason } from '../../specs/index.js';
import { parseFramePath, type FramePath } from '../../src/contract/frame-path.js';
import { VALIDATED_FOLDERS, rejectionPath } from '../../src/contract/repos.js';
import { FRAME_EXTENSIONS, type Format } from '../../src/contract/image-format.js';
import type { ResolvedConfig } from './config.js';

export interface Dimensions {
  width: number;
  height: number;
}

/** What the shell measured of one frame; a measurement is absent when its check could not run. */
export interface Inspection {
  /** File size in bytes. */
  bytes: number;
  format: Format | null;
  /** Width and height from the header, or why the header is unreadable. Read only for an accepted format. */
  header?: Dimensions | { error: string };
  /**
   * The full decode into the standard form (see shouldDecode): the luma spread of that image,
   * or why decoding failed.
   */
  decode?: { lumaStdDev: number } | { error: string };
}

export function formatAccepted(format: Format | null, config: ResolvedConfig): boolean {
  return format !== null && (config.formats as string[]).includes(format);
}

/**
 * Whether to decode the whole frame: only an accepted format with a readable header, and never
 * a file over the size limit or a side over the maximum (a decompression bomb costs memory and
 * time before it fails). Their decode and contrast checks are then not reported.
 */
export function shouldDecode(i: Inspection, config: ResolvedConfig): boolean {
  if (!formatAccepted(i.format, config) || i.bytes > config.maxBytes) return false;
  if (!i.header || 'error' in i.header) return false;
  return i.header.width <= config.maxSide && i.header.height <= config.maxSide;
}

/** The name check: the frame's parsed path (null when unparseable) and the failure, if any. */
export function checkName(path: string, config: ResolvedConfig, now: Date): { frame: FramePath | null; reason?: RejectionReason } {
  const limit = `/<user>-<device>/<ts>.<${FRAME_EXTENSIONS.join('|')}>`;
  const parsed = parseFramePath(path);
  if ('error' in parsed) {
    return { frame: null, reason: { code: 'name', message: `Not a frame name: ${parsed.error}.`, measured: path, limit } };
  }
  if (!FRAME_EXTENSIONS.includes(parsed.ext)) {
    const message = `The extension ".${parsed.ext}" is not a frame's (${FRAME_EXTENSIONS.join(', ')}).`;
    return { frame: parsed, reason: { code: 'name', message, measured: path, limit } };
  }
  const aheadSeconds = Math.round((parsed.capturedAt.getTime() - now.getTime()) / 1000);
  if (aheadSeconds > config.maxFutureSeconds) {
    const message = `The capture time ${parsed.capturedAt.toISOString()} is ${aheadSeconds} s in the future; at most ${config.maxFutureSeconds} s is allowed.`;
    return { frame: parsed, reason: { code: 'name', message, measured: aheadSeconds, limit: config.maxFutureSeconds } };
  }
  return { frame: parsed };
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Every failing check but the name's, in the order of the issue's table. */
function contentReasons(i: Inspection, config: ResolvedConfig): RejectionReason[] {
  const reasons: RejectionReason[] = [];
  const accepted = config.formats.join(', ');
  if (!formatAccepted(i.format, config)) {
    const what = i.format ? i.format.toUpperCase() : 'no known image format';
    reasons.push({
      code: 'format',
      message: `The bytes are ${what}, not one of ${accepted}.`,
      measured: i.format ?? 'unknown',
      limit: accepted,
    });
  }
  const decodeError = i.header && 'error' in i.header ? i.header.error : i.decode && 'error' in i.decode ? i.decode.error : undefined;
  if (decodeError !== undefined) {
    reasons.push({ code: 'decode', message: `The image does not decode: ${decodeError}.`, measured: decodeError });
  }
  if (i.header && !('error' in i.header)) {
    const { width, height } = i.header;
    if (Math.min(width, height) < config.minSide || Math.max(width, height) > config.maxSide) {
      const range = `${config.minSide}..${config.maxSide}`;
      reasons.push({
        code: 'resolution',
        message: `The frame is ${width}x${height} px, outside ${range} px per side.`,
        measured: `${width}x${height}`,
        limit: range,
      });
    }
  }
  if (i.bytes > config.maxBytes) {
    reasons.push({
      code: 'size',
      message: `The file is ${mib(i.bytes)}, over the ${mib(config.maxBytes)} limit.`,
      measured: i.bytes,
      limit: config.maxBytes,
    });
  }
  if (i.decode && 'lumaStdDev' in i.decode && i.decode.lumaStdDev < config.minLumaStdDev) {
    const measured = Number(i.decode.lumaStdDev.toFixed(2));
    const message = `The luma standard deviation is ${measured}, below ${config.minLumaStdDev}: a black, white or covered lens.`;
    reasons.push({ code: 'contrast', message, measured, limit: config.minLumaStdDev });
  }
  return reasons;
}

export type Verdict = { valid: true; frame: FramePath } | { valid: false; frame: FramePath | null; reasons: Rejection['reasons'] };

/** Judges one frame by its repo path and measurements: valid, or every failing check. */
export function judge(path: string, i: Inspection, config: ResolvedConfig, now: Date): Verdict {
  const { frame, reason } = checkName(path, config, now);
  const [first, ...rest] = [...(reason ? [reason] : []), ...contentReasons(i, config)];
  if (first) return { valid: false, frame, reasons: [first, ...rest] };
  // No failure means the name parsed and the frame decoded: every check skipped above
  // (decode after a refused format, size or resolution) was skipped for a reason listed.
  return { valid: true, frame: frame! };
}

/** Where a rejection goes: beside its camera's, or under `_unparsed/` by content when the path says no camera. */
export function rejectedPath(frame: FramePath | null, sha256: string): string {
  return frame ? rejectionPath(frame) : `/${VALIDATED_FOLDERS.rejected}/_unparsed/${sha256}.json`;
}

export function rejectionRecord(input: FileRef, frame: FramePath | null, reasons: Rejection['reasons'], configVersion: string): Rejection {
  const who = frame ? { user: frame.user, device: frame.device, capturedAt: frame.capturedAt.toISOString() } : {};
  return { ...who, input, reasons, configVersion };
}

/**
 * Which files of a datum this step owns. The pipeline's input is the union of `/*\/*` (one
 * datum per frame) and `/*.*` (files at the repo root). A file datum is itself. A folder at
 * depth 2 holds files nested too deep, which no glob gives alone: all are its. A folder at
 * depth 1 (a root name with a dot) owns nothing: its files are `/*\/*` datums of their own.
 */
export function datumScope(datumPath: string, isDirectory: boolean): 'self' | 'below' | 'none' {
  if (!isDirectory) return 'self';
  return datumPath.split('/').filter(Boolean).length >= 2 ? 'below' : 'none';
}

/** Standard deviation of Rec. 601 luma over interleaved 8-bit pixels (grey, or RGB first). */
export function lumaStdDev(pixels: Uint8Array, channels: number): number {
  const n = Math.floor(pixels.length / channels);
  if (n === 0) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let p = 0; p < pixels.length; p += channels) {
    const y = channels >= 3 ? 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2] : pixels[p];
    sum += y;
    sumSq += y * y;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sumSq / n - mean * mean));
}
