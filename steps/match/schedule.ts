/**
 * Weekly windows ("mon-fri 18:00-07:00") read in a device's IANA time zone. Local wall time
 * comes from Intl (the runtime's tz database), so daylight-saving changes need no code here:
 * a window is about the clock on the wall, whatever the offset that day.
 */

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** A compiled schedule: half-open [start, end) ranges of minutes since Monday 00:00, sorted. */
export interface Schedule {
  starts: Int32Array;
  ends: Int32Array;
}

/** The wall clock of one instant in one time zone. */
export interface LocalTime {
  /** Minutes since Monday 00:00 on the wall clock. */
  minuteOfWeek: number;
  /** ISO 8601 with the zone's offset at that instant, e.g. 2026-11-25T23:15:00-05:00. */
  iso: string;
}

const WINDOW_RE = /^(\S+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

function parseDays(spec: string): Set<number> | null {
  const days = new Set<number>();
  for (const part of spec.split(',')) {
    const ends = part.split('-');
    if (ends.length > 2) return null;
    const a = DAY_NAMES.indexOf(ends[0] as (typeof DAY_NAMES)[number]);
    const b = DAY_NAMES.indexOf((ends[1] ?? ends[0]) as (typeof DAY_NAMES)[number]);
    if (a < 0 || b < 0) return null;
    // A range may wrap the week: fri-mon is fri, sat, sun, mon.
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return days;
}

/** Parses one window into minute-of-week ranges, or says what is wrong and how to write it. */
function parseWindow(window: string): Array<[number, number]> | { error: string } {
  const usage = 'write "<days> HH:MM-HH:MM", e.g. "mon-fri 18:00-07:00" or "sat,sun 00:00-24:00"';
  const m = WINDOW_RE.exec(window.trim().toLowerCase());
  if (!m) return { error: `"${window}" is not a weekly window; ${usage}` };
  const days = parseDays(m[1]);
  if (!days) return { error: `"${m[1]}" is not a day or day range; days are ${DAY_NAMES.join(', ')}; ${usage}` };
  const [sh, sm, eh, em] = m.slice(2).map(Number);
  if (sh > 23 || sm > 59) return { error: `"${window}": start ${m[2]}:${m[3]} is not a time of day (00:00-23:59)` };
  if (eh > 24 || em > 59 || (eh === 24 && em > 0)) return { error: `"${window}": end ${m[4]}:${m[5]} is not a time of day (00:00-24:00)` };
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  if (start === end) return { error: `"${window}" is empty (it starts when it ends); for a whole day write 00:00-24:00` };
  // A window ending before it starts crosses midnight and belongs to the day it starts.
  const length = end > start ? end - start : MINUTES_PER_DAY - start + end;
  const ranges: Array<[number, number]> = [];
  for (const day of days) {
    const from = day * MINUTES_PER_DAY + start;
    const to = from + length;
    if (to <= MINUTES_PER_WEEK) ranges.push([from, to]);
    else ranges.push([from, MINUTES_PER_WEEK], [0, to - MINUTES_PER_WEEK]); // Sunday night into Monday
  }
  return ranges;
}

/** Compiles a rule's windows, or returns one error per bad window (by index). */
export function parseSchedule(windows: readonly string[]): Schedule | { errors: Array<{ index: number; message: string }> } {
  const ranges: Array<[number, number]> = [];
  const errors: Array<{ index: number; message: string }> = [];
  windows.forEach((window, index) => {
    const parsed = parseWindow(window);
    if ('error' in parsed) errors.push({ index, message: parsed.error });
    else ranges.push(...parsed);
  });
  if (errors.length) return { errors };
  ranges.sort((a, b) => a[0] - b[0]);
  return { starts: Int32Array.from(ranges, (r) => r[0]), ends: Int32Array.from(ranges, (r) => r[1]) };
}

export function scheduleContains(schedule: Schedule, minuteOfWeek: number): boolean {
  const { starts, ends } = schedule;
  for (let i = 0; i < starts.length && starts[i] <= minuteOfWeek; i++) {
    if (minuteOfWeek < ends[i]) return true;
  }
  return false;
}

const canonicalNames = new Map<string, string | null>();

/** The canonical name of an IANA time zone (America/New_York for america/new_york), or null if the runtime does not know it. */
export function canonicalTimeZone(timeZone: string): string | null {
  let name = canonicalNames.get(timeZone);
  if (name === undefined) {
    try {
      name = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
    } catch {
      name = null;
    }
    // Thousands of devices share a handful of zones; constructing a formatter costs ~50 us.
    canonicalNames.set(timeZone, name);
  }
  return name;
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;
/** Cached quarter hours per zone before the cache starts again: about three years of frames. */
const MAX_CACHED_OFFSETS = 100_000;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The wall clock of one IANA time zone. Asking Intl costs microseconds, so the zone's UTC
 * offset is cached per quarter hour of UTC: transitions fall on quarter hours, and a quarter
 * whose first and last millisecond disagree (a transition inside it) is never cached.
 */
export class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  /** `timeZone`: a canonical name (see canonicalTimeZone). */
  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  /** Minutes east of UTC at `ms`, from Intl. */
  private measure(ms: number): number {
    const f: Record<string, number> = {};
    for (const part of this.format.formatToParts(ms)) if (part.type !== 'literal') f[part.type] = Number(part.value);
    const wallAsUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
    return Math.round((wallAsUtc - (ms - (((ms % 1000) + 1000) % 1000))) / 60000);
  }

  /** Minutes east of UTC at `ms`. */
  offsetAt(ms: number): number {
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    let offset = this.offsets.get(quarter);
    if (offset === undefined) {
      const start = quarter * QUARTER_HOUR_MS;
      offset = this.measure(start);
      if (this.measure(start + QUARTER_HOUR_MS - 1) !== offset) return this.measure(ms);
      if (this.offsets.size >= MAX_CACHED_OFFSETS) this.offsets.clear();
      this.offsets.set(quarter, offset);
    }
    return offset;
  }

  /** The wall clock at `instant`. */
  local(instant: Date): LocalTime {
    const ms = instant.getTime();
    const offset = this.offsetAt(ms);
    // The wall clock, written as if it were UTC, so Date's UTC fields read it out.
    const wall = new Date(ms + offset * 60000);
    const minuteOfWeek = ((wall.getUTCDay() + 6) % 7) * MINUTES_PER_DAY + wall.getUTCHours() * 60 + wall.getUTCMinutes();
    const abs = Math.abs(offset);
    const iso =
      wall.toISOString().slice(0, wall.getUTCMilliseconds() ? 23 : 19) +
      `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    return { minuteOfWeek, iso };
  }
}

const clocks = new Map<string, ZoneClock>();

/** The one clock of a zone, shared by every device in it so its offset cache is too. */
export function clockFor(timeZone: string): ZoneClock {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = new ZoneClock(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock;
}
