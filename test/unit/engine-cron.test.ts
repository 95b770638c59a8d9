/**
 * Cron specs as Pachyderm reads them (src/internal/cronutil/cronutil.go, ParseCronExpression:
 * robfig/cron's ParseStandard plus @never) and the tick a run commits (pps/server/monitor.go,
 * makeCronCommits: the next tick after the latest file's time).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCronSpec, parseGoDuration } from '../../src/engine/pps/cron.js';
import { dueTick, tickName } from '../../src/engine/pps/ticker.js';

const at = (iso: string) => new Date(iso);
const next = (spec: string, after: string) => parseCronSpec(spec, 'spec').next(at(after))?.toISOString() ?? null;

describe('engine: cron specs', () => {
  it('five fields, names, ranges, steps and lists', () => {
    assert.equal(next('*/15 * * * *', '2026-11-26T04:16:30Z'), '2026-11-26T04:30:00.000Z');
    assert.equal(next('0 9 * * mon-fri', '2026-11-27T10:00:00Z'), '2026-11-30T09:00:00.000Z'); // Friday -> Monday
    assert.equal(next('30 2 1 jan,jul *', '2026-11-26T00:00:00Z'), '2027-01-01T02:30:00.000Z');
    // Day of month and day of week both restricted: either matches (robfig/Vixie).
    assert.equal(next('0 0 13 * fri', '2026-11-26T00:00:00Z'), '2026-11-27T00:00:00.000Z');
    assert.equal(next('0 0 29 2 *', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  });

  it('descriptors, @every with Go durations, and @never', () => {
    assert.equal(next('@hourly', '2026-11-26T04:16:30Z'), '2026-11-26T05:00:00.000Z');
    assert.equal(next('@daily', '2026-11-26T04:16:30Z'), '2026-11-27T00:00:00.000Z');
    assert.equal(next('@every 1m30s', '2026-11-26T04:16:30.500Z'), '2026-11-26T04:18:00.000Z');
    assert.equal(next('@never', '2026-11-26T04:16:30Z'), null);
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1x'), null);
  });

  it('refuses what robfig refuses, naming the spec', () => {
    assert.throws(() => parseCronSpec('61 * * * *', 'input.cron.spec'), /input\.cron\.spec: "61 \* \* \* \*": "61" is out of range 0-59/);
    assert.throws(() => parseCronSpec('* * *', 'input.cron.spec'), /give 5 fields/);
    assert.throws(() => parseCronSpec('@every 0s', 'input.cron.spec'), /at least 1s/);
  });

  it('a run commits the latest due tick, named by its RFC 3339 time, or none', () => {
    assert.equal(dueTick('@every 1m', at('2026-11-26T04:00:00Z'), at('2026-11-26T04:00:59Z')), null);
    assert.equal(dueTick('@every 1m', at('2026-11-26T04:00:00Z'), at('2026-11-26T04:03:10Z'))!.toISOString(), '2026-11-26T04:03:00.000Z');
    assert.equal(tickName(at('2026-11-26T04:03:00.000Z')), '2026-11-26T04:03:00Z');
  });
});
