/** The folder ledger keeps the ledger contract (test/helpers/ledger-contract.ts) and lives where the step looks. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
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

  it('holds an incident as one file per key under <user>-<device>/<incident>, and no temp file', async () => {
    const ledger = new FolderLedger(await mkdtemp(join(tmpdir(), 'vigil-ledger-')));
    await Promise.all(Array.from({ length: 4 }, () => ledger.record(INCIDENT, TARGET, delivery('250'))));
    assert.deepEqual(await readdir(join(ledger.dir, 'u1-cam1', INCIDENT)), [`${TARGET}.json`]);
  });

  it('lives at VIGIL_ALERT_LEDGER, else under VIGIL_ROOT, else on the cluster volume', async () => {
    const dirOf = async (env: Record<string, string>) => ((await openLedger(env, undefined)) as FolderLedger).dir;
    assert.equal(await dirOf({ VIGIL_ALERT_LEDGER: '/shared/ledger', VIGIL_ROOT: '/r' }), '/shared/ledger');
    assert.equal(await dirOf({ VIGIL_ROOT: '/r' }), '/r/alert-ledger');
    assert.equal(await dirOf({}), '/var/lib/vigil/alert-ledger');
  });
});
