/**
 * Email with nodemailer: over SMTP when the secret `VIGIL_SMTP_URL` is set, else as an .eml file
 * in the outbox folder (`VIGIL_OUTBOX`, default `<state dir>/outbox`), the embedded default. The
 * Message-ID is derived from the incident and target, so a message repeated after a crash
 * carries the same id and mail clients thread or drop it. The snapshot goes inline (`cid:`) and
 * as an attachment.
 */
import { join } from 'node:path';
import nodemailer, { type NodemailerError, type SendMailOptions } from 'nodemailer';
import { VigilError } from '../../../src/pfs/errors.js';
import { atomicWriteFile } from '../../../src/pfs/durable.js';
import { stateDir } from '../ledger/ledger.js';
import { withRetry, type TryResult } from '../retry.js';
import { readSecret } from '../secrets.js';
import type { EmailTarget } from '../targets.js';
import { errorMessage, REQUEST_TIMEOUT_MS, type ChannelResult, type Env, type Notice, type Reply } from './channel.js';
import { composeEmailBody, SNAPSHOT_CID } from './email-body.js';
import { SMTP_URL_SECRET, smtpOptions } from './smtp-url.js';

export const DEFAULT_FROM = 'Vigil <vigil@localhost>';

export function messageId(incidentId: string, target: EmailTarget): string {
  return `<${incidentId}.${target.key}@vigil>`;
}

/** The sender: `VIGIL_MAIL_FROM` (`Name <address>` or an address), else DEFAULT_FROM. */
export function mailFrom(env: Env): string {
  return env.VIGIL_MAIL_FROM?.trim() || DEFAULT_FROM;
}

/** The whole message: subject, plain text, HTML, and the snapshot inline and attached. */
export function composeEmail(notice: Notice, target: EmailTarget, env: Env): SendMailOptions {
  const { incident, snapshot } = notice;
  const body = composeEmailBody(notice);
  const filename = `${incident.id}.jpg`;
  return {
    from: mailFrom(env),
    to: target.address,
    subject: body.subject,
    messageId: messageId(incident.id, target),
    text: body.text,
    html: body.html,
    ...(snapshot
      ? {
          attachments: [
            { filename, content: snapshot, contentType: 'image/jpeg', cid: SNAPSHOT_CID, contentDisposition: 'inline' as const },
            { filename, content: snapshot, contentType: 'image/jpeg', contentDisposition: 'attachment' as const },
          ],
        }
      : {}),
  };
}

let reportedBadUrl = false;

/** The SMTP settings, or the error a bad VIGIL_SMTP_URL is (printed once per process to the log). */
async function smtpSettings(env: Env): Promise<ReturnType<typeof smtpOptions> | { error: string } | undefined> {
  const url = await readSecret(SMTP_URL_SECRET, env);
  if (!url) return undefined;
  try {
    return smtpOptions(url);
  } catch (e) {
    if (!(e instanceof VigilError)) throw e;
    if (!reportedBadUrl) process.stderr.write(`alert: ${e.message}; no email is sent until it is fixed\n`);
    reportedBadUrl = true;
    return { error: e.message };
  }
}

/** One SMTP send; a reply class 4xx or a lost connection is worth retrying, 5xx is final. */
async function trySmtp(options: ReturnType<typeof smtpOptions>, mail: SendMailOptions): Promise<TryResult<Reply>> {
  const transport = nodemailer.createTransport({
    ...options,
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

/** Renders the message with nodemailer and writes it whole and durably to the outbox before the ledger may say "sent". */
async function tryOutbox(outbox: string, file: string, mail: SendMailOptions): Promise<TryResult<Reply>> {
  try {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    const info = await transport.sendMail(mail);
    await atomicWriteFile(join(outbox, file), info.message as Buffer);
    return { outcome: 'ok', result: { response: { body: `outbox: ${file}`, messageId: info.messageId } } };
  } catch (e) {
    // A full or read-only disk may recover; a final failure would be recorded for good.
    return { outcome: 'retry', result: { error: errorMessage(e) } };
  }
}

/** Sends `mail` over SMTP or to the outbox; `file` names its .eml there. */
export async function sendMail(mail: SendMailOptions, file: string, env: Env): Promise<ChannelResult> {
  const smtp = await smtpSettings(env);
  if (smtp && 'error' in smtp) return { unsent: smtp.error };
  if (smtp) return withRetry(() => trySmtp(smtp, mail));
  const outbox = env.VIGIL_OUTBOX || join(stateDir(env), 'outbox');
  return withRetry(() => tryOutbox(outbox, file, mail));
}

export function sendEmail(notice: Notice, target: EmailTarget, env: Env): Promise<ChannelResult> {
  return sendMail(composeEmail(notice, target, env), `${notice.incident.id}.${target.key}.eml`, env);
}
