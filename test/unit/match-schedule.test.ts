import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneClock, clockFor } from '../../src/contract/zone-clock.js';
import { parseSchedule, scheduleContains, type Schedule } from '../../steps/match/schedule.js';

function schedule(...windows: string[]): Schedule {
  const s = parseSchedule(windows);
  if ('errors' in s) throw new Error(s.errors.map((e) => e.message).join('; '));
  return s;
}

function wallClock(utc: string, timeZone: string) {
  return clockFor(timeZone).local(new Date(utc));
}

/** Whether the schedule is active at a UTC instant, read in `timeZone`. */
function activeAt(s: Schedule, utc: string, timeZone: string): boolean {
  return scheduleContains(s, wallClock(utc, timeZone).minuteOfWeek);
}

test('a window crossing midnight belongs to the day it starts', () => {
  const nights = schedule('mon-fri 18:00-07:00');
  const utc = (local: string) => activeAt(nights, local, 'UTC');
  assert.equal(utc('2026-11-23T17:59:00Z'), false); // Monday 17:59
  assert.equal(utc('2026-11-23T18:00:00Z'), true); // Monday 18:00
  assert.equal(utc('2026-11-24T06:59:59Z'), true); // Tuesday 06:59, Monday's night
  assert.equal(utc('2026-11-24T07:00:00Z'), false); // the end is exclusive
  assert.equal(utc('2026-11-28T06:00:00Z'), true); // Saturday 06:00: Friday's night
  assert.equal(utc('2026-11-28T18:00:00Z'), false); // Saturday evening: no window starts on Saturday
  assert.equal(utc('2026-11-23T06:00:00Z'), false); // Monday 06:00 would be Sunday's night, and Sunday is not listed
});

test('windows wrap the week, whole days and day lists work', () => {
  const sundayNight = schedule('sun 22:00-02:00');
  assert.equal(activeAt(sundayNight, '2026-11-29T23:00:00Z', 'UTC'), true); // Sunday 23:00
  assert.equal(activeAt(sundayNight, '2026-11-30T01:59:00Z', 'UTC'), true); // Monday 01:59
  assert.equal(activeAt(sundayNight, '2026-11-30T02:00:00Z', 'UTC'), false);
  const weekend = schedule('sat-sun 00:00-24:00');
  assert.equal(activeAt(weekend, '2026-11-28T00:00:00Z', 'UTC'), true);
  assert.equal(activeAt(weekend, '2026-11-29T23:59:59Z', 'UTC'), true);
  assert.equal(activeAt(weekend, '2026-11-30T00:00:00Z', 'UTC'), false);
  const listed = schedule('mon,wed,fri-sat 09:00-10:00');
  assert.deepEqual(
    ['23', '24', '25', '26', '27', '28', '29'].map((d) => activeAt(listed, `2026-11-${d}T09:30:00Z`, 'UTC')),
    [true, false, true, false, true, true, false],
  );
});

test('the same wall-clock window follows New York across the spring change (2026-03-08)', () => {
  const nights = schedule('mon-fri 18:00-07:00');
  // 11:30 UTC is 06:30 EST on Monday 2 March (inside), but 07:30 EDT on Monday 9 March (outside).
  assert.equal(activeAt(nights, '2026-03-03T11:30:00Z', 'America/New_York'), true);
  assert.equal(activeAt(nights, '2026-03-10T11:30:00Z', 'America/New_York'), false);
  assert.equal(activeAt(nights, '2026-03-10T10:30:00Z', 'America/New_York'), true); // 06:30 EDT
  // On the change itself 02:00-03:00 never happens on the wall: 06:59Z is 01:59 EST, 07:00Z is 03:00 EDT.
  const skipped = schedule('sun 02:00-03:00');
  assert.equal(activeAt(skipped, '2026-03-08T06:59:00Z', 'America/New_York'), false);
  assert.equal(activeAt(skipped, '2026-03-08T07:00:00Z', 'America/New_York'), false);
  assert.equal(wallClock('2026-03-08T06:59:00Z', 'America/New_York').iso, '2026-03-08T01:59:00-05:00');
  assert.equal(wallClock('2026-03-08T07:00:00Z', 'America/New_York').iso, '2026-03-08T03:00:00-04:00');
});

test('the autumn change (2026-11-01): the repeated hour is inside the window both times', () => {
  const early = schedule('sun 01:00-02:00');
  assert.equal(activeAt(early, '2026-11-01T04:59:00Z', 'America/New_York'), false); // 00:59 EDT
  assert.equal(activeAt(early, '2026-11-01T05:30:00Z', 'America/New_York'), true); // 01:30 EDT
  assert.equal(activeAt(early, '2026-11-01T06:30:00Z', 'America/New_York'), true); // 01:30 EST, again
  assert.equal(activeAt(early, '2026-11-01T07:00:00Z', 'America/New_York'), false); // 02:00 EST
  assert.equal(wallClock('2026-11-01T05:30:00Z', 'America/New_York').iso, '2026-11-01T01:30:00-04:00');
  assert.equal(wallClock('2026-11-01T06:30:00Z', 'America/New_York').iso, '2026-11-01T01:30:00-05:00');
  // A night window over the change is still 18:00 to 07:00 on the wall: 11:59Z is 06:59 EST.
  const nights = schedule('sat 18:00-07:00');
  assert.equal(activeAt(nights, '2026-11-01T11:59:00Z', 'America/New_York'), true);
  assert.equal(activeAt(nights, '2026-11-01T12:00:00Z', 'America/New_York'), false);
});

test('local time keeps milliseconds and half-hour offsets', () => {
  assert.equal(wallClock('2026-11-26T04:15:00.250Z', 'Asia/Kolkata').iso, '2026-11-26T09:45:00.250+05:30');
  assert.equal(wallClock('2026-11-26T04:15:00Z', 'UTC').iso, '2026-11-26T04:15:00+00:00');
});

test('the cached offsets agree with Intl at every transition of 2026, to the millisecond, and on a dense sample', () => {
  const zones = { 'America/New_York': 2, 'Europe/Berlin': 2, 'Australia/Lord_Howe': 2, 'America/St_Johns': 2, 'Asia/Kathmandu': 0 };
  const start = Date.UTC(2026, 0, 1);
  const end = Date.UTC(2027, 0, 1);
  const [second, minute, quarter, day] = [1000, 60_000, 15 * 60_000, 86_400_000];
  for (const [timeZone, transitionCount] of Object.entries(zones)) {
    // An independent reading of the wall clock: Swedish dates are ISO-like, longOffset gives GMT+hh:mm.
    const wall = new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' });
    const offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    const offset = (ms: number) => {
      const name = offsetFormat
        .formatToParts(ms)
        .find((p) => p.type === 'timeZoneName')!
        .value.replace('\u2212', '-');
      return name === 'GMT' ? '+00:00' : name.slice(3);
    };
    // Every change of offset in the year: found a day apart, then bisected to its first millisecond.
    const transitions: number[] = [];
    for (let ms = start; ms < end; ms += day) {
      let [before, after] = [ms, ms + day];
      if (offset(before) === offset(after)) continue;
      while (after - before > 1) {
        const mid = Math.floor((before + after) / 2);
        if (offset(mid) === offset(before)) before = mid;
        else after = mid;
      }
      transitions.push(after);
    }
    assert.equal(transitions.length, transitionCount, `${timeZone}: ${transitions.map((t) => new Date(t).toISOString())}`);
    const aroundTransitions = transitions.flatMap((t) =>
      [-quarter, -minute, -second, -1, 0, 1, second, minute, quarter - 1, quarter].map((d) => t + d),
    );
    // Odd, so the sampled instants fall everywhere inside the quarter hours and the days.
    const sample = Array.from(
      { length: Math.floor((end - start) / (6 * 3_600_000 + 17 * minute + 13 * second)) },
      (_, i) => start + i * (6 * 3_600_000 + 17 * minute + 13 * second),
    );
    const clock = new ZoneClock(timeZone);
    for (const ms of [...aroundTransitions, ...sample]) {
      const expected = wall.format(ms).replace(' ', 'T') + offset(ms);
      const actual = clock.local(new Date(ms)).iso.replace(/\.\d{3}(?=[+-])/, '');
      if (actual !== expected) assert.fail(`${timeZone} at ${new Date(ms).toISOString()}: ${actual}, Intl says ${expected}`);
    }
  }
});

test('bad windows are reported one by one with how to write them', () => {
  const bad = parseSchedule([
    'mon-fri 18:00-07:00',
    'weekdays 9:00-17:00',
    'mon-fry 18:00-07:00',
    'mon 25:00-26:00',
    'tue 07:00-07:00',
    'wed 09:00-24:30',
  ]);
  assert.ok('errors' in bad);
  assert.deepEqual(
    bad.errors.map((e) => e.index),
    [1, 2, 3, 4, 5],
  );
  assert.match(bad.errors[0].message, /is not a weekly window; write "<days> HH:MM-HH:MM"/);
  assert.match(bad.errors[1].message, /"mon-fry" is not a day or day range; days are mon, tue/);
  assert.match(bad.errors[2].message, /start 25:00 is not a time of day/);
  assert.match(bad.errors[3].message, /is empty .* 00:00-24:00/);
  assert.match(bad.errors[4].message, /end 24:30 is not a time of day/);
});
