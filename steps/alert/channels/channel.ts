/** What every channel shares: the variables it reads and the shape of what it reports. */
import type { CameraName, MatchedObject, ProviderResponse } from '../../../specs/index.js';
import type { Incident } from '../core.js';
import type { Retried } from '../retry.js';

/** The step's environment: where channels find SMTP, servers, routing keys and secrets. */
export type Env = Record<string, string | undefined>;

/** What one request came to: the provider's answer, or why there was none. */
export interface Reply {
  response?: ProviderResponse;
  error?: string;
}

/**
 * A channel's result: its tries; or why it did not try: `skipped` for a target with nothing to
 * send with (no routing key or signing key: recorded for good), `unsent` for a setting that is
 * wrong (a bad VIGIL_SMTP_URL, a refused address: failed, not recorded, so a fix sends it).
 */
export type ChannelResult = Retried<Reply> | { skipped: string } | { unsent: string };

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

/** The camera as people call it: `Front door (Shop, 5th Avenue)`, else its id: `cam1`. */
export function cameraLabel(incident: { device: string; camera?: CameraName }): string {
  const { name, site } = incident.camera ?? {};
  const label = name ?? incident.device;
  return site ? `${label} (${site})` : label;
}

/** The first frame's time on the device's clock, with the weekday: `Wednesday 2026-11-25 23:15:00 EST`. */
export function localTimeText(incident: Incident): string {
  return localTimeAt(incident.timezone, incident.first.capturedAt);
}

/** A UTC time on a clock of `timezone`, with the weekday. */
export function localTimeAt(timezone: string, capturedAt: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'long',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
      .formatToParts(new Date(capturedAt))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** One line that names the incident: the email subject and the PagerDuty summary start with it. */
export function headline(incident: Incident): string {
  const { rule } = incident;
  return `[${rule.severity.toUpperCase()}] ${rule.name} at ${cameraLabel(incident)}, ${localTimeText(incident)}: ${describeObjects(incident.objects)}`;
}

/** The first frame as a pachctl-style reference: `validated@<commit>:/valid/u1-cam1/<ts>.jpg`. */
export function frameRef(incident: Incident): string {
  const { repo, commit, path } = incident.first.frame;
  return `${repo}${commit ? `@${commit}` : ''}:${path}`;
}

/** Where the portal shows the incident, its snapshot and its frame; absent without VIGIL_PUBLIC_URL. */
export interface PortalLinks {
  incident: string;
  frame?: string;
  snapshot?: string;
}

/** What a channel tells a target about an incident: the incident, its snapshot, and the portal's links. */
export interface Notice {
  incident: Incident;
  /** The boxed JPEG; absent when the frame was not in the datum. */
  snapshot?: Buffer;
  links?: PortalLinks;
}
