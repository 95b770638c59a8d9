import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupIncidents, type MatchInput } from '../../steps/alert/core.js';
import { composeEmail } from '../../steps/alert/channels/email.js';
import { MAX_SUMMARY_CHARS, pagerDutyEvent } from '../../steps/alert/channels/pagerduty.js';
import { httpOutcome, withRetry, type Outcome } from '../../steps/alert/retry.js';
import { expandTargets, maskEmail, type EmailTarget } from '../../steps/alert/targets.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { sha256 } from '../../src/pfs/files.js';
import { matchRecord, times, type MatchOptions } from '../helpers/alert.js';

function inputs(dates: Date[], o: MatchOptions = {}): MatchInput[] {
  return dates.map((at) => {
    const match = matchRecord(at, o);
    const path = `/${match.user}-${match.device}/${formatTimestamp(at)}.json`;
    return { match, ref: { repo: 'matches', path, sha256: sha256(path) } };
  });
}

/** A reproducible shuffle (Park-Miller), so a failure can be replayed. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 16807) % 2147483647;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const summary = (list: MatchInput[]) =>
  groupIncidents(list).map((i) => ({ id: i.id, frames: i.frameCount, first: i.first.capturedAt, last: i.last.capturedAt }));

describe('alert: incidents', () => {
  it('120 frames of one person over 10 minutes with a 5 minute cooldown are one incident', () => {
    const list = inputs(times('2026-11-26T04:15:00Z', 120, 5)); // 04:15:00 .. 04:24:55
    const [incident, ...rest] = groupIncidents(list);
    assert.equal(rest.length, 0);
    assert.equal(incident!.id, 'u1-cam1-r200-20261126T041500Z');
    assert.equal(incident!.frameCount, 120);
    assert.equal(incident!.last.capturedAt, '2026-11-26T04:24:55.000Z');
    assert.deepEqual(
      incident!.matches,
      list.map((m) => m.ref),
    );
    assert.deepEqual(incident!.rule, { id: 200, name: 'Person after hours', severity: 'critical', cooldownSeconds: 300 });
  });

  it('a pause of the cooldown or more starts a new incident; less does not', () => {
    const list = inputs([
      ...times('2026-11-26T04:15:00Z', 40, 3), // .. 04:16:57
      ...times('2026-11-26T04:21:57Z', 40, 3), // exactly 5 min after: new; .. 04:23:54
      ...times('2026-11-26T04:28:53Z', 40, 3), // 4:59 after: same as the second
    ]);
    assert.deepEqual(summary(list), [
      { id: 'u1-cam1-r200-20261126T041500Z', frames: 40, first: '2026-11-26T04:15:00.000Z', last: '2026-11-26T04:16:57.000Z' },
      { id: 'u1-cam1-r200-20261126T042157Z', frames: 80, first: '2026-11-26T04:21:57.000Z', last: '2026-11-26T04:30:50.000Z' },
    ]);
  });

  it('frames arriving out of order group exactly as in order', () => {
    const list = inputs([...times('2026-11-26T04:15:00Z', 40, 3), ...times('2026-11-26T04:22:00Z', 80, 2)]);
    const expected = groupIncidents(list);
    assert.equal(expected.length, 2);
    for (const seed of [1, 7, 42]) assert.deepEqual(groupIncidents(shuffled(list, seed)), expected);
  });

  it('a late frame before the first moves the incident start, and so its id', () => {
    const list = inputs(times('2026-11-26T04:15:00Z', 10, 5));
    const late = inputs([new Date('2026-11-26T04:14:00Z')]);
    assert.deepEqual(
      summary([...list, ...late]).map((s) => [s.id, s.frames]),
      [['u1-cam1-r200-20261126T041400Z', 11]],
    );
  });

  it('each rule has its own incidents and cooldown; cooldown 0 makes every frame one', () => {
    const frames = times('2026-11-26T04:15:00Z', 3, 60);
    const list = [...inputs(frames), ...inputs(frames, { ruleId: 100, ruleName: 'Loitering', cooldownSeconds: 0, severity: 'info' })];
    assert.deepEqual(
      summary(list).map((s) => [s.id, s.frames]),
      [
        ['u1-cam1-r100-20261126T041500Z', 1],
        ['u1-cam1-r200-20261126T041500Z', 3],
        ['u1-cam1-r100-20261126T041600Z', 1],
        ['u1-cam1-r100-20261126T041700Z', 1],
      ],
    );
  });

  it('devices never share an incident', () => {
    const at = times('2026-11-26T04:15:00Z', 2, 10);
    const ids = groupIncidents([...inputs(at), ...inputs(at, { device: 'cam2' })]).map((i) => i.id);
    assert.deepEqual(ids, ['u1-cam1-r200-20261126T041500Z', 'u1-cam2-r200-20261126T041500Z']);
  });
});

describe('alert: targets', () => {
  it('lists every target once with a stable key and a masked recipient', () => {
    const targets = expandTargets('u1', {
      email: ['security@example.com', 'ab@example.com', 'security@example.com'],
      pagerduty: { routingKeyEnv: 'VIGIL_SECRET_u1_PD' },
      webhook: ['https://user:pw@hooks.example.com/vigil?token=secret'],
      webhookSecretEnv: 'VIGIL_SECRET_u1_HOOK',
    });
    assert.deepEqual(
      targets.map((t) => [t.channel, t.recipient]),
      [
        ['email', 's******y@example.com'],
        ['email', '**@example.com'],
        ['pagerduty', 'VIGIL_SECRET_u1_PD'],
        ['webhook', 'https://hooks.example.com/vigil'],
      ],
    );
    assert.match(targets[0]!.key, /^email-[0-9a-f]{16}$/);
    assert.equal(expandTargets('u1', { email: ['SECURITY@example.com'] })[0]!.key, targets[0]!.key);
    assert.equal(targets[2]!.key, 'pagerduty-VIGIL_SECRET_u1_PD');
    const hook = targets[3];
    assert.ok(hook?.channel === 'webhook');
    assert.equal(hook.secretEnv, 'VIGIL_SECRET_u1_HOOK');
    const plain = expandTargets('u7', { webhook: ['http://h/x'] })[0];
    assert.ok(plain?.channel === 'webhook');
    assert.equal(plain.secretEnv, 'VIGIL_SECRET_u7_WEBHOOK');
    assert.equal(maskEmail('x@example.com'), '*@example.com');
  });
});

describe('alert: retry', () => {
  const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };
  const scripted = (outcomes: Outcome[], requests = 1) => {
    let calls = 0;
    return {
      tryOnce: async () => ({ outcome: outcomes[Math.min(calls++, outcomes.length - 1)]!, result: calls, requests }),
      calls: () => calls,
    };
  };

  it('classifies HTTP statuses: 2xx delivered, 429 and 5xx transient, other 4xx final', () => {
    assert.deepEqual([200, 202, 429, 500, 503, 400, 401, 404, 302].map(httpOutcome), [
      'ok',
      'ok',
      'retry',
      'retry',
      'retry',
      'final',
      'final',
      'final',
      'final',
    ]);
  });

  it('retries transient failures until delivered, and stops at a final one', async () => {
    const flaky = scripted(['retry', 'retry', 'ok']);
    const r = await withRetry(flaky.tryOnce, fast);
    assert.deepEqual([r.outcome, r.attempts, r.result], ['ok', 3, 3]);
    const refused = scripted(['final', 'ok']);
    const f = await withRetry(refused.tryOnce, fast);
    assert.deepEqual([f.outcome, f.attempts], ['final', 1]);
    assert.ok(Date.parse(f.lastAttemptAt) >= Date.parse(f.firstAttemptAt));
  });

  it('gives up after maxAttempts requests, counting requests a client retried itself', async () => {
    const down = scripted(['retry']);
    const r = await withRetry(down.tryOnce, fast);
    assert.deepEqual([r.outcome, r.attempts, down.calls()], ['retry', 4, 4]);
    const selfRetrying = scripted(['retry'], 4);
    const s = await withRetry(selfRetrying.tryOnce, fast);
    assert.deepEqual([s.attempts, selfRetrying.calls()], [4, 1]);
  });
});

describe('alert: messages', () => {
  const [incident] = groupIncidents(
    inputs(times('2026-11-26T04:15:00Z', 3, 5), {
      ruleName: `<b>Intruder</b> ${'x'.repeat(2000)}`,
      severity: 'warning',
      targets: { email: ['security@example.com'] },
    }),
  );

  it('a PagerDuty trigger: dedup_key the incident, summary cut to 1024, source the device, severity the rule', () => {
    const event = pagerDutyEvent({ incident: incident! }, 'rk');
    assert.equal(event.event_action, 'trigger');
    assert.equal(event.dedup_key, 'u1-cam1-r200-20261126T041500Z');
    assert.equal(event.payload.summary.length, MAX_SUMMARY_CHARS);
    assert.ok(event.payload.summary.startsWith('[WARNING] <b>Intruder</b> xxx'));
    assert.equal(event.payload.source, 'u1-cam1');
    assert.equal(event.payload.severity, 'warning');
    assert.deepEqual((event.payload.custom_details as { objects: unknown }).objects, incident!.objects);
  });

  it('an email escapes what the rules repo says in its HTML', () => {
    const mail = composeEmail({ incident: incident! }, expandTargets('u1', incident!.targets)[0] as EmailTarget, {});
    assert.ok(String(mail.html).includes('&lt;b&gt;Intruder&lt;/b&gt;'));
    assert.ok(!String(mail.html).includes('<b>Intruder'));
    assert.ok(String(mail.text).includes('<b>Intruder</b>'));
    assert.equal(mail.messageId, `<u1-cam1-r200-20261126T041500Z.${expandTargets('u1', incident!.targets)[0]!.key}@vigil>`);
  });
});
