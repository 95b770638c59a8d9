/**
 * PagerDuty Events API v2 with @pagerduty/pdjs: one `trigger` per incident, `dedup_key` = the
 * incident id, so PagerDuty itself folds a repeat into the open alert even if the ledger is lost.
 * The routing key is the secret the subscription names (readSecret); without it the page is skipped.
 * `VIGIL_PAGERDUTY_SERVER` (host[:port]) replaces events.pagerduty.com, for tests.
 */
import { event } from '@pagerduty/pdjs';
import type { Incident } from '../core.js';
import { DEFAULT_RETRY, httpOutcome, withRetry, type TryResult } from '../retry.js';
import { readSecret, secretFile } from '../secrets.js';
import type { PagerDutyTarget } from '../targets.js';
import {
  errorMessage,
  frameRef,
  headline,
  MAX_BODY_CHARS,
  REQUEST_TIMEOUT_MS,
  truncate,
  type ChannelResult,
  type Env,
  type Reply,
} from './channel.js';

type EventParameters = Parameters<typeof event>[0];
type EventPayloadV2 = EventParameters['data'];

/** The Events API's limit on `payload.summary`. */
export const MAX_SUMMARY_CHARS = 1024;

export function pagerDutyEvent(incident: Incident, routingKey: string): EventPayloadV2 {
  const { user, device, rule, first } = incident;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: incident.id,
    payload: {
      summary: truncate(headline(incident), MAX_SUMMARY_CHARS),
      source: `${user}-${device}`,
      severity: rule.severity,
      timestamp: first.capturedAt,
      class: rule.name,
      custom_details: {
        incident: incident.id,
        rule,
        localTime: first.localTime,
        timezone: incident.timezone,
        objects: incident.objects,
        frame: frameRef(incident),
        match: first.match,
      },
    },
  };
}

async function tryTrigger(data: EventPayloadV2, server: string | undefined): Promise<TryResult<Reply>> {
  let requests = 0;
  const params = {
    data,
    ...(server ? { server } : {}),
    // pdjs retries a 429 three times by itself; its requests pass through this agent hook, so
    // the record's `attempts` counts each one, and the pause between them is our backoff's first.
    agent: () => {
      requests += 1;
      return undefined;
    },
    retryTimeout: DEFAULT_RETRY.baseDelayMs,
    // pdjs's own "timeout" is a bare timer that holds the process open; node-fetch's `timeout` is real.
    requestTimeout: 0,
    timeout: REQUEST_TIMEOUT_MS,
  };
  try {
    const res = await event(params as EventParameters);
    const body = truncate(JSON.stringify(res.data), MAX_BODY_CHARS);
    const messageId = typeof res.data?.dedup_key === 'string' ? res.data.dedup_key : undefined;
    return { outcome: httpOutcome(res.status), result: { response: { status: res.status, body, messageId } }, requests };
  } catch (e) {
    return { outcome: 'retry', result: { error: errorMessage(e) }, requests: Math.max(requests, 1) };
  }
}

export async function sendPagerDuty(incident: Incident, target: PagerDutyTarget, env: Env): Promise<ChannelResult> {
  const routingKey = await readSecret(target.routingKeyEnv, env);
  if (!routingKey) return { skipped: `no PagerDuty routing key in $${target.routingKeyEnv} or ${secretFile(target.routingKeyEnv, env)}` };
  const data = pagerDutyEvent(incident, routingKey);
  return withRetry(() => tryTrigger(data, env.VIGIL_PAGERDUTY_SERVER || undefined));
}
