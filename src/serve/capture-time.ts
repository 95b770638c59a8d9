/**
 * A frame's capture time when its name does not carry it: the X-Capture-Time header, else the
 * frame's EXIF. EXIF `DateTimeOriginal` is a wall-clock time with no zone: `OffsetTimeOriginal`
 * gives its offset when the camera wrote one, else the camera's time zone (subscriptions.yaml)
 * says what the wall clock meant. Pure: the EXIF fields come read.
 */
import { parseTimestamp } from '../contract/frame-path.js';
import { clockFor } from '../contract/zone-clock.js';
import { Refusal } from './errors.js';

/** ISO 8601 with a zone (`2026-11-26T04:15:00Z`, `…+01:00`), or the basic UTC form of frame names. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The X-Capture-Time header's instant. A time without a zone is refused: it would be guessed. */
export function parseCaptureHeader(value: string): Date {
  const text = value.trim();
  if (ISO_WITH_ZONE.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  } else {
    const basic = parseTimestamp(text);
    if (!('error' in basic)) return basic;
  }
  throw new Refusal(
    'capture_time',
    `X-Capture-Time "${value}" is not a time with its zone (e.g. 2026-11-26T04:15:00Z, 2026-11-26T05:15:00+01:00 or 20261126T041500Z)`,
  );
}

/** The EXIF fields that date a frame, as an EXIF reader gives them. */
export interface ExifTimes {
  /** DateTimeOriginal's wall-clock fields, carried as if they were UTC (as exif-reader returns them). */
  dateTimeOriginal?: Date | null;
  /** OffsetTimeOriginal, e.g. `+09:00`. */
  offsetTimeOriginal?: string | null;
}

const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/** The capture instant EXIF gives, with `timeZone` (IANA) for a wall-clock time without an offset; null when EXIF has no DateTimeOriginal. */
export function exifCaptureTime(exif: ExifTimes, timeZone: string): Date | null {
  const wall = exif.dateTimeOriginal;
  if (!wall || Number.isNaN(wall.getTime())) return null;
  const m = OFFSET.exec(exif.offsetTimeOriginal?.trim() ?? '');
  if (m) {
    const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
    return new Date(wall.getTime() - minutes * 60_000);
  }
  return clockFor(timeZone).instantOf(wall);
}
