/**
 * Email with nodemailer: over SMTP when the secret `VIGIL_SMTP_URL` is set, else as an .eml file
 * in the outbox folder (`VIGIL_OUTBOX`, default `<state dir>/outbox`), the embedded default. The
 * Message-ID is derived from the incident and target, so a message repeated after a crash
 * carries the same id and mail clients thread or drop it.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type NodemailerError, type SendMailOptions } from 'nodemailer';
import { html, renderHtml } from '../../../src/render/html.js';
import type { Incident } from '../core.js';
import { stateDir } from '../ledger.js';
import { withRetry, type TryResult } from '../retry.js';
import { readSecret } from '../secrets.js';
import type { EmailTarget } from '../targets.js';
import {
  describeObjects,
  errorMessage,
  frameRef,
  headline,
  localTimeText,
  REQUEST_TIMEOUT_MS,
  type ChannelResult,
  type Env,
  type Reply,
} from './channel.js';

export const DEFAULT_FROM = 'Vigil <vigil@localhost>';

export function messageId(incident: Incident, target: EmailTarget): string {
  return `<${incident.id}.${target.key}@vigil>`;
}

/** The message: rule, severity, device, local time, objects and scores, and where the frame is. */
export function composeEmail(incident: Incident, target: EmailTarget, env: Env): SendMailOptions {
  const { rule, user, device } = incident;
  const rows: [string, string][] = [
    ['Rule', `${rule.name} (rule ${rule.id})`],
    ['Severity', rule.severity],
    ['Device', `${device} of ${user}`],
    ['Local time', localTimeText(incident)],
    ['UTC', incident.first.capturedAt],
    ['Objects', describeObjects(incident.objects)],
    ['Frame', frameRef(incident)],
    ['Incident', incident.id],
  ];
  const note = `Later frames of this incident, until ${rule.cooldownSeconds} s pass without one, are grouped into it and send no further email.`;
  const fetchHint = `vigil get file ${frameRef(incident)} > frame.${incident.first.frame.path.split('.').pop()}`;
  return {
    from: env.VIGIL_MAIL_FROM || DEFAULT_FROM,
    to: target.address,
    subject: headline(incident),
    messageId: messageId(incident, target),
    text: [...rows.map(([k, v]) => `${(`${k}:`).padEnd(12)}${v}`), '', `Fetch the frame: ${fetchHint}`, '', note, ''].join('\n'),
    html: renderHtml(html`<h2>${rule.name}</h2>
<table>${rows.map(([k, v]) => html`\n<tr><th align="left">${k}</th><td>${v}</td></tr>`)}
</table>
<p>Fetch the frame: <code>${fetchHint}</code></p>
<p>${note}</p>`),
  };
}

/** One SMTP send; a reply class 4xx or a lost connection is worth retrying, 5xx is final. */
async function trySmtp(url: string, mail: SendMailOptions): Promise<TryResult<Reply>> {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: REQUEST_TIMEOUT_MS,
    greetingTimeout: REQUEST_TIMEOUT_MS,
    socketTimeout: REQUEST_TIMEOUT_MS,
  });
  try {
    const info = await transport.sendMail(mail);
    const code = Number.parseInt(info.response, 10);
    return {
      outcome: 'ok',
      result: { response: { status: Number.isNaN(code) ? undefined : code, body: info.response, messageId: info.messageId } },
    };
  } catch (e) {
    const err = e as NodemailerError;
    if (err.responseCode === undefined) return { outcome: 'retry', result: { error: errorMessage(e) } };
    return {
      outcome: err.permanent ? 'final' : 'retry',
      result: {
        response: { status: err.responseCode, body: err.response ?? '', messageId: String(mail.messageId) },
        error: errorMessage(e),
      },
    };
  } finally {
    transport.close();
  }
}

/** Renders the message with nodemailer and writes it whole to the outbox (temp file, then rename). */
async function tryOutbox(outbox: string, file: string, mail: SendMailOptions): Promise<TryResult<Reply>> {
  try {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    const info = await transport.sendMail(mail);
    const path = join(outbox, file);
    await mkdir(outbox, { recursive: true });
    await writeFile(`${path}.tmp`, info.message as Buffer);
    await rename(`${path}.tmp`, path);
    return { outcome: 'ok', result: { response: { body: `outbox: ${file}`, messageId: info.messageId } } };
  } catch (e) {
    // A full or read-only disk may recover; a final failure would be recorded for good.
    return { outcome: 'retry', result: { error: errorMessage(e) } };
  }
}

export async function sendEmail(incident: Incident, target: EmailTarget, env: Env): Promise<ChannelResult> {
  const mail = composeEmail(incident, target, env);
  const smtpUrl = await readSecret('VIGIL_SMTP_URL', env);
  if (smtpUrl) return withRetry(() => trySmtp(smtpUrl, mail));
  const outbox = env.VIGIL_OUTBOX || join(stateDir(env), 'outbox');
  return withRetry(() => tryOutbox(outbox, `${incident.id}.${target.key}.eml`, mail));
}
