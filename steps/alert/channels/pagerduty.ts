/**
 * PagerDuty Events API v2 with @pagerduty/pdjs: one `trigger` per incident, `dedup_key` = the
 * incident id, so PagerDuty itself folds a repeat into the open alert even if the ledger is lost;
 * a `resolve` with the same key when a re-run withdraws the incident. With VIGIL_PUBLIC_URL the
 * trigger carries the snapshot (`images`) and a link to the incident (`links`) in the portal.
 * The routing key is the secret the subscription names (readSecret); without it the page is skipped.
 * `VIGIL_PAGERDUTY_SERVER` (host[:port]) replaces events.pagerduty.com, for tests.
 */
import { event } from '@pagerduty/pdjs';
import { DEFAULT_RETRY, httpOutcome, withRetry, type TryResult } from '../retry.js';
import { readCustomerSecret, withoutSecret } from '../secrets.js';
import type { PagerDutyTarget } from '../targets.js';
import {
  cameraLabel,
  describeObjects,
  errorMessage,
  frameRef,
  headline,
  localTimeText,
  MAX_BODY_CHARS,
  REQUEST_TIMEOUT_MS,
  truncate,
  type ChannelResult,
  type Env,
  type Notice,
  type Reply,
} from './channel.js';

type EventParameters = Parameters<typeof event>[0];
type EventPayloadV2 = EventParameters['data'];

/** The Events API's limit on `payload.summary`. */
export const MAX_SUMMARY_CHARS = 1024;

export function pagerDutyEvent(notice: Notice, routingKey: string): EventPayloadV2 {
  const { incident, links } = notice;
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
        camera: cameraLabel(incident),
        rule,
        localTime: localTimeText(incident),
        timezone: incident.timezone,
        objects: incident.objects,
        frame: frameRef(incident),
        match: first.match,
      },
    },
    ...(links
      ? {
          links: [{ href: links.incident, text: 'Incident in Vigil' }],
          ...(links.snapshot ? { images: [{ src: links.snapshot, href: links.incident, alt: describeObjects(incident.objects) }] } : {}),
        }
      : {}),
  };
}

/** The `resolve` that closes the incident's PagerDuty alert: same routing key, same dedup_key. */
export function pagerDutyResolve(incidentId: string, routingKey: string): EventPayloadV2 {
  // The Events API needs no payload for a resolve; pdjs's type asks for one all the same.
  return { routing_key: routingKey, event_action: 'resolve', dedup_key: incidentId } as EventPayloadV2;
}

async function trySend(data: EventPayloadV2, server: string | undefined): Promise<TryResult<Reply>> {
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

/** Sends `event(routingKey)` with the routing key the target names, read only from its user's namespace. */
export async function sendPagerDutyEvent(
  user: string,
  target: PagerDutyTarget,
  env: Env,
  event: (routingKey: string) => EventPayloadV2,
): Promise<ChannelResult> {
  const key = await readCustomerSecret(user, target.routingKeyEnv, 'PagerDuty routing key', env);
  if (!('value' in key)) return withoutSecret(key);
  const data = event(key.value);
  return withRetry(() => trySend(data, env.VIGIL_PAGERDUTY_SERVER || undefined));
}

export function sendPagerDuty(notice: Notice, target: PagerDutyTarget, env: Env): Promise<ChannelResult> {
  return sendPagerDutyEvent(notice.incident.user, target, env, (key) => pagerDutyEvent(notice, key));
}
