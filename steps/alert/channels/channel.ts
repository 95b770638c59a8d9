/** What every channel shares: the variables it reads and the shape of what it reports. */
import type { MatchedObject, ProviderResponse } from '../../../specs/index.js';
import type { Incident } from '../core.js';
import type { Retried } from '../retry.js';

/** The step's environment: where channels find SMTP, servers, routing keys and secrets. */
export type Env = Record<string, string | undefined>;

/** What one request came to: the provider's answer, or why there was none. */
export interface Reply {
  response?: ProviderResponse;
  error?: string;
}

/** A channel's result: its tries, or why it did not try (no routing key, no secret). */
export type ChannelResult = Retried<Reply> | { skipped: string };

/** Provider bodies can be whole HTML error pages; records keep their start. */
export const MAX_BODY_CHARS = 4096;

/** Requests that hang count as network errors after this long. */
export const REQUEST_TIMEOUT_MS = 10_000;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `person 92% in door, dog 85%`. */
export function describeObjects(objects: MatchedObject[]): string {
  return objects.map((o) => `${o.label} ${Math.round(o.score * 100)}%${o.zone ? ` in ${o.zone}` : ''}`).join(', ');
}

/** The device's local time as people read it: `2026-11-25 23:15:00 (America/New_York)`. */
export function localTimeText(incident: Incident): string {
  const local = incident.first.localTime.replace('T', ' ').replace(/(\.\d+)?([+-]\d{2}:\d{2}|Z)$/, '');
  return `${local} (${incident.timezone})`;
}

/** One line that names the incident: the email subject and the PagerDuty summary start with it. */
export function headline(incident: Incident): string {
  const { rule, user, device } = incident;
  return `[${rule.severity.toUpperCase()}] ${rule.name} on ${user}-${device} at ${localTimeText(incident)}: ${describeObjects(incident.objects)}`;
}

/** The first frame as a pachctl-style reference: `validated@<commit>:/valid/u1-cam1/<ts>.jpg`. */
export function frameRef(incident: Incident): string {
  const { repo, commit, path } = incident.first.frame;
  return `${repo}${commit ? `@${commit}` : ''}:${path}`;
}
