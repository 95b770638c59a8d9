/**
 * A digest's words, pure: one line per held incident (severity, rule, camera, local time with the
 * weekday), as an email (subject, plain text, HTML in the alert email's style), a PagerDuty
 * trigger (dedup_key the digest id) and a webhook body. Links go to the portal when
 * VIGIL_PUBLIC_URL is set.
 */
import type { IncidentSummary } from '../../../specs/index.js';
import { incidentPath } from '../../../src/contract/portal-urls.js';
import { html, renderHtml } from '../../../src/render/html.js';
import type { Digest } from '../digest-core.js';
import { cameraLabel, localTimeAt, truncate } from './channel.js';
import { NO_PUBLIC_URL, SEVERITY_COLORS } from './email-body.js';
import { MAX_SUMMARY_CHARS, type pagerDutyEvent } from './pagerduty.js';

const SEVERITY_ORDER = ['info', 'warning', 'error', 'critical'];

/** `2026-11-26 04:00–06:00 UTC`. */
function windowText(digest: Digest): string {
  const to = digest.to.slice(11, 16) === '00:00' ? '24:00' : digest.to.slice(11, 16);
  return `${digest.from.slice(0, 10)} ${digest.from.slice(11, 16)}–${to} UTC`;
}

/** `3 alerts held by your limit of 2 email notifications an hour`. */
function heldText(digest: Digest): string {
  const n = digest.incidents.length;
  return `${n} alert${n === 1 ? '' : 's'} held by your limit of ${digest.maxPerHour} ${digest.channel} notification${digest.maxPerHour === 1 ? '' : 's'} an hour`;
}

/** `[CRITICAL] Person after hours at Front door (Shop), Wednesday 2026-11-25 23:15:00 EST`. */
export function incidentLine(incident: IncidentSummary): string {
  return `[${incident.rule.severity.toUpperCase()}] ${incident.rule.name} at ${cameraLabel(incident)}, ${localTimeAt(incident.timezone, incident.firstCapturedAt)}`;
}

export function digestSubject(digest: Digest): string {
  return `Vigil digest: ${heldText(digest)}, ${windowText(digest)}`;
}

export interface DigestEmailBody {
  subject: string;
  text: string;
  html: string;
}

export function composeDigestBody(digest: Digest, base: string | undefined): DigestEmailBody {
  const link = (id: string) => (base ? base + incidentPath(id) : undefined);
  const text = [
    `${heldText(digest)}, ${windowText(digest)}:`,
    '',
    ...digest.incidents.flatMap((i) => [`- ${incidentLine(i)}`, `  incident ${i.id}${link(i.id) ? `: ${link(i.id)}` : ''}`]),
    '',
    base ? 'Each link opens the incident with its snapshot.' : NO_PUBLIC_URL,
    '',
  ].join('\n');
  const font = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
  const body = html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Vigil digest</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;${font};color:#111827;">
<tr><td style="background:#374151;color:#ffffff;padding:16px 24px;border-radius:8px 8px 0 0;${font};">
<div style="font-size:12px;letter-spacing:1px;text-transform:uppercase;font-weight:bold;">Digest · held ${windowText(digest)}</div>
<div style="font-size:20px;font-weight:bold;line-height:1.3;margin-top:4px;">${heldText(digest)}</div>
</td></tr>
<tr><td style="padding:16px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="font-size:14px;line-height:1.5;${font};">
${digest.incidents.map((i) => {
  const href = link(i.id);
  const color = SEVERITY_COLORS[i.rule.severity] ?? '#374151';
  return html`<tr><td valign="top" style="padding:6px 12px 6px 0;white-space:nowrap;"><span style="color:${color};font-weight:bold;font-size:12px;text-transform:uppercase;">${i.rule.severity}</span></td><td style="padding:6px 0;word-break:break-word;"><strong>${i.rule.name}</strong> at ${cameraLabel(i)}<br><span style="color:#6b7280;">${localTimeAt(i.timezone, i.firstCapturedAt)}</span>${href ? html` · <a href="${href}" style="color:#1d4ed8;">open</a>` : ''}</td></tr>
`;
})}</table>
</td></tr>
<tr><td style="padding:12px 24px 20px;border-top:1px solid #e5e7eb;font-size:12px;color:#6b7280;line-height:1.5;${font};">${base ? 'Each link opens the incident with its snapshot.' : NO_PUBLIC_URL}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;
  return { subject: digestSubject(digest), text, html: renderHtml(body) };
}

type EventPayloadV2 = ReturnType<typeof pagerDutyEvent>;

/** One trigger for the digest: its highest severity, each incident in custom_details. */
export function pagerDutyDigestEvent(digest: Digest, routingKey: string, base: string | undefined): EventPayloadV2 {
  const severity = digest.incidents.map((i) => i.rule.severity).sort((a, b) => SEVERITY_ORDER.indexOf(b) - SEVERITY_ORDER.indexOf(a))[0];
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: digest.id,
    payload: {
      summary: truncate(`${digestSubject(digest)}: ${digest.incidents.map(incidentLine).join('; ')}`, MAX_SUMMARY_CHARS),
      source: digest.user,
      severity: (severity ?? 'info') as EventPayloadV2['payload']['severity'],
      timestamp: digest.to,
      class: 'digest',
      custom_details: {
        digest: digest.id,
        from: digest.from,
        to: digest.to,
        incidents: digest.incidents.map((i) => ({ incident: i.id, line: incidentLine(i) })),
      },
    },
    ...(base ? { links: digest.incidents.map((i) => ({ href: base + incidentPath(i.id), text: truncate(incidentLine(i), 200) })) } : {}),
  };
}

/** What a webhook receives for a digest. */
export function webhookDigestBody(digest: Digest, base: string | undefined): unknown {
  return {
    digest: digest.id,
    from: digest.from,
    to: digest.to,
    maxPerHour: digest.maxPerHour,
    incidents: digest.incidents.map((i) => ({
      incident: i.id,
      rule: i.rule,
      camera: cameraLabel(i),
      localTime: localTimeAt(i.timezone, i.firstCapturedAt),
      ...(base ? { link: base + incidentPath(i.id) } : {}),
    })),
  };
}
