/**
 * Webhooks: a POST of the incident's first match as JSON, signed with HMAC-SHA256 over the
 * exact body bytes (`X-Vigil-Signature: sha256=<hex>`, as GitHub signs). `X-Vigil-Delivery` is
 * the same on every repeat of one notification, so a receiver can drop duplicates. The key is
 * the secret the targets name (`webhookSecretEnv`, default VIGIL_WEBHOOK_SECRET; readSecret);
 * without it nothing is sent unsigned: the delivery is skipped.
 */
import { createHmac } from 'node:crypto';
import type { Match } from '../../../specs/index.js';
import type { Incident } from '../core.js';
import { httpOutcome, withRetry, type TryResult } from '../retry.js';
import { readSecret, secretFile } from '../secrets.js';
import type { WebhookTarget } from '../targets.js';
import { errorMessage, MAX_BODY_CHARS, REQUEST_TIMEOUT_MS, truncate, type ChannelResult, type Env, type Reply } from './channel.js';

export const SIGNATURE_HEADER = 'x-vigil-signature';
export const DELIVERY_HEADER = 'x-vigil-delivery';

/** What a webhook receives. */
export interface WebhookBody {
  incident: string;
  rule: Incident['rule'];
  match: Match;
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function tryPost(url: string, body: string, headers: Record<string, string>): Promise<TryResult<Reply>> {
  const messageId = headers[DELIVERY_HEADER];
  try {
    // A redirect is the receiver's answer, not a new destination for signed data.
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = truncate(await res.text(), MAX_BODY_CHARS);
    return { outcome: httpOutcome(res.status), result: { response: { status: res.status, body: text, messageId } } };
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return { outcome: 'retry', result: { error: cause ? `${errorMessage(e)}: ${errorMessage(cause)}` : errorMessage(e) } };
  }
}

export async function sendWebhook(incident: Incident, target: WebhookTarget, env: Env): Promise<ChannelResult> {
  const secret = await readSecret(target.secretEnv, env);
  if (!secret) return { skipped: `no webhook signing secret in $${target.secretEnv} or ${secretFile(target.secretEnv, env)}` };
  const body = JSON.stringify({ incident: incident.id, rule: incident.rule, match: incident.firstMatch } satisfies WebhookBody);
  const headers = {
    'content-type': 'application/json',
    [SIGNATURE_HEADER]: signature(secret, body),
    [DELIVERY_HEADER]: `${incident.id}.${target.key}`,
  };
  return withRetry(() => tryPost(target.url, body, headers));
}
