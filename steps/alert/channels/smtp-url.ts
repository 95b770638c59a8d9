/**
 * `VIGIL_SMTP_URL` read as SMTP settings. The URL is parsed here, with the WHATWG parser, and
 * nodemailer gets host, port and credentials as fields: given the URL itself, nodemailer parses
 * it with the legacy `url.parse`, whose deprecation warning prints the whole URL, password
 * included, to the job log. A bad URL is one error that names the variable and shows the URL
 * with its password masked.
 */
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { VigilError } from '../../../src/pfs/errors.js';
import { maskedUrl } from '../secrets.js';

export const SMTP_URL_SECRET = 'VIGIL_SMTP_URL';

/** The transport options `VIGIL_SMTP_URL` stands for; VigilError when it is not an smtp:// or smtps:// URL. */
export function smtpOptions(text: string): SMTPTransport.Options {
  const bad = (why: string): never => {
    throw new VigilError(
      `${SMTP_URL_SECRET} (${maskedUrl(text)}) is not a valid SMTP URL: ${why}; write smtp://user:password@host:587 or smtps://user:password@host:465`,
    );
  };
  const port = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*?:([^/?#@:]*)(?:[/?#]|$)/.exec(text)?.[1];
  if (port !== undefined && !/^\d{1,5}$/.test(port)) bad(`the port "${port}" is not a number`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad('it does not parse as a URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') bad(`the scheme is ${url.protocol.slice(0, -1)}, not smtp or smtps`);
  if (!url.hostname) bad('it names no host');
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
  };
}
