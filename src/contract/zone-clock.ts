/**
 * The wall clock of a device's IANA time zone (subscriptions.yaml names it): the rules' weekly
 * schedules are read on it, and a camera's EXIF times, which carry no zone, are read back from
 * it. Intl (the runtime's tz database) does the work, so daylight-saving changes need no code.
 */

export const MINUTES_PER_DAY = 24 * 60;

/** The wall clock of one instant in one time zone. */
export interface LocalTime {
  /** Minutes since Monday 00:00 on the wall clock. */
  minuteOfWeek: number;
  /** ISO 8601 with the zone's offset at that instant, e.g. 2026-11-25T23:15:00-05:00. */
  iso: string;
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

  /**
   * The instant at which this zone's clocks showed `wall` (its fields read as UTC). In a repeated
   * hour (clocks set back) the first of the two instants; in a skipped hour, the instant the
   * offset before the change gives.
   */
  instantOf(wall: Date): Date {
    const guess = wall.getTime();
    const first = guess - this.offsetAt(guess) * 60_000;
    const second = guess - this.offsetAt(first) * 60_000;
    return new Date(Math.min(first, second));
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
