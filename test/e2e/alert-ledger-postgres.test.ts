/**
 * The PostgreSQL ledger against a real server (test/helpers/postgres.ts): the same contract as the
 * folder ledger, the unique key doing the once-only work, and errors that name VIGIL_LEDGER_URL
 * without its password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openLedger } from '../../steps/alert/ledger/ledger.js';
import { INCIDENTS_OF_DAY_SQL } from '../../steps/alert/ledger/postgres.js';
import { ledgerContract } from '../helpers/ledger-contract.js';
import { findPostgres, startPostgres, type Postgres } from '../helpers/postgres.js';

const found = findPostgres();
const PASSWORD = 'pg-planted-Secret-5150';

describe('alert: PostgreSQL ledger', { skip: 'missing' in found && found.missing, timeout: 120_000 }, () => {
  let server: Postgres;
  before(async () => {
    server = await startPostgres((found as { bin: string }).bin, PASSWORD);
  });
  after(() => server?.stop());

  const fresh = async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query('DROP TABLE IF EXISTS vigil_alert_ledger');
    await client.end();
    return openLedger({}, server.url);
  };
  ledgerContract(fresh, () => openLedger({}, server.url));

  it("reads a device-day through the table's index of device-days, not by scanning the ledger", async () => {
    const ledger = await fresh();
    await ledger.record('u1-cam1-r200-20261126T041500Z', 'incident', { id: 'x' });
    await ledger.close();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query(`EXPLAIN ${INCIDENTS_OF_DAY_SQL}`, ['u1-cam1', '20261126']);
      assert.match(rows.map((r) => r['QUERY PLAN']).join('\n'), /vigil_alert_ledger_device_day/);
    } finally {
      await client.end();
    }
  });

  it('a server that is not there: one error naming VIGIL_LEDGER_URL, the password masked', async () => {
    const url = server.url.replace(/:(\d+)\//, ':1/');
    await assert.rejects(openLedger({}, url), (e: Error) => {
      assert.match(e.message, /VIGIL_LEDGER_URL \(postgres:\/\/vigil:\*\*\*\*@127\.0\.0\.1:1\/postgres\)/);
      assert.ok(!e.message.includes(PASSWORD));
      return true;
    });
  });
});
