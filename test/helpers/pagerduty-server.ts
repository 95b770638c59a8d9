/**
 * A PagerDuty Events API v2 server on loopback over HTTPS, behind a throwaway CA from openssl
 * (trusted with NODE_EXTRA_CA_CERTS, which Node reads at start), for the alert stage's tests.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A throwaway CA and a certificate it signs for 127.0.0.1. */
export async function makeCertificates(dir: string): Promise<{ ca: string; key: string; cert: string }> {
  await writeFile(
    join(dir, 'ca.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      'x509_extensions = v3_ca',
      'prompt = no',
      '[dn]',
      'CN = Vigil test CA',
      '[v3_ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'server.ext'),
    [
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', '-config', 'ca.cnf', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2'], dir);
  openssl(['req', '-new', '-config', 'ca.cnf', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    ],
    dir,
  );
  return {
    ca: join(dir, 'ca.pem'),
    key: await readFile(join(dir, 'server.key'), 'utf8'),
    cert: await readFile(join(dir, 'server.pem'), 'utf8'),
  };
}

export interface PagerDutyEvent {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload: { summary: string; source: string; severity: string; custom_details: { objects: unknown[] } };
}

/**
 * Events API v2 over HTTPS. Routing key `rk-flaky` is throttled (429) on the first request of
 * each dedup_key, then accepted (202); `rk-bad` gets a 400 as PagerDuty answers a bad key.
 */
export async function startPagerDuty(tls: { key: string; cert: string }) {
  const requests: PagerDutyEvent[] = [];
  const seen = new Set<string>();
  const server = createHttpsServer(tls, async (req, res) => {
    const event = JSON.parse(await bodyOf(req)) as PagerDutyEvent;
    requests.push(event);
    const reply = (status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const p = event.payload;
    const valid =
      req.url === '/v2/enqueue' &&
      event.dedup_key &&
      (event.event_action === 'resolve' ||
        (event.event_action === 'trigger' &&
          p.summary.length <= 1024 &&
          p.source &&
          ['critical', 'error', 'warning', 'info'].includes(p.severity)));
    if (!valid || event.routing_key === 'rk-bad') {
      return reply(400, {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["Length of 'routing_key' is incorrect (should be 32 characters)"],
      });
    }
    if (event.routing_key === 'rk-flaky' && !seen.has(event.dedup_key)) {
      seen.add(event.dedup_key);
      return reply(429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' });
    }
    reply(202, { status: 'success', message: 'Event processed', dedup_key: event.dedup_key });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    requests,
    server: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
