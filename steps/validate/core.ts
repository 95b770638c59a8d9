/**
 * The validate step's decisions, without I/O: what a frame's bytes are, which checks can run,
 * which fail, and where the result goes. The shell (main.ts) gathers the measurements.
 */
import type { FileRef, Rejection, RejectionReason } from '../../specs/index.js';
import { FRAME_EXTENSIONS, FRAME_PATH_MAX_BYTES, parseFramePath, type FramePath } from '../../src/contract/frame-path.js';
import type { Format } from '../../src/contract/image-format.js';
import { rejectionPath, unparsedRejectionPath } from '../../src/contract/repos.js';
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

const NAME_LIMIT = `/<user>-<device>/<ts>.<${FRAME_EXTENSIONS.join('|')}>`;

/** The name check: the frame's parsed path (null when unparseable) and the failure, if any. */
export function checkName(path: string, config: ResolvedConfig, now: Date): { frame: FramePath | null; reason?: RejectionReason } {
  const frame = parseFramePath(path);
  const bytes = Buffer.byteLength(path);
  if (bytes > FRAME_PATH_MAX_BYTES) {
    const message = `The path is ${bytes} bytes long; a frame's path is at most ${FRAME_PATH_MAX_BYTES} bytes (${NAME_LIMIT}).`;
    return { frame: 'error' in frame ? null : frame, reason: { code: 'name', message, measured: bytes, limit: FRAME_PATH_MAX_BYTES } };
  }
  if ('error' in frame) {
    return { frame: null, reason: { code: 'name', message: `Not a frame name: ${frame.error}.`, measured: path, limit: NAME_LIMIT } };
  }
  if (!(FRAME_EXTENSIONS as readonly string[]).includes(frame.ext)) {
    const message = `The extension ".${frame.ext}" is not a frame's (${FRAME_EXTENSIONS.join(', ')}).`;
    return { frame, reason: { code: 'name', message, measured: path, limit: NAME_LIMIT } };
  }
  const reason = captureTimeReason(frame.capturedAt, config, now);
  return reason ? { frame, reason } : { frame };
}

/** Why a capture time cannot be a working camera's, if it cannot: too early, too old (when limited) or ahead of `now`. */
function captureTimeReason(capturedAt: Date, config: ResolvedConfig, now: Date): RejectionReason | undefined {
  const at = capturedAt.toISOString();
  const floor = new Date(config.minCapturedAt);
  if (capturedAt < floor) {
    const message = `The capture time ${at} is before ${floor.toISOString()}: no working camera clock gives it (a reset clock does).`;
    return { code: 'name', message, measured: at, limit: floor.toISOString() };
  }
  const ageSeconds = Math.round((now.getTime() - capturedAt.getTime()) / 1000);
  if (config.maxAgeSeconds !== null && ageSeconds > config.maxAgeSeconds) {
    const message = `The capture time ${at} is ${ageSeconds} s old; at most ${config.maxAgeSeconds} s is allowed.`;
    return { code: 'name', message, measured: ageSeconds, limit: config.maxAgeSeconds };
  }
  if (-ageSeconds > config.maxFutureSeconds) {
    const message = `The capture time ${at} is ${-ageSeconds} s in the future; at most ${config.maxFutureSeconds} s is allowed.`;
    return { code: 'name', message, measured: -ageSeconds, limit: config.maxFutureSeconds };
  }
  return undefined;
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

/** Where the rejection of the raw file `rawPath` goes: beside its camera's, or under `_unparsed/` by its path when the path names no frame. */
export function rejectedPath(frame: FramePath | null, rawPath: string): string {
  return frame ? rejectionPath(frame) : unparsedRejectionPath(rawPath);
}

/**
 * The keep rule, for the raw files of one frame (same camera and capture time, several
 * extensions): a valid file before a rejected one, then by extension in the order of
 * FRAME_EXTENSIONS (any other after them), then by path, code unit by code unit. A person can
 * tell which file is kept from the files and their verdicts alone.
 */
export function keepOrder(a: { path: string; valid: boolean }, b: { path: string; valid: boolean }): number {
  if (a.valid !== b.valid) return a.valid ? -1 : 1;
  const rank = (path: string) => {
    const i = (FRAME_EXTENSIONS as readonly string[]).indexOf(path.slice(path.lastIndexOf('.') + 1).toLowerCase());
    return i < 0 ? FRAME_EXTENSIONS.length : i;
  };
  return rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/** Why `path` is not the frame: `kept`, another file of the same frame, was kept by the keep rule. */
export function duplicateReason(path: string, kept: string, frame: FramePath): RejectionReason {
  const message =
    `${path} and ${kept} are one frame (${frame.source} at ${frame.capturedAt.toISOString()}), and ${kept} was kept: ` +
    `a valid file first, then by extension (${FRAME_EXTENSIONS.join(', ')}), then by name.`;
  return { code: 'duplicate', message, measured: path, limit: kept };
}

/**
 * The datum's files by frame: the paths that name one camera and capture time together (in the
 * order first seen), every other path alone. Each group is decided as one: one outcome for the
 * frame, a duplicate rejection for each other file.
 */
export function frameGroups<T extends { repoPath: string }>(files: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const file of files) {
    const frame = parseFramePath(file.repoPath);
    const key = 'error' in frame ? `\0${file.repoPath}` : `${frame.source}/${frame.ts}`;
    const group = groups.get(key);
    if (group) group.push(file);
    else groups.set(key, [file]);
  }
  return [...groups.values()];
}

export function rejectionRecord(input: FileRef, frame: FramePath | null, reasons: Rejection['reasons'], configVersion: string): Rejection {
  const who = frame ? { user: frame.user, device: frame.device, capturedAt: frame.capturedAt.toISOString() } : {};
  return { ...who, input, reasons, configVersion };
}

/**
 * Whether the datum owns the files it shows (pipelines/validated.yaml). Every datum owns its
 * files but one matched by the root glob `/*.*` that is a folder: a camera folder whose name has
 * a dot, whose files are datums of their own.
 */
export function ownsFiles(datumPath: string, isDirectory: boolean): boolean {
  return !isDirectory || datumPath.split('/').filter(Boolean).length >= 2;
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
