/**
 * The ingest's decisions, without I/O: whether a frame's path, declared size, bytes and capture
 * time may enter raw, and what a frame already stored at its path means for it. Each refusal is
 * a Refusal naming the reason; the limits are the validate stage's (see FrameLimits).
 */
import { FRAME_EXTENSIONS, formatTimestamp, parseFramePath } from '../contract/frame-path.js';
import { extensionOf, sniffFormat, type Format } from '../contract/image-format.js';
import { REPOS } from '../contract/repos.js';
import { checkPathLength } from '../engine/store/names.js';
import { VigilError } from '../pfs/errors.js';
import { Refusal } from './errors.js';

/**
 * What a frame must satisfy to be taken in: the validate stage's own limits, from its one
 * configuration (specs/validate-config.schema.json), so that the server stops early exactly
 * what validation would reject for these reasons.
 */
export interface FrameLimits {
  /** Largest frame, bytes (validate's maxBytes). */
  maxBytes: number;
  /** Formats taken, by magic bytes (validate's formats). */
  formats: readonly Format[];
  /** The validate stage's verdict on a frame's repo path and capture time at `now`: why it is refused, or null. */
  checkName(path: string, now: Date): string | null;
}

/** A frame's place in raw and its capture time, once its path passed every check. */
export interface FrameTarget {
  source: string;
  path: string;
  capturedAt: Date;
}

/** Checks `/<source>/<file>` as a frame path: the names, the grammar, the extension, then the capture time. */
export function checkFramePath(source: string, file: string, limits: FrameLimits, now: Date): FrameTarget {
  const path = `/${source}/${file}`;
  try {
    checkPathLength(path, REPOS.raw); // the store's own limit, before anything is read
  } catch (e) {
    if (e instanceof VigilError) throw new Refusal('bad_path', e.message);
    throw e;
  }
  const parsed = parseFramePath(path);
  if ('error' in parsed) throw new Refusal('bad_path', `${path} is not /<user>-<device>/<ts>.<ext>: ${parsed.error}`);
  if (!(FRAME_EXTENSIONS as readonly string[]).includes(parsed.ext)) {
    throw new Refusal('bad_path', `${path}: the extension ".${parsed.ext}" is not a frame's (${FRAME_EXTENSIONS.join(', ')})`);
  }
  // The validate stage's own name check: what is left of it is the capture time's limits.
  const refused = limits.checkName(path, now);
  if (refused) throw new Refusal('capture_time', `${path}: ${refused}`);
  return { source, path, capturedAt: parsed.capturedAt };
}

/** Refuses a body over the size limit: declared (Content-Length) before it is read, or counted while it is. */
export function checkSize(bytes: number, limits: FrameLimits): void {
  if (bytes > limits.maxBytes) {
    throw new Refusal('too_large', `the frame is ${bytes} bytes or more, over the limit of ${limits.maxBytes} bytes (validate's maxBytes)`);
  }
}

/** The format of a frame's first bytes, refused unless the pipeline takes it. */
export function checkFormat(head: Uint8Array, limits: FrameLimits): Format {
  const format = sniffFormat(head);
  if (format === null || !limits.formats.includes(format)) {
    throw new Refusal(
      'unsupported_format',
      `the bytes are ${format ? format.toUpperCase() : 'no known image format'}, not one of ${limits.formats.join(', ')} (by their magic numbers)`,
    );
  }
  return format;
}

/** The file name a frame gets when the camera cannot name it: its capture time and the extension of its format. */
export function frameFileName(capturedAt: Date, format: Format): string {
  return `${formatTimestamp(capturedAt)}.${extensionOf(format) ?? format}`;
}

/** What a frame already at the path means for a new one: none, the same bytes (a resend), or another frame. */
export type Existing = 'new' | 'duplicate' | 'conflict';

export function compareWithStored(storedSha256: string | undefined, sha256: string): Existing {
  if (storedSha256 === undefined) return 'new';
  return storedSha256 === sha256 ? 'duplicate' : 'conflict';
}
