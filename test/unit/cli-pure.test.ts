/** The CLI's pure parts for people: ETA smoothing, did-you-mean, short table cells, plurals, object changes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest } from '../../specs/errors.js';
import { plural } from '../../src/cli/command.js';
import { Eta } from '../../src/cli/eta.js';
import { shortCell } from '../../src/cli/output.js';
import { objectChanges } from '../../src/cli/run-report.js';

/** A job on a fake clock: `startupMs` before the first datum, then one datum every `everyMs`; each ETA shown and the truth then. */
function steadyJob(total: number, startupMs: number, everyMs: number): Array<{ done: number; shown: number; truth: number }> {
  const eta = new Eta(total);
  const end = startupMs + total * everyMs;
  const seen = [];
  for (let done = 1; done <= total; done++) {
    const now = startupMs + done * everyMs;
    eta.datumDone(now);
    // The progress line is redrawn between datums too.
    for (const at of [now, now + everyMs / 2]) {
      const shown = eta.remainingMs(at);
      if (shown !== undefined && done < total) seen.push({ done, shown, truth: end - at });
    }
  }
  return seen;
}

test('ETA with a fake clock and a steady rate: every ETA after the first 5% is within 2x of the truth, start-up or not', () => {
  for (const [total, startupMs, everyMs] of [
    [300, 10_000, 100], // the case: a 30 s run after a detector's 10 s start-up
    [1000, 0, 20],
    [40, 60_000, 1_000],
    [5000, 2_000, 5],
  ]) {
    const seen = steadyJob(total!, startupMs!, everyMs!);
    assert.ok(seen.length > 0);
    for (const { done, shown, truth } of seen.filter((s) => s.done >= total! * 0.05)) {
      assert.ok(shown <= 2 * truth && truth <= 2 * shown, `${total} datums, ${done} done: ETA ${shown} ms, truth ${truth} ms`);
    }
  }
});

test('ETA: nothing is shown before two datums have finished; the rate follows a change of pace', () => {
  const eta = new Eta(200);
  assert.equal(eta.remainingMs(5_000), undefined);
  eta.datumDone(5_000);
  assert.equal(eta.rate(), undefined);
  let now = 5_000;
  for (let i = 1; i <= 60; i++) eta.datumDone(now + i * 100);
  now += 6_000;
  assert.equal(Math.round(eta.rate()!), 10);
  for (let i = 1; i <= 60; i++) eta.datumDone(now + i * 1000);
  now += 60_000;
  assert.equal(eta.rate(), 1, 'the window holds only the slower datums now');
  assert.equal(eta.remainingMs(now), 79_000);
});

test('did you mean: the nearest command, noun or field within a third of its letters, else nothing', () => {
  const verbs = ['list', 'inspect', 'create', 'delete', 'put', 'get', 'run', 'report', 'trace'];
  assert.equal(closest('lst', verbs), 'list');
  assert.equal(closest('lsit', verbs), 'list', 'a swap of neighbours is one edit');
  assert.equal(closest('LIST', verbs), 'list');
  assert.equal(closest('dialy', ['daily']), 'daily');
  assert.equal(closest('datumTris', ['datumTries', 'datumTimeout']), 'datumTries');
  assert.equal(closest('frobnicate', verbs), undefined);
  assert.equal(closest('x', ['put', 'get']), undefined);
});

test('plural nouns as pachctl takes them', () => {
  assert.deepEqual(['repo', 'job', 'datum', 'branch', 'file'].map(plural), ['repos', 'jobs', 'datums', 'branches', 'files']);
});

test('a table cell is one short line, cut at a word; short text is left alone', () => {
  const labels = Array.from({ length: 80 }, (_, i) => `label${i}`).join(', ');
  const reason = `rules.yaml: rules[0].classes[2]: "racoon" is not a label of the model; labels: ${labels}`;
  const cell = shortCell(reason);
  assert.ok(cell.length <= 60, cell);
  assert.ok(cell.endsWith('…'));
  assert.ok(reason.startsWith(cell.slice(0, -1).trimEnd()));
  assert.equal(shortCell('exit code 1'), 'exit code 1');
  assert.equal(shortCell('two\nlines'), 'two lines');
});

test('objects gained and lost per label over frames detected again', () => {
  const o = (label: string) => ({ label });
  const { gained, lost } = objectChanges([
    { before: { objects: [o('person'), o('dog')] as never }, after: { objects: [o('person'), o('person')] as never } },
    { before: { objects: [o('cat')] as never }, after: { objects: [] } },
    { before: { objects: [] }, after: { objects: [o('car')] as never } },
  ]);
  assert.deepEqual(Object.fromEntries(gained), { person: 1, car: 1 });
  assert.deepEqual(Object.fromEntries(lost), { dog: 1, cat: 1 });
});
