/**
 * Cron schedules as Pachyderm reads a cron input's `spec` (src/internal/cronutil/cronutil.go,
 * ParseCronExpression: robfig/cron's ParseStandard plus `@never`): five fields (minute, hour,
 * day of month, month, day of week; `*`, lists, ranges, steps, month and day names), the
 * descriptors @yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly, `@every <Go
 * duration>` and @never. Times are UTC. A restricted day of month and day of week match when
 * either does (robfig's rule, from Vixie cron).
 */
import { VigilError } from '../../pfs/errors.js';

export interface Schedule {
  /** The first tick strictly after `after`; null for @never. */
  next(after: Date): Date | null;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  min: number;
  max: number;
  names?: string[];
  /** The first name's number (1 for months). */
  nameBase?: number;
}
const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 6, names: DAYS, nameBase: 0 },
];

/** A Go duration (`1h30m`, `90s`, `500ms`) in milliseconds; null if it is not one. */
export function parseGoDuration(text: string): number | null {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return null;
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]!]!, 0);
}

function parseField(text: string, field: Field, where: string): Set<number> {
  const values = new Set<number>();
  const number = (s: string): number => {
    const named = field.names?.indexOf(s.toLowerCase()) ?? -1;
    const n = named >= 0 ? named + field.nameBase! : /^\d+$/.test(s) ? Number(s) : Number.NaN;
    if (Number.isNaN(n) || n < field.min || n > field.max)
      throw new VigilError(`${where}: "${s}" is out of range ${field.min}-${field.max}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new VigilError(`${where}: "${part}" has a bad step`);
    let [lo, hi] = [field.min, field.max];
    if (range !== '*' && range !== '?') {
      const [a, b] = range!.split('-');
      lo = number(a!);
      hi = b === undefined ? (stepText === undefined ? lo : field.max) : number(b);
    }
    if (lo > hi) throw new VigilError(`${where}: "${part}" runs backwards`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

/** Parses a cron input's spec; VigilError naming `where` when it is not one. */
export function parseCronSpec(spec: string, where: string): Schedule {
  const text = spec.trim();
  if (text === '@never') return { next: () => null };
  if (text.startsWith('@every ')) {
    const ms = parseGoDuration(text.slice('@every '.length).trim());
    if (ms === null || ms < 1000) throw new VigilError(`${where}: "${spec}" needs a duration of at least 1s, e.g. @every 1m`);
    // robfig/cron's ConstantDelaySchedule: whole seconds after the last tick.
    return { next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + Math.ceil(ms / 1000) * 1000) };
  }
  const fields = (DESCRIPTORS[text] ?? text).split(/\s+/);
  if (fields.length !== 5)
    throw new VigilError(
      `${where}: "${spec}" is not a cron spec: give 5 fields (minute hour day-of-month month day-of-week) or a descriptor such as @hourly or @every 5m`,
    );
  const [minutes, hours, days, months, weekdays] = fields.map((f, i) => parseField(f, FIELDS[i]!, `${where}: "${spec}"`));
  const dayStar = fields[2]!.startsWith('*') || fields[4]!.startsWith('*');
  const dayMatches = (d: Date) =>
    dayStar ? days!.has(d.getUTCDate()) && weekdays!.has(d.getUTCDay()) : days!.has(d.getUTCDate()) || weekdays!.has(d.getUTCDay());
  return {
    next(after) {
      const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      // Five years covers every valid spec (29 February included).
      for (const limit = t.getTime() + 5 * 366 * 86_400_000; t.getTime() < limit; ) {
        if (!months!.has(t.getUTCMonth() + 1) || !dayMatches(t)) {
          t.setUTCHours(24, 0, 0, 0);
        } else if (!hours!.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        } else if (!minutes!.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        } else {
          return t;
        }
      }
      return null;
    },
  };
}
