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
    assert.deepEqual(await ledger.incidentsOf('u1-cam1', '20261126'), []);
    assert.deepEqual(await ledger.record(INCIDENT, TARGET, delivery('250 first')), delivery('250 first'));
    const other = await reopen();
    assert.deepEqual(await other.get(INCIDENT, TARGET), delivery('250 first'));
    assert.deepEqual(await ledger.incidentsOf('u1-cam1', '20261126'), [INCIDENT]);
    assert.deepEqual(await ledger.incidentsOf('u1-cam2', '20261126'), []);
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

  it("lists one device-day's incidents and one scope's entries, and nothing of the rest", async () => {
    const ledger = await open();
    const nextDay = 'u1-cam1-r200-20261127T000000Z';
    const lastMoment = 'u1-cam1-r-7-20261126T235959.999Z';
    await ledger.record('u1-cam2-r100-20261126T050000Z', 'incident', { id: 'x' });
    await ledger.record(INCIDENT, 'withdrawn', { reason: 'r' });
    await ledger.record(INCIDENT, TARGET, delivery('250'));
    await ledger.record(nextDay, TARGET, delivery('250 next day'));
    await ledger.record(lastMoment, TARGET, delivery('250 last moment'));
    await ledger.record('cap-u1-email-2026112604', 'slot1', { incident: INCIDENT, target: TARGET });
    await ledger.record('held-2026112604', `${INCIDENT}.${TARGET}`, { incident: INCIDENT });
    assert.deepEqual(await ledger.incidentsOf('u1-cam1', '20261126'), [lastMoment, INCIDENT].sort());
    assert.deepEqual(await ledger.incidentsOf('u1-cam1', '20261127'), [nextDay]);
    assert.deepEqual(await ledger.incidentsOf('u1-cam1', '20261125'), []);
    assert.deepEqual(
      (await ledger.entriesOf(INCIDENT)).map((e) => [e.scope, e.key]),
      [
        [INCIDENT, TARGET],
        [INCIDENT, 'withdrawn'],
      ],
    );
    assert.deepEqual(await ledger.entriesOf('held-2026112604'), [
      { scope: 'held-2026112604', key: `${INCIDENT}.${TARGET}`, value: { incident: INCIDENT } },
    ]);
    assert.deepEqual(await ledger.entriesOf('held-2026112605'), []);
    await ledger.close();
  });
}
