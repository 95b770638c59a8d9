/**
 * Weekly windows ("mon-fri 18:00-07:00") read in a device's IANA time zone. Local wall time
 * comes from Intl (the runtime's tz database), so daylight-saving changes need no code here:
 * a window is about the clock on the wall, whatever the offset that day.
 */
import { MINUTES_PER_DAY } from '../../src/contract/zone-clock.js';

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** A compiled schedule: half-open [start, end) ranges of minutes since Monday 00:00, sorted. */
export interface Schedule {
  starts: Int32Array;
  ends: Int32Array;
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
