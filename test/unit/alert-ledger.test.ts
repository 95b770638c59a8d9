/** The folder ledger keeps the ledger contract (test/helpers/ledger-contract.ts) and lives where the step looks. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FolderLedger } from '../../steps/alert/ledger/folder.js';
import { openLedger } from '../../steps/alert/ledger/ledger.js';
import { delivery, INCIDENT, ledgerContract, TARGET } from '../helpers/ledger-contract.js';

describe('alert: folder ledger', () => {
  let dir = '';
  ledgerContract(
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'vigil-ledger-'));
      return new FolderLedger(dir);
    },
    async () => new FolderLedger(dir),
  );

  it('holds an incident as one file per key under <user>-<device>/<YYYYMMDD>/<incident>, and no temp file', async () => {
    const ledger = new FolderLedger(await mkdtemp(join(tmpdir(), 'vigil-ledger-')));
    await Promise.all(Array.from({ length: 4 }, () => ledger.record(INCIDENT, TARGET, delivery('250'))));
    assert.deepEqual(await readdir(join(ledger.dir, 'u1-cam1', '20261126', INCIDENT)), [`${TARGET}.json`]);
  });

  it('moves a ledger of the first layout (<user>-<device>/<incident>) into day folders, losing nothing, with two movers at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-ledger-'));
    const older = 'u1-cam1-r200-20261125T230000Z';
    for (const [id, body] of [
      [INCIDENT, '250 a'],
      [older, '250 b'],
    ]) {
      await mkdir(join(dir, 'u1-cam1', id!), { recursive: true });
      await writeFile(join(dir, 'u1-cam1', id!, `${TARGET}.json`), JSON.stringify(delivery(body!)));
    }
    await mkdir(join(dir, '_cap', 'cap-u1-email-2026112604'), { recursive: true });
    await writeFile(join(dir, '_cap', 'cap-u1-email-2026112604', 'slot1.json'), JSON.stringify({ incident: INCIDENT, target: TARGET }));
    const [a, b] = [new FolderLedger(dir), new FolderLedger(dir)];
    const [found, foundOlder] = await Promise.all([a.get(INCIDENT, TARGET), b.get(older, TARGET)]);
    assert.deepEqual([found, foundOlder], [delivery('250 a'), delivery('250 b')]);
    assert.deepEqual(await a.incidentsOf('u1-cam1', '20261125'), [older]);
    assert.deepEqual((await readdir(join(dir, 'u1-cam1'))).sort(), ['20261125', '20261126']);
    assert.deepEqual(await a.get('cap-u1-email-2026112604', 'slot1'), { incident: INCIDENT, target: TARGET });
    // Recorded once: the moved entry still wins over a new writer.
    assert.deepEqual(await new FolderLedger(dir).record(INCIDENT, TARGET, delivery('250 c')), delivery('250 a'));
  });

  it('lives at VIGIL_ALERT_LEDGER, else under VIGIL_ROOT, else on the cluster volume', async () => {
    const dirOf = async (env: Record<string, string>) => ((await openLedger(env, undefined)) as FolderLedger).dir;
    assert.equal(await dirOf({ VIGIL_ALERT_LEDGER: '/shared/ledger', VIGIL_ROOT: '/r' }), '/shared/ledger');
    assert.equal(await dirOf({ VIGIL_ROOT: '/r' }), '/r/alert-ledger');
    assert.equal(await dirOf({}), '/var/lib/vigil/alert-ledger');
  });
});
