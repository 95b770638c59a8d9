/**
 * Frame paths as the architecture fixes them: `/<user>-<device>/<ts>.<ext>`, with `<ts>` the
 * UTC capture time in ISO 8601 basic form, `YYYYMMDDTHHMMSS[.mmm]Z`.
 */

/** A user or a device name, the two halves of `<user>-<device>`. */
export const NAME_PATTERN = '[A-Za-z0-9_]{1,64}';
/** A basic-form UTC timestamp as written in names, without capture groups. */
export const TIMESTAMP_PATTERN = '[0-9]{8}T[0-9]{6}(?:\\.[0-9]{3})?Z';
/** The extensions a frame's file may have, lower-case (any case is accepted). */
export const FRAME_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp'] as const;
/**
 * The longest path a frame can have, in bytes (all ASCII): `/`, a 64-character user, `-`, a
 * 64-character device, `/`, a timestamp with milliseconds (20), `.` and the longest extension.
 */
export const FRAME_PATH_MAX_BYTES =
  1 + 64 + 1 + 64 + 1 + 'YYYYMMDDTHHMMSS.mmmZ'.length + 1 + Math.max(...FRAME_EXTENSIONS.map((e) => e.length));

const SOURCE_RE = new RegExp(`^(${NAME_PATTERN})-(${NAME_PATTERN})$`);
const TS_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z$/;

export interface FramePath {
  user: string;
  device: string;
  /** `<user>-<device>`: the folder every repo keeps a camera's records under. */
  source: string;
  /** The timestamp exactly as written in the file name. */
  ts: string;
  capturedAt: Date;
  /** The extension, lower-cased, without the dot. */
  ext: string;
}

/** Parses `<user>-<device>`, or returns a reason it cannot. */
export function parseSource(source: string): { user: string; device: string } | { error: string } {
  const m = SOURCE_RE.exec(source);
  if (!m) return { error: `"${source}" is not <user>-<device> (each [A-Za-z0-9_]{1,64})` };
  return { user: m[1], device: m[2] };
}

/** Parses a basic-form UTC timestamp into a Date, or returns a reason it cannot. */
export function parseTimestamp(ts: string): Date | { error: string } {
  const m = TS_RE.exec(ts);
  if (!m) return { error: `"${ts}" is not a UTC timestamp YYYYMMDDTHHMMSS[.mmm]Z` };
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  // Date.UTC rolls 20260230 over into March; a real instant must read back the same.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return { error: `"${ts}" is not a real date and time` };
  }
  return date;
}

/** Formats a Date as the basic-form timestamp used in file names (milliseconds only when non-zero). */
export function formatTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-26T04:15:00.000Z
  const basic = iso.replace(/[-:]/g, '');
  return basic.endsWith('.000Z') ? `${basic.slice(0, -5)}Z` : basic;
}

/** Parses a frame's repo path (`/u1-cam1/20261126T041500Z.jpg`), or returns every reason it cannot. */
export function parseFramePath(path: string): FramePath | { error: string } {
  const parts = path.replace(/^\/+/, '').split('/');
  if (parts.length !== 2) return { error: `"${path}" is not /<user>-<device>/<ts>.<ext>` };
  const [source, file] = parts;
  const owner = parseSource(source);
  if ('error' in owner) return owner;
  const dot = file.lastIndexOf('.');
  if (dot <= 0 || dot === file.length - 1) return { error: `"${file}" has no extension` };
  const ts = file.slice(0, dot);
  const capturedAt = parseTimestamp(ts);
  if ('error' in capturedAt) return capturedAt;
  return { ...owner, source, ts, capturedAt, ext: file.slice(dot + 1).toLowerCase() };
}
