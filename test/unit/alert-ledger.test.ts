import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Delivery } from '../../specs/index.js';
import { Ledger } from '../../steps/alert/ledger.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir } from '../helpers/cli.js';

const ID = 'u1-cam1-r200-20261126T041500Z';
const delivery = (body: string): Delivery => ({
  channel: 'email',
  target: 'email-0123456789abcdef',
  recipient: 's******y@example.com',
  status: 'sent',
  attempts: 1,
  response: { status: 250, body, messageId: `<${ID}.email-0123456789abcdef@vigil>` },
});

describe('alert: ledger', () => {
  it('finds nothing before a record, and the record after, in a fresh Ledger too', async () => {
    const dir = await tempDir();
    const ledger = new Ledger(dir);
    assert.equal(await ledger.get(ID, 'email-0123456789abcdef'), undefined);
    assert.deepEqual(await ledger.incidentsOf('u1-cam1'), []);
    assert.deepEqual(await ledger.record(ID, delivery('250 first')), delivery('250 first'));
    assert.deepEqual(await new Ledger(dir).get(ID, 'email-0123456789abcdef'), delivery('250 first'));
    assert.deepEqual(await ledger.incidentsOf('u1-cam1'), [ID]);
    assert.deepEqual(await ledger.incidentsOf('u1-cam2'), []);
  });

  it('keeps the first of two writers of one key, in one process or two, and leaves no temp file', async () => {
    const dir = await tempDir();
    const ledger = new Ledger(dir);
    const racers = Array.from({ length: 8 }, (_, i) => ledger.record(ID, delivery(`250 writer ${i}`)));
    const results = await Promise.all(racers);
    assert.ok(results.every((r) => r.response?.body === results[0]!.response?.body));

    // Another process (a retried datum) sees the same record and cannot replace it.
    const script = `import { Ledger } from ${JSON.stringify(join(packageRoot(), 'dist/steps/alert/ledger.js'))};
      const d = ${JSON.stringify(delivery('250 other process'))};
      process.stdout.write(JSON.stringify(await new Ledger(${JSON.stringify(dir)}).record(${JSON.stringify(ID)}, d)));`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (text += d));
      child.on('error', reject).on('close', () => resolve(text));
    });
    assert.equal((JSON.parse(out) as Delivery).response?.body, results[0]!.response?.body);
    assert.deepEqual(await readdir(join(dir, 'u1-cam1', ID)), ['email-0123456789abcdef.json']);
  });

  it('lives at VIGIL_ALERT_LEDGER, else under VIGIL_ROOT, else on the cluster volume', () => {
    assert.equal(Ledger.fromEnv({ VIGIL_ALERT_LEDGER: '/shared/ledger', VIGIL_ROOT: '/r' }).dir, '/shared/ledger');
    assert.equal(Ledger.fromEnv({ VIGIL_ROOT: '/r' }).dir, '/r/alert-ledger');
    assert.equal(Ledger.fromEnv({}).dir, '/var/lib/vigil/alert-ledger');
  });
});
