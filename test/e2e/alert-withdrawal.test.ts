/**
 * Delivery history is append-only, through the embedded engine: the alerts, digests, deliveries
 * and warehouse pipelines (pipelines/*.yaml) on input repos, a PagerDuty server over HTTPS on
 * loopback. An incident that was paged and that a model change makes disappear (every match of
 * its device-day gone) stays in deliveries@master as `withdrawn`, with the reason, and PagerDuty
 * gets exactly one `resolve` with its dedup_key, and the warehouse's deliveries table keeps both;
 * no tick is needed for it, and a run with nothing new runs nothing. Planted secret values appear
 * nowhere in the store, its logs or the step's output.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertValid } from '../../specs/index.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { matchRecord, times } from '../helpers/alert.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { filesHolding } from '../helpers/marked-frames.js';
import { HAS_OPENSSL, makeCertificates, startPagerDuty } from '../helpers/pagerduty-server.js';

const PIPELINES = join(packageRoot(), 'pipelines');
const FRAME = await readFile(join(packageRoot(), 'test', 'fixtures', 'astronaut.png'));
const ROUTING_KEY = 'rk-planted-7f3a9c2e51';
const SMTP_PASSWORD = 'smtp-planted-Pa55w0rd';
const INCIDENT = 'u1-cam1-r200-20261126T041500Z';

describe('alert: withdrawn incidents', {
  skip: !HAS_OPENSSL && 'openssl not found (needed for the PagerDuty test CA)',
  timeout: 240_000,
}, () => {
  let pd: Awaited<ReturnType<typeof startPagerDuty>>;
  let env: Record<string, string>;
  before(async () => {
    const tls = await makeCertificates(await tempDir('vigil-pd-ca-'));
    pd = await startPagerDuty(tls);
    env = {
      VIGIL_PAGERDUTY_SERVER: pd.server,
      NODE_EXTRA_CA_CERTS: tls.ca,
      VIGIL_SECRET_u1_PD: ROUTING_KEY,
      // A bad SMTP URL: one clear error, the password masked; the page still goes out.
      VIGIL_SMTP_URL: `smtp://vigil:${SMTP_PASSWORD}@127.0.0.1:notaport/`,
    };
  });
  after(() => pd?.close());

  it('a model change that removes every match of a paged incident leaves it withdrawn, resolved once, and no secret anywhere', async () => {
    const root = await tempDir();
    const files = join(root, 'in');
    const targets = { email: ['security@example.com'], pagerduty: { routingKeyEnv: 'VIGIL_SECRET_u1_PD' } };
    for (const at of times('2026-11-26T04:15:00Z', 3, 10)) {
      const ts = formatTimestamp(at);
      const match = matchRecord(at, { targets });
      match.frame = { ...match.frame, sha256: sha256(FRAME), size: FRAME.length };
      await mkdir(join(files, 'matches', 'u1-cam1'), { recursive: true });
      await mkdir(join(files, 'validated', 'valid', 'u1-cam1'), { recursive: true });
      await writeFile(join(files, 'matches', 'u1-cam1', `${ts}.json`), JSON.stringify(match));
      await writeFile(join(files, 'validated', 'valid', 'u1-cam1', `${ts}.jpg`), FRAME);
    }
    await mkdir(join(files, 'rules'), { recursive: true });
    await writeFile(join(files, 'rules', 'rules.yaml'), 'rules: []\n');
    await mkdir(join(files, 'models', 'centernet'), { recursive: true });
    await writeFile(join(files, 'models', 'centernet', 'model.json'), '{"v": 1}');
    for (const repo of ['matches', 'validated', 'rules', 'models']) {
      await vigilOk(['create', 'repo', repo], { root });
      await vigilOk(['put', 'file', '-r', `${repo}@master:/`, '-f', join(files, repo)], { root });
    }
    // The warehouse reads detections too: an empty repo here.
    await vigilOk(['create', 'repo', 'detections'], { root });
    for (const spec of ['alerts.yaml', 'digests.yaml', 'deliveries.yaml', 'warehouse.yaml']) {
      await vigilOk(['create', 'pipeline', '-f', join(PIPELINES, spec)], { root });
    }

    const first = await vigil(['run'], { root, env });
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.deepEqual(
      pd.requests.map((e) => [e.event_action, e.dedup_key]),
      [['trigger', INCIDENT]],
    );
    const record = async () =>
      assertValid(
        'deliveries',
        JSON.parse(await vigilOk(['get', 'file', `deliveries@master:/u1-cam1/${INCIDENT}.json`], { root })),
        INCIDENT,
      );
    assert.equal((await record()).state, 'active');

    // A new model: the matches of the device-day are gone.
    await writeFile(join(files, 'models', 'centernet', 'model.json'), '{"v": 2}');
    await vigilOk(['put', 'file', 'models@master:/centernet/model.json', '-f', join(files, 'models', 'centernet', 'model.json')], { root });
    await vigilOk(['delete', 'file', 'matches@master:/u1-cam1'], { root });
    const modelCommit = JSON.parse(await vigilOk(['inspect', 'commit', 'models@master', '--raw'], { root })).commit.id as string;
    const second = await vigil(['run'], { root, env });
    assert.equal(second.code, 0, second.stderr + second.stdout);
    assert.equal((await vigil(['list', 'file', 'alerts@master:/u1-cam1'], { root })).code === 0, false, 'the alert record is gone');
    const withdrawn = await record();
    assert.equal(withdrawn.state, 'withdrawn');
    assert.match(withdrawn.withdrawn!.reason, new RegExp(`^new model commit ${modelCommit} \\(was `));
    assert.deepEqual(
      withdrawn.resolves.map((r) => [r.status, r.response?.status]),
      [['sent', 202]],
    );
    // The warehouse keeps it too: gone from alerts, withdrawn in deliveries with its page and resolve.
    const sql = async (query: string) => JSON.parse(await vigilOk(['sql', '--json', query], { root })) as Record<string, unknown>[];
    assert.deepEqual(await sql(`SELECT count(*)::INTEGER AS n FROM alerts WHERE incident_id = '${INCIDENT}'`), [{ n: 0 }]);
    assert.deepEqual(await sql(`SELECT state, kind, channel, status FROM deliveries WHERE incident_id = '${INCIDENT}' ORDER BY kind`), [
      { state: 'withdrawn', kind: 'notification', channel: 'pagerduty', status: 'sent' },
      { state: 'withdrawn', kind: 'resolve', channel: 'pagerduty', status: 'sent' },
    ]);

    // Another run: nothing new, so no job, and nothing more is sent.
    const third = await vigil(['run'], { root, env });
    assert.equal(third.code, 0, third.stderr);
    assert.doesNotMatch(third.stdout, /^(alerts|deliveries|warehouse): job /m);
    const resolves = pd.requests.filter((e) => e.event_action === 'resolve');
    assert.deepEqual(
      resolves.map((e) => [e.dedup_key, e.routing_key === ROUTING_KEY]),
      [[INCIDENT, true]],
    );

    // The bad SMTP URL: a failed email naming the variable, password masked.
    const logFiles = await filesHolding(join(root, 'pps', 'logs', 'alerts'), 'VIGIL_SMTP_URL');
    const logs = (await Promise.all(logFiles.map((f) => readFile(f, 'utf8')))).join('');
    assert.match(
      logs,
      /VIGIL_SMTP_URL \(smtp:\/\/vigil:\*\*\*\*@127\.0\.0\.1:notaport\/\) is not a valid SMTP URL: the port \\?"notaport\\?" is not a number/,
    );
    assert.equal(logs.split('VIGIL_SMTP_URL (').length - 1, 1, 'one error, not one per datum or delivery');
    assert.equal(
      withdrawn.deliveries.find((d) => d.channel === 'email'),
      undefined,
      'the failed email is not in the ledger',
    );

    // No planted secret in the store (repos, ledger, job records, logs) or in what the CLI printed.
    for (const secret of [ROUTING_KEY, SMTP_PASSWORD]) {
      assert.deepEqual(await filesHolding(root, secret), [], `${secret} in the store`);
      for (const out of [first, second, third]) assert.ok(!(out.stdout + out.stderr).includes(secret));
    }
  });
});
