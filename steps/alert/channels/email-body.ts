/**
 * An alert email's words and look, pure: the subject, a plain-text part and an HTML part that
 * say the same. The HTML is what mail clients render well: one 600-px table, every style inline
 * (Gmail and Outlook drop <style> blocks and ignore most layout CSS), system fonts, the snapshot
 * as a `cid:` image with a width attribute, and a link as a padded table cell ("bulletproof"
 * button). Markup is written with src/render/html.ts, which escapes every value.
 */
import { html, renderHtml } from '../../../src/render/html.js';
import { cameraLabel, describeObjects, frameRef, headline, localTimeText, type Notice } from './channel.js';

/** The Content-ID of the inline snapshot. */
export const SNAPSHOT_CID = 'snapshot@vigil';

export const SEVERITY_COLORS: Record<string, string> = { critical: '#b3261e', error: '#c2410c', warning: '#a16207', info: '#1d4ed8' };

/** Why the email has no link, when it has none. */
export const NO_PUBLIC_URL = 'This Vigil has no public address (VIGIL_PUBLIC_URL is not set), so this email cannot link to the incident.';

export interface EmailBody {
  subject: string;
  text: string;
  html: string;
}

export function composeEmailBody(notice: Notice): EmailBody {
  const { incident, links, snapshot } = notice;
  const { rule, user, device } = incident;
  const rows: [string, string][] = [
    ['Camera', cameraLabel(incident)],
    ['When', localTimeText(incident)],
    ['Seen', describeObjects(incident.objects)],
    ['Rule', `${rule.name} (rule ${rule.id}, ${rule.severity})`],
    ['Device', `${user}-${device}`],
    ['UTC', incident.first.capturedAt],
    ['Incident', incident.id],
    ['Frame', frameRef(incident)],
  ];
  const grouping = `Later frames of this incident, until ${rule.cooldownSeconds} s pass without one, are grouped into it and send no further email.`;
  const picture = snapshot
    ? 'The snapshot (attached) shows each object that made the rule fire, boxed.'
    : 'No snapshot: the frame was not available to the alert stage.';
  const linkLines = links
    ? [`Open the incident: ${links.incident}`, ...(links.snapshot ? [`Snapshot: ${links.snapshot}`] : [])]
    : [NO_PUBLIC_URL];
  const text = [
    `${rule.name} at ${cameraLabel(incident)}`,
    '',
    ...rows.map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`),
    '',
    picture,
    ...linkLines,
    '',
    grouping,
    '',
  ].join('\n');

  const color = SEVERITY_COLORS[rule.severity] ?? '#374151';
  const font = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
  const body = html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${rule.name}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border:1px solid #e5e7eb;border-radius:8px;${font};color:#111827;">
<tr><td style="background:${color};color:#ffffff;padding:16px 24px;border-radius:8px 8px 0 0;${font};">
<div style="font-size:12px;letter-spacing:1px;text-transform:uppercase;font-weight:bold;">${rule.severity} alert</div>
<div style="font-size:22px;font-weight:bold;line-height:1.3;margin-top:4px;">${rule.name}</div>
<div style="font-size:16px;line-height:1.4;margin-top:2px;">${cameraLabel(incident)} · ${localTimeText(incident)}</div>
</td></tr>
${
  snapshot
    ? html`<tr><td style="padding:0;"><img src="cid:${SNAPSHOT_CID}" width="600" alt="${`Snapshot: ${describeObjects(incident.objects)}`}" style="display:block;width:100%;max-width:600px;height:auto;border:0;"></td></tr>`
    : html`<tr><td style="padding:16px 24px 0;font-size:14px;color:#6b7280;${font};">${picture}</td></tr>`
}
<tr><td style="padding:16px 24px 8px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="font-size:14px;line-height:1.5;${font};">
${rows.map(
  ([k, v]) =>
    html`<tr><td valign="top" style="padding:4px 12px 4px 0;color:#6b7280;white-space:nowrap;width:80px;">${k}</td><td style="padding:4px 0;color:#111827;word-break:break-word;">${v}</td></tr>
`,
)}</table>
</td></tr>
<tr><td style="padding:8px 24px 16px;${font};">
${
  links
    ? html`<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td style="background:${color};border-radius:6px;"><a href="${links.incident}" style="display:inline-block;padding:10px 18px;color:#ffffff;text-decoration:none;font-weight:bold;font-size:15px;${font};">Open the incident</a></td></tr></table>`
    : html`<p style="margin:0;font-size:14px;color:#6b7280;">${NO_PUBLIC_URL}</p>`
}
</td></tr>
<tr><td style="padding:12px 24px 20px;border-top:1px solid #e5e7eb;font-size:12px;color:#6b7280;line-height:1.5;${font};">${snapshot ? html`${picture} ` : ''}${grouping}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;
  return { subject: headline(incident), text, html: renderHtml(body) };
}
