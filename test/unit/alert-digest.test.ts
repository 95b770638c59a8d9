/** The pure parts of digests and of the deliveries record: closed hours, digest plans, the digest's words, withdrawals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IncidentSummary } from '../../specs/index.js';
import { composeDigestBody, pagerDutyDigestEvent } from '../../steps/alert/channels/digest-message.js';
import { deliveriesRecord, ledgerIncident, withdrawalDue } from '../../steps/alert/deliveries-core.js';
import { digestOf, lastClosedHour, planDigests, type Claim } from '../../steps/alert/digest-core.js';
import { addHours, hourOf } from '../../steps/alert/ledger/entries.js';
import type { EmailTarget } from '../../steps/alert/targets.js';
import { delivery } from '../helpers/ledger-contract.js';

const email = (n: number): EmailTarget => ({
  channel: 'email',
  key: `email-${n}`,
  recipient: `s***${n}@example.com`,
  address: `s${n}@example.com`,
});

function summary(id: string, at: string, severity: 'critical' | 'warning' = 'critical'): IncidentSummary {
  return {
    id,
    user: 'u1',
    device: 'cam1',
    camera: { name: 'Front door', site: 'Shop <5th>' },
    timezone: 'America/New_York',
    rule: { id: 200, name: 'Person after hours', severity, cooldownSeconds: 300 },
    firstCapturedAt: at,
    localTime: at,
    frame: { repo: 'validated', path: '/valid/u1-cam1/x.jpg', sha256: 'a'.repeat(64), size: 1 },
    match: { repo: 'matches', path: '/u1-cam1/x.json', sha256: 'b'.repeat(64), size: 1 },
    model: { name: 'centernet', commit: 'm1', weightsSha256: 'c'.repeat(64), backend: 'wasm' },
    rules: { repo: 'rules', commit: 'r1', rulesSha256: 'd'.repeat(64), subscriptionsSha256: 'e'.repeat(64) },
  };
}

describe('alert: digests', () => {
  it('an hour is closed five minutes after it ends', () => {
    assert.equal(lastClosedHour(new Date('2026-11-26T05:05:00Z')), '2026112604');
    assert.equal(lastClosedHour(new Date('2026-11-26T05:04:59Z')), '2026112603');
    assert.equal(lastClosedHour(new Date('2026-11-27T00:05:00Z')), '2026112623', 'across midnight');
    assert.equal(addHours('2026112623', 1), '2026112700');
    assert.equal(hourOf(new Date('2026-11-26T04:59:59.999Z')), '2026112604');
  });

  it('one digest per digest id and target; a claim of an earlier digest stays in it', () => {
    const held = (incident: string, target: EmailTarget) => ({ user: 'u1', incident, target, maxPerHour: 2 });
    const claims: Claim[] = [
      { held: held('i3', email(1)), hour: '2026112605', digest: 'digest-u1-2026112605' },
      { held: held('i1', email(1)), hour: '2026112604', digest: 'digest-u1-2026112605' },
      { held: held('i1', email(2)), hour: '2026112604', digest: 'digest-u1-2026112605' },
      { held: held('i0', email(1)), hour: '2026112603', digest: 'digest-u1-2026112603' },
    ];
    assert.deepEqual(
      planDigests(claims).map((p) => [p.id, p.target.key, p.incidents, p.hours]),
      [
        ['digest-u1-2026112603', 'email-1', ['i0'], { first: '2026112603', last: '2026112603' }],
        ['digest-u1-2026112605', 'email-1', ['i1', 'i3'], { first: '2026112604', last: '2026112605' }],
        ['digest-u1-2026112605', 'email-2', ['i1'], { first: '2026112604', last: '2026112604' }],
      ],
    );
  });

  it('words the digest: the count, the cap, the window, one line per incident; escaped HTML; a link each with a public URL', () => {
    const [plan] = planDigests([
      { held: { user: 'u1', incident: 'u1-cam1-r200-20261126T041500Z', target: email(1), maxPerHour: 1 }, hour: '2026112604', digest: 'd' },
      { held: { user: 'u1', incident: 'u1-cam1-r200-20261126T043500Z', target: email(1), maxPerHour: 1 }, hour: '2026112604', digest: 'd' },
    ]);
    const digest = digestOf(plan!, [
      summary('u1-cam1-r200-20261126T043500Z', '2026-11-26T04:35:00Z', 'warning'),
      summary('u1-cam1-r200-20261126T041500Z', '2026-11-26T04:15:00Z'),
    ]);
    assert.deepEqual([digest.from, digest.to], ['2026-11-26T04:00:00.000Z', '2026-11-26T05:00:00.000Z']);
    const body = composeDigestBody(digest, undefined);
    assert.equal(body.subject, 'Vigil digest: 2 alerts held by your limit of 1 email notification an hour, 2026-11-26 04:00–05:00 UTC');
    assert.match(
      body.text,
      /- \[CRITICAL\] Person after hours at Front door \(Shop <5th>\), Wednesday 2026-11-25 23:15:00 EST\n {2}incident u1-cam1-r200-20261126T041500Z\n- \[WARNING\]/,
    );
    assert.match(body.text, /VIGIL_PUBLIC_URL is not set/);
    assert.ok(body.html.includes('Shop &lt;5th&gt;') && !body.html.includes('<5th>'));
    const linked = composeDigestBody(digest, 'https://vigil.example.com');
    assert.match(
      linked.text,
      /incident u1-cam1-r200-20261126T041500Z: https:\/\/vigil\.example\.com\/incidents\/u1-cam1-r200-20261126T041500Z/,
    );

    const page = pagerDutyDigestEvent(digest, 'rk', undefined);
    assert.deepEqual([page.dedup_key, page.payload.severity, page.payload.source], ['d', 'critical', 'u1']);
  });
});

describe('alert: the deliveries record', () => {
  const id = 'u1-cam1-r200-20261126T041500Z';
  const entries = (keys: Array<[string, unknown]>) => keys.map(([key, value]) => ({ scope: id, key, value }));
  const now = { modelsCommit: 'm2', rulesCommit: 'r1' };
  const at = new Date('2026-11-27T00:00:00Z');

  it('withdraws a delivered incident alerts no longer holds, once, naming the new model', () => {
    const incident = ledgerIncident(
      entries([
        ['incident', summary(id, '2026-11-26T04:15:00Z')],
        ['email-0123456789abcdef', delivery('250')],
      ]),
    )!;
    assert.equal(withdrawalDue(incident, true, now, at), undefined, 'still in alerts');
    assert.deepEqual(withdrawalDue(incident, false, now, at), { at: at.toISOString(), reason: 'new model commit m2 (was m1)' });
    const withdrawn = ledgerIncident(
      entries([
        ['incident', summary(id, '2026-11-26T04:15:00Z')],
        ['email-0123456789abcdef', delivery('250')],
        ['withdrawn', { at: at.toISOString(), reason: 'r' }],
      ]),
    )!;
    assert.equal(withdrawalDue(withdrawn, false, now, at), undefined, 'already withdrawn');
    assert.equal(deliveriesRecord(withdrawn).state, 'withdrawn');
  });

  it('an incident only held is withdrawn once its digest was sent, and shows the digest', () => {
    const held = { ...delivery('250'), status: 'held' as const, attempts: 0 };
    const base: Array<[string, unknown]> = [
      ['incident', summary(id, '2026-11-26T04:15:00Z')],
      ['email-0123456789abcdef', held],
      ['digest.email-0123456789abcdef', { digest: 'digest-u1-2026112604' }],
    ];
    const pending = ledgerIncident(entries(base))!;
    assert.equal(withdrawalDue(pending, false, now, at), undefined, 'nothing reached the customer yet');
    pending.digests[0]!.delivery = delivery('250 digest');
    assert.ok(withdrawalDue(pending, false, now, at));
    assert.deepEqual(deliveriesRecord(pending).digests, [
      { target: 'email-0123456789abcdef', digest: 'digest-u1-2026112604', delivery: delivery('250 digest') },
    ]);
    assert.equal(ledgerIncident(entries(base.slice(1))), undefined, 'no summary: never notified');
  });
});
