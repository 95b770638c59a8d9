/**
 * The alert step end to end, as the engine runs it: `vigil step alert` in a child process on a
 * hand-laid /pfs datum, talking to real servers on loopback: an SMTP server (smtp-server, mail
 * parsed with mailparser), an HTTPS server speaking PagerDuty's Events API v2 behind a throwaway
 * CA (trusted with NODE_EXTRA_CA_CERTS, which Node reads at start), and a webhook receiver that
 * checks signatures.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { assertValid, validatorFor, type Alert, type AlertTargets, type Match } from '../../specs/index.js';
import sharp from 'sharp';
import { BOX_COLOR } from '../../src/render/snapshot-overlay.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { verifySignature } from '../../steps/alert/channels/webhook.js';
import { tempDir } from '../helpers/cli.js';
import { layDatum, matchRecord, runAlertStep, times } from '../helpers/alert.js';
import { makeCertificates, startPagerDuty } from '../helpers/pagerduty-server.js';
import { findPostgres, startPostgres } from '../helpers/postgres.js';

const POSTGRES = findPostgres();

/** A real frame for the snapshots: the astronaut photograph (512x512). */
const FRAME = await readFile(join(packageRoot(), 'test', 'fixtures', 'astronaut.png'));
const CAMERA = { name: 'Front door', site: 'Shop, 5th Avenue' };

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const WEBHOOK_SECRET = 'test-signing-secret';

// ---------------------------------------------------------------- loopback servers

const portOf = (server: { address(): unknown }) => (server.address() as AddressInfo).port;
const listen = (server: Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

interface Received {
  to: string[];
  mail: ParsedMail;
}

/** An SMTP server that accepts everyone but bounce@ (550, a final refusal). */
async function startSmtp() {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!address.address.startsWith('bounce@')) return callback();
      callback(Object.assign(new Error('5.1.1 <bounce@example.com>: no such user'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        received.push({ to: session.envelope.rcptTo.map((a) => a.address), mail });
        callback(null, `queued as test-${received.length}`);
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { received, url: `smtp://127.0.0.1:${portOf(server.server)}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

interface Hook {
  delivery: string;
  signed: boolean;
  body: { incident: string; match: Match };
}

/** A webhook receiver: 200 for a body signed with WEBHOOK_SECRET within the replay window, 401 otherwise. */
async function startWebhook() {
  const hooks: Hook[] = [];
  const server = createHttpServer(async (req, res) => {
    const body = await bodyOf(req);
    const headers = { timestamp: String(req.headers['x-vigil-timestamp']), signature: String(req.headers['x-vigil-signature']) };
    const signed = verifySignature(WEBHOOK_SECRET, headers, body, Math.floor(Date.now() / 1000));
    hooks.push({ delivery: String(req.headers['x-vigil-delivery']), signed, body: JSON.parse(body) as Hook['body'] });
    res.writeHead(signed ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: signed }));
  });
  await listen(server);
  return { hooks, url: `http://127.0.0.1:${portOf(server)}/hook`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------- the step

/** Every output file of a run: repo path -> bytes as text. */
async function outputs(pfsRoot: string): Promise<Map<string, string>> {
  const out = join(pfsRoot, 'out');
  const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  const entries = await Promise.all(
    files.map(
      async (f) => [join(f.parentPath, f.name).slice(out.length), (await readFile(join(f.parentPath, f.name))).toString('base64')] as const,
    ),
  );
  return new Map(entries.sort(([a], [b]) => a.localeCompare(b)));
}

function alerts(files: Map<string, string>): Alert[] {
  const valid = validatorFor('alert');
  return [...files.values()].map((base64) => {
    const record: unknown = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
    assert.ok(valid(record), JSON.stringify(valid.errors));
    return record;
  });
}

/** Runs one datum of `matches` and returns its Alert records; the step must exit 0. */
async function step(root: string, matches: Match[], env: Record<string, string>): Promise<{ files: Map<string, string>; alerts: Alert[] }> {
  const pfs = join(root, 'pfs');
  const r = await runAlertStep(root, { ...env, ...(await layDatum(pfs, matches, FRAME)) });
  assert.equal(r.code, 0, r.stderr);
  const files = await outputs(pfs);
  return { files, alerts: alerts(new Map([...files].filter(([path]) => path.endsWith('.json')))) };
}

// Two stays of one person: 40 frames from 04:15:00 every 3 s (to 04:16:57), then, 5 min 3 s
// later, 80 frames from 04:22:00 every 2 s (to 04:24:38): 120 frames over 10 minutes.
const FRAMES = [...times('2026-11-26T04:15:00Z', 40, 3), ...times('2026-11-26T04:22:00Z', 80, 2)];
const INCIDENT_1 = 'u1-cam1-r200-20261126T041500Z';
const INCIDENT_2 = 'u1-cam1-r200-20261126T042200Z';

describe('alert step', { skip: !HAS_OPENSSL && 'openssl not found (needed for the PagerDuty test CA)' }, () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let pd: Awaited<ReturnType<typeof startPagerDuty>>;
  let hook: Awaited<ReturnType<typeof startWebhook>>;
  let env: Record<string, string>;
  let targets: AlertTargets;

  before(async () => {
    const tls = await makeCertificates(await tempDir('vigil-alert-ca-'));
    [smtp, pd, hook] = await Promise.all([startSmtp(), startPagerDuty(tls), startWebhook()]);
    env = {
      VIGIL_SMTP_URL: smtp.url,
      VIGIL_PAGERDUTY_SERVER: pd.server,
      NODE_EXTRA_CA_CERTS: tls.ca,
      VIGIL_PUBLIC_URL: 'https://vigil.example.com/portal/',
      VIGIL_MAIL_FROM: 'Acme Security <alerts@acme.example>',
      VIGIL_SECRET_u1_PD: 'rk-flaky',
      VIGIL_SECRET_u1_WEBHOOK: WEBHOOK_SECRET,
      VIGIL_SECRET_u2_PD: 'rk-bad',
      VIGIL_SECRET_u2_WEBHOOK: WEBHOOK_SECRET,
      VIGIL_SECRET_u5_PD: 'rk-u5',
    };
    targets = {
      email: ['security@example.com', 'ops@example.com'],
      pagerduty: { routingKeyEnv: 'VIGIL_SECRET_u1_PD' },
      webhook: [hook.url],
    };
  });
  after(() => Promise.all([smtp.close(), pd.close(), hook.close()]));

  describe('never twice', () => {
    let root: string;
    let first: Map<string, string>;
    const matches = () => FRAMES.map((at) => matchRecord(at, { targets, camera: CAMERA }));

    it('120 frames over 10 minutes, cooldown 5 min: two incidents, one email per incident and address, one page, one webhook', async () => {
      root = await tempDir();
      const { files, alerts: records } = await step(root, matches(), env);
      first = files;
      assert.deepEqual(
        [...files.keys()],
        [`/u1-cam1/${INCIDENT_1}.jpg`, `/u1-cam1/${INCIDENT_1}.json`, `/u1-cam1/${INCIDENT_2}.jpg`, `/u1-cam1/${INCIDENT_2}.json`],
      );
      assert.deepEqual(
        records.map((a) => [a.id, a.frameCount, a.first.capturedAt, a.last.capturedAt]),
        [
          [INCIDENT_1, 40, '2026-11-26T04:15:00.000Z', '2026-11-26T04:16:57.000Z'],
          [INCIDENT_2, 80, '2026-11-26T04:22:00.000Z', '2026-11-26T04:24:38.000Z'],
        ],
      );

      // Email: four messages, each to one address, with ids derived from incident and target.
      assert.equal(smtp.received.length, 4);
      const sent = smtp.received.map((r) => [r.to.join(), r.mail.messageId?.split('.email-')[0]]);
      assert.deepEqual(sent.sort(), [
        ['ops@example.com', `<${INCIDENT_1}`],
        ['ops@example.com', `<${INCIDENT_2}`],
        ['security@example.com', `<${INCIDENT_1}`],
        ['security@example.com', `<${INCIDENT_2}`],
      ]);
      const mail = smtp.received.find((r) => r.to[0] === 'security@example.com' && r.mail.messageId?.startsWith(`<${INCIDENT_1}`))!.mail;
      assert.equal(
        mail.subject,
        '[CRITICAL] Person after hours at Front door (Shop, 5th Avenue), Wednesday 2026-11-25 23:15:00 EST: person 91% in door',
      );
      assert.equal(mail.from?.text, '"Acme Security" <alerts@acme.example>');
      for (const text of [mail.text!, mail.html as string]) {
        for (const needle of [
          'Person after hours',
          'critical',
          'Front door (Shop, 5th Avenue)',
          'Wednesday 2026-11-25 23:15:00 EST',
          'person 91% in door',
          '/valid/u1-cam1/20261126T041500Z.jpg',
          `https://vigil.example.com/portal/incidents/${INCIDENT_1}`,
        ]) {
          assert.ok(text.includes(needle), `${needle} in ${text}`);
        }
      }
      // The snapshot: inline (cid:, referenced by the HTML) and attached, a JPEG whose pixels show the box.
      const inline = mail.attachments.find((a) => a.contentDisposition === 'inline')!;
      const attached = mail.attachments.find((a) => a.contentDisposition === 'attachment')!;
      assert.ok(inline && attached, 'one inline snapshot and one attachment');
      assert.ok((mail.html as string).includes(`cid:${inline.cid}`) || (mail.html as string).includes('data:image/jpeg'));
      assert.equal(inline.contentType, 'image/jpeg');
      assert.ok(inline.content.length < 300 * 1024);
      assert.deepEqual(inline.content, attached.content);
      const box = records[0]!.objects[0]!.box;
      const { data, info } = await sharp(inline.content).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
      const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(BOX_COLOR.slice(i, i + 2), 16));
      const near = ([pr, pg, pb]: number[]) => Math.abs(pr! - r!) < 40 && Math.abs(pg! - g!) < 40 && Math.abs(pb! - b!) < 40;
      // The box's left edge, half-way down: the box colour; well inside the box: the photograph.
      const edgeX = Math.round(box.x * info.width);
      const midY = Math.round((box.y + box.h / 2) * info.height);
      assert.ok(near(pixel(edgeX, midY)), `box colour at the edge, got ${pixel(edgeX, midY)}`);
      assert.ok(!near(pixel(edgeX + 20, midY)), 'the photograph inside the box');

      // PagerDuty: per incident a 429, then the retry's 202; the record counts both requests.
      assert.deepEqual(
        pd.requests.map((e) => e.dedup_key),
        [INCIDENT_1, INCIDENT_1, INCIDENT_2, INCIDENT_2],
      );
      const page = pd.requests[0]!;
      assert.equal(page.payload.source, 'u1-cam1');
      assert.equal(page.payload.severity, 'critical');
      assert.deepEqual(page.payload.custom_details.objects, records[0]!.objects);
      const pdLinks = page as unknown as { images: { src: string; href: string }[]; links: { href: string }[] };
      assert.deepEqual(
        pdLinks.links.map((l) => l.href),
        [`https://vigil.example.com/portal/incidents/${INCIDENT_1}`],
      );
      assert.match(
        pdLinks.images[0]!.src,
        new RegExp(`^https://vigil\\.example\\.com/portal/frames/alerts@o1/u1-cam1/${INCIDENT_1}\\.jpg$`),
      );

      // Webhook: signed, the incident's first match as body, once per incident.
      assert.deepEqual(
        hook.hooks.map((h) => [h.signed, h.body.incident, h.body.match.capturedAt]),
        [
          [true, INCIDENT_1, '2026-11-26T04:15:00.000Z'],
          [true, INCIDENT_2, '2026-11-26T04:22:00.000Z'],
        ],
      );

      for (const record of records) {
        assert.deepEqual(
          record.deliveries.map((d) => [d.channel, d.recipient, d.status, d.attempts, d.response?.status]),
          [
            ['email', 's******y@example.com', 'sent', 1, 250],
            ['email', 'o*s@example.com', 'sent', 1, 250],
            ['pagerduty', 'VIGIL_SECRET_u1_PD', 'sent', 2, 202],
            ['webhook', hook.url, 'sent', 1, 200],
          ],
        );
        assert.equal(record.deliveries[2]!.response?.messageId, record.id);
        assert.match(record.deliveries[0]!.response!.body!, /^250 .*queued as test-\d+/);
      }
    });

    it('re-running the datum sends nothing and writes byte-identical records', async () => {
      const { files } = await step(root, matches(), env);
      assert.deepEqual(files, first);
      assert.deepEqual([smtp.received.length, pd.requests.length, hook.hooks.length], [4, 4, 2]);
    });

    it('a new frame joins its incident: the record grows, nothing is sent', async () => {
      const more = [...matches(), matchRecord(new Date('2026-11-26T04:24:40Z'), { targets, camera: CAMERA })];
      const { files, alerts: records } = await step(root, more, env);
      assert.equal(files.get(`/u1-cam1/${INCIDENT_1}.json`), first.get(`/u1-cam1/${INCIDENT_1}.json`));
      assert.equal(files.get(`/u1-cam1/${INCIDENT_1}.jpg`), first.get(`/u1-cam1/${INCIDENT_1}.jpg`), 'the same snapshot, byte for byte');
      assert.equal(records[1]!.frameCount, 81);
      assert.deepEqual(
        records[1]!.deliveries,
        assertValid('alert', JSON.parse(Buffer.from(first.get(`/u1-cam1/${INCIDENT_2}.json`)!, 'base64').toString()), INCIDENT_2)
          .deliveries,
      );
      assert.deepEqual([smtp.received.length, pd.requests.length, hook.hooks.length], [4, 4, 2]);
    });

    it('a late frame before the start renames the incident; its targets show as grouped under the id they were told', async () => {
      const early = [matchRecord(new Date('2026-11-26T04:14:00Z'), { targets, camera: CAMERA }), ...matches()];
      const { alerts: records } = await step(root, early, env);
      const [renamed] = records;
      assert.equal(renamed!.id, 'u1-cam1-r200-20261126T041400Z');
      assert.deepEqual(
        renamed!.deliveries.map((d) => [d.status, d.deliveredAs]),
        Array(4).fill(['grouped', INCIDENT_1]),
      );
      assert.equal(
        renamed!.deliveries[0]!.response?.messageId,
        smtp.received.find((r) => r.mail.messageId?.startsWith(`<${INCIDENT_1}`))!.mail.messageId,
      );
      assert.deepEqual([smtp.received.length, pd.requests.length, hook.hooks.length], [4, 4, 2]);
    });
  });

  /** Kill during sending, rerun: at most one send per incident and target, with the ledger `ledgerEnv` names. */
  async function crashAndRerun(device: string, ledgerEnv: Record<string, string>): Promise<void> {
    const root = await tempDir();
    const matches = FRAMES.map((at) => matchRecord(at, { device, targets }));
    const pfs = join(root, 'pfs');
    const before = smtp.received.length;
    const killed = await runAlertStep(root, {
      ...env,
      ...ledgerEnv,
      VIGIL_ALERT_CRASH_AFTER_SEND: '1',
      ...(await layDatum(pfs, matches, FRAME)),
    });
    assert.notEqual(killed.code, 0);
    const accepted = smtp.received.slice(before);
    assert.equal(accepted.length, 1, 'the SMTP server accepted one message before the kill');

    await step(root, matches, { ...env, ...ledgerEnv }); // the retried datum
    const afterRetry = smtp.received.slice(before).map((r) => `${r.to.join()} ${r.mail.messageId}`);
    assert.equal(afterRetry.length, 5, 'four messages plus one repeat');
    assert.equal(new Set(afterRetry).size, 4);
    assert.deepEqual(
      afterRetry.filter((m) => m === afterRetry[0]),
      [afterRetry[0], afterRetry[0]],
      'the repeat is the message the kill interrupted',
    );
    assert.equal(afterRetry[0], `${accepted[0]!.to.join()} ${accepted[0]!.mail.messageId}`);

    await step(root, matches, { ...env, ...ledgerEnv }); // and once more: nothing
    assert.equal(smtp.received.length - before, 5);
  }

  it('a process killed between SMTP acceptance and the ledger write repeats that one message, same Message-ID, and nothing else', () =>
    crashAndRerun('cam9', {}));

  it('the same with the PostgreSQL ledger (VIGIL_LEDGER_URL) on a real server', {
    skip: 'missing' in POSTGRES && POSTGRES.missing,
  }, async () => {
    const server = await startPostgres((POSTGRES as { bin: string }).bin, 'pg-crash-test');
    try {
      await crashAndRerun('cam8', { VIGIL_LEDGER_URL: server.url });
    } finally {
      server.stop();
    }
  });

  it('a 400 page, a bounced address and an unreachable webhook are recorded as failed; the others are still sent', async () => {
    const root = await tempDir();
    const broken: AlertTargets = {
      email: ['bounce@example.com', 'night@example.com'],
      pagerduty: { routingKeyEnv: 'VIGIL_SECRET_u2_PD' },
      webhook: [`http://127.0.0.1:${await closedPort()}/hook`],
    };
    const matches = times('2026-11-26T04:15:00Z', 3, 10).map((at) => matchRecord(at, { user: 'u2', targets: broken }));
    const counts = () => [smtp.received.length, pd.requests.length];
    const before = counts();
    const {
      alerts: [record],
    } = await step(root, matches, env);
    const [bounce, night, page, webhook] = record!.deliveries;
    assert.deepEqual([bounce!.status, bounce!.attempts, bounce!.response?.status], ['failed', 1, 550]);
    assert.match(bounce!.response!.body!, /no such user/);
    assert.deepEqual([night!.status, night!.response?.status], ['sent', 250]);
    assert.deepEqual([page!.status, page!.attempts, page!.response?.status], ['failed', 1, 400]);
    assert.match(page!.response!.body!, /Event object is invalid/);
    assert.deepEqual([webhook!.status, webhook!.attempts], ['failed', 4]);
    assert.match(webhook!.error!, /ECONNREFUSED/);
    assert.deepEqual(counts(), [before[0]! + 1, before[1]! + 1]);

    // Final refusals are kept and not repeated; the unreachable webhook is tried again.
    const {
      alerts: [again],
    } = await step(root, matches, env);
    assert.deepEqual(again!.deliveries.slice(0, 3), record!.deliveries.slice(0, 3));
    assert.notEqual(again!.deliveries[3]!.firstAttemptAt, webhook!.firstAttemptAt);
    assert.deepEqual(counts(), [before[0]! + 1, before[1]! + 1]);
  });

  it('without SMTP, mail goes to the .eml outbox; no routing key or secret: the page and webhook are skipped', async () => {
    const root = await tempDir();
    const matches = times('2026-11-26T04:15:00Z', 3, 10).map((at) => matchRecord(at, { user: 'u3', targets }));
    const noSecrets = join(root, 'not-mounted');
    const quiet = { NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS!, VIGIL_SECRETS_DIR: noSecrets };
    const {
      files,
      alerts: [record],
    } = await step(root, matches, quiet);
    assert.deepEqual(
      record!.deliveries.map((d) => [d.channel, d.status, d.error]),
      [
        ['email', 'sent', undefined],
        ['email', 'sent', undefined],
        [
          'pagerduty',
          'failed',
          'PagerDuty routing key: "VIGIL_SECRET_u1_PD" is not a secret of user "u3": name one as VIGIL_SECRET_u3_<NAME> (NAME letters and digits), e.g. VIGIL_SECRET_u3_PAGERDUTY',
        ],
        ['webhook', 'skipped', `no webhook signing key in $VIGIL_SECRET_u3_WEBHOOK or ${noSecrets}/VIGIL_SECRET_u3_WEBHOOK`],
      ],
    );
    const outbox = join(root, 'outbox');
    const eml = (await readdir(outbox)).sort();
    assert.equal(eml.length, 2);
    const mail = await simpleParser(await readFile(join(outbox, eml[0]!)));
    assert.equal(mail.messageId, record!.deliveries.find((d) => `${record!.id}.${d.target}.eml` === eml[0])!.response?.messageId);
    assert.match(mail.subject!, /^\[CRITICAL\] Person after hours at cam1, Wednesday 2026-11-25 23:15:00 EST/);
    assert.ok(mail.text!.includes('VIGIL_PUBLIC_URL is not set'), 'without a public URL the email says why it has no link');

    const { files: again } = await step(root, matches, quiet);
    assert.deepEqual(again, files);
    assert.equal((await readdir(outbox)).length, 2);
  });

  it('on a cluster, a routing key only in the mounted secret folder pages, and stays out of the record', async () => {
    const root = await tempDir();
    const secrets = join(root, 'secrets');
    await mkdir(secrets);
    await writeFile(join(secrets, 'VIGIL_SECRET_u5_PD'), 'rk-from-file\n');
    const paged = { pagerduty: { routingKeyEnv: 'VIGIL_SECRET_u5_PD' } };
    const matches = times('2026-11-26T04:15:00Z', 3, 10).map((at) => matchRecord(at, { user: 'u5', targets: paged }));
    const before = pd.requests.length;
    const {
      files,
      alerts: [record],
    } = await step(root, matches, {
      VIGIL_PAGERDUTY_SERVER: pd.server,
      NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS!,
      VIGIL_SECRETS_DIR: secrets,
    });
    assert.deepEqual(
      pd.requests.slice(before).map((e) => [e.routing_key, e.dedup_key]),
      [['rk-from-file', record!.id]],
    );
    assert.deepEqual(
      record!.deliveries.map((d) => [d.channel, d.recipient, d.status, d.response?.status]),
      [['pagerduty', 'VIGIL_SECRET_u5_PD', 'sent', 202]],
    );
    assert.ok(![...files.values()].some((text) => Buffer.from(text, 'base64').toString().includes('rk-from-file')));
  });

  it('an incident crossing UTC midnight is one incident per day: each day is its own datum', async () => {
    const root = await tempDir();
    const frames = times('2026-11-26T23:58:00Z', 9, 30); // 23:58:00 .. 00:02:00
    const all = frames.map((at) => matchRecord(at, { user: 'u4', targets: { email: ['night@example.com'] } }));
    const day1 = await step(
      root,
      all.filter((m) => m.capturedAt < '2026-11-27'),
      {},
    );
    const day2 = await step(
      root,
      all.filter((m) => m.capturedAt >= '2026-11-27'),
      {},
    );
    assert.deepEqual(
      [...day1.alerts, ...day2.alerts].map((a) => [a.id, a.frameCount]),
      [
        ['u4-cam1-r200-20261126T235800Z', 4],
        ['u4-cam1-r200-20261127T000000Z', 5],
      ],
    );
  });
});
