/**
 * What every alert ledger must do, whichever store holds it: the folder (test/unit/alert-ledger)
 * and PostgreSQL (test/e2e/alert-ledger-postgres) run the same cases.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Delivery } from '../../specs/index.js';
import type { Ledger } from '../../steps/alert/ledger/ledger.js';

export const INCIDENT = 'u1-cam1-r200-20261126T041500Z';
export const TARGET = 'email-0123456789abcdef';

export const delivery = (body: string): Delivery => ({
  channel: 'email',
  target: TARGET,
  recipient: 's******y@example.com',
  status: 'sent',
  attempts: 1,
  response: { status: 250, body, messageId: `<${INCIDENT}.${TARGET}@vigil>` },
});

/** Registers the contract's cases; `open()` gives a ledger on a fresh, empty store each time, `reopen()` another handle on the last one. */
export function ledgerContract(open: () => Promise<Ledger>, reopen: () => Promise<Ledger>): void {
  it('finds nothing before a record, and the record after, through another handle too', async () => {
    const ledger = await open();
    assert.equal(await ledger.get(INCIDENT, TARGET), undefined);
    assert.deepEqual(await ledger.incidentsOf('u1-cam1'), []);
    assert.deepEqual(await ledger.record(INCIDENT, TARGET, delivery('250 first')), delivery('250 first'));
    const other = await reopen();
    assert.deepEqual(await other.get(INCIDENT, TARGET), delivery('250 first'));
    assert.deepEqual(await ledger.incidentsOf('u1-cam1'), [INCIDENT]);
    assert.deepEqual(await ledger.incidentsOf('u1-cam2'), []);
    await Promise.all([ledger.close(), other.close()]);
  });

  it('keeps the first of many concurrent writers of one key, on two handles', async () => {
    const [a, b] = [await open(), await reopen()];
    const racers = Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).record(INCIDENT, TARGET, delivery(`250 writer ${i}`)));
    const results = await Promise.all(racers);
    assert.ok(results.every((r) => r.response?.body === results[0]!.response?.body));
    assert.equal((await a.get<Delivery>(INCIDENT, TARGET))!.response?.body, results[0]!.response?.body);
    await Promise.all([a.close(), b.close()]);
  });

  it('lists every entry by scope and key, incident and other scopes alike', async () => {
    const ledger = await open();
    await ledger.record('u1-cam2-r100-20261126T050000Z', 'incident', { id: 'x' });
    await ledger.record(INCIDENT, 'withdrawn', { reason: 'r' });
    await ledger.record(INCIDENT, TARGET, delivery('250'));
    await ledger.record('cap-u1-email-2026112604', 'slot1', { incident: INCIDENT, target: TARGET });
    assert.deepEqual(
      (await ledger.entries()).map((e) => [e.scope, e.key]),
      [
        ['cap-u1-email-2026112604', 'slot1'],
        [INCIDENT, TARGET],
        [INCIDENT, 'withdrawn'],
        ['u1-cam2-r100-20261126T050000Z', 'incident'],
      ],
    );
    assert.deepEqual(await ledger.incidentsOf('u1-cam1'), [INCIDENT]);
    await ledger.close();
  });
}
