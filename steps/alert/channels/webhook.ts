/**
 * Webhooks: a POST of the incident (its first match, the camera's name, the portal's links) as
 * JSON, signed as Stripe and Slack sign theirs: `X-Vigil-Timestamp` (Unix seconds) and
 * `X-Vigil-Signature: v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>">`, so a receiver that
 * refuses timestamps more than 5 minutes off refuses a replayed request (README, "Verifying a
 * webhook"). `X-Vigil-Delivery` is the same on every repeat of one notification, so a receiver
 * can drop duplicates. The key is the user's secret (`webhookSecretEnv`, default
 * VIGIL_SECRET_<user>_WEBHOOK); without it nothing is sent unsigned.
 *
 * Where it posts: https, or http to loopback; never to a private, link-local or metadata
 * address, checked on every address the host resolves to at connect time (the socket connects
 * to the address that was checked) and again on each redirect (307 and 308 only, which keep the
 * method and body; at most 3). The record keeps the status and, for a refusal, a short excerpt.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Match } from '../../../specs/index.js';
import { addressProblem, urlHost, webhookUrlProblem } from '../../../src/contract/webhook-url.js';
import type { Incident } from '../core.js';
import { httpOutcome, withRetry, type TryResult } from '../retry.js';
import { readCustomerSecret, withoutSecret } from '../secrets.js';
import { displayUrl, type WebhookTarget } from '../targets.js';
import {
  cameraLabel,
  errorMessage,
  localTimeText,
  REQUEST_TIMEOUT_MS,
  type ChannelResult,
  type Env,
  type Notice,
  type PortalLinks,
  type Reply,
} from './channel.js';

export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';
export const DELIVERY_HEADER = 'x-vigil-delivery';

/** How far a receiver should let a timestamp be from its clock. */
export const REPLAY_WINDOW_SECONDS = 300;
/** What a refusal's record keeps of the receiver's answer. */
export const EXCERPT_CHARS = 120;
const MAX_REDIRECTS = 3;

/** What a webhook receives. */
export interface WebhookBody {
  incident: string;
  rule: Incident['rule'];
  camera: string;
  localTime: string;
  links?: PortalLinks;
  match: Match;
}

/** `v1=<hex HMAC-SHA256 over "v1:<timestamp>:<body>">`. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex')}`;
}

/** A receiver's check: the signature matches and the timestamp is within the replay window of `now`. */
export function verifySignature(secret: string, headers: { timestamp: string; signature: string }, body: string, now: number): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > REPLAY_WINDOW_SECONDS) return false;
  const expected = Buffer.from(signature(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A connection Vigil refused to make: a final answer, not a network error. */
class RefusedDestination extends Error {}

/** dns.lookup that fails when any address the host resolves to is one Vigil does not post to. */
function checkedLookup(
  hostname: string,
  options: LookupOptions,
  callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const { address } of addresses) {
      const problem = addressProblem(address);
      if (problem) return callback(new RefusedDestination(`${hostname} resolves to ${problem}`), []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

interface Answer {
  status: number;
  body: string;
  location?: string;
}

function post(url: URL, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: checkedLookup,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 4096) text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, ...(res.headers.location ? { location: res.headers.location } : {}) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The answer's printable start, for a refusal only: a receiver's 2xx body is not kept. */
function excerpt(answer: Answer): string | undefined {
  if (answer.status >= 200 && answer.status < 300) return undefined;
  const printable = answer.body.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return printable.length <= EXCERPT_CHARS ? printable : `${printable.slice(0, EXCERPT_CHARS - 1)}…`;
}

/** Why Vigil will not post to `url`, or undefined; IP literals are checked here, names when resolved. */
function destinationProblem(url: URL): string | undefined {
  const problem = webhookUrlProblem(url.href);
  if (problem) return `${displayUrl(url.href)} ${problem}`;
  const host = urlHost(url);
  if (isIP(host) !== 0 && addressProblem(host)) return `${displayUrl(url.href)} points at ${addressProblem(host)}`;
  return undefined;
}

async function tryPost(
  target: WebhookTarget,
  body: string,
  sign: (timestamp: number) => Record<string, string>,
): Promise<TryResult<Reply>> {
  const messageId = sign(0)[DELIVERY_HEADER];
  let url = new URL(target.url);
  try {
    for (let hop = 0; ; hop++) {
      const problem = destinationProblem(url);
      if (problem) return { outcome: 'final', result: { error: `refused: ${problem}` } };
      const answer = await post(url, body, sign(Math.floor(Date.now() / 1000)));
      if ((answer.status === 307 || answer.status === 308) && answer.location && hop < MAX_REDIRECTS) {
        url = new URL(answer.location, url);
        continue;
      }
      const outcome = answer.status >= 300 && answer.status < 400 ? 'final' : httpOutcome(answer.status);
      const text = excerpt(answer);
      return { outcome, result: { response: { status: answer.status, ...(text !== undefined ? { body: text } : {}), messageId } } };
    }
  } catch (e) {
    if (e instanceof RefusedDestination) return { outcome: 'final', result: { error: `refused: ${e.message}` } };
    const cause = (e as { cause?: unknown }).cause;
    return { outcome: 'retry', result: { error: cause ? `${errorMessage(e)}: ${errorMessage(cause)}` : errorMessage(e) } };
  }
}

/** Posts `payload` to the target, signed with its user's key; `delivery` is the stable delivery id. */
export async function sendWebhookPayload(
  user: string,
  target: WebhookTarget,
  env: Env,
  delivery: string,
  payload: unknown,
): Promise<ChannelResult> {
  const secret = await readCustomerSecret(user, target.secretEnv, 'webhook signing key', env);
  if (!('value' in secret)) return withoutSecret(secret);
  const body = JSON.stringify(payload);
  const sign = (timestamp: number): Record<string, string> => ({
    'content-type': 'application/json',
    'user-agent': 'Vigil-Webhook/1',
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signature(secret.value, timestamp, body),
    [DELIVERY_HEADER]: delivery,
  });
  return withRetry(() => tryPost(target, body, sign));
}

export function sendWebhook(notice: Notice, target: WebhookTarget, env: Env): Promise<ChannelResult> {
  const { incident, links } = notice;
  const payload: WebhookBody = {
    incident: incident.id,
    rule: incident.rule,
    camera: cameraLabel(incident),
    localTime: localTimeText(incident),
    ...(links ? { links } : {}),
    match: incident.firstMatch,
  };
  return sendWebhookPayload(incident.user, target, env, `${incident.id}.${target.key}`, payload);
}
