/**
 * Sessions and forms. A session is a cookie signed with HMAC-SHA256 (hono's signed cookies)
 * under the portal's key, `HttpOnly` (no script reads it), `SameSite=Lax` (no other site's form
 * or fetch carries it; a link in an email still opens the page signed in), `Secure` over HTTPS,
 * and ending after `SESSION_HOURS`. It names the user and carries a random CSRF token that
 * every form of the session must send back; the sign-in form, before any session, has its own
 * token in a signed cookie of its own. The key, `<store>/portal.key`, is made on first use,
 * readable by its owner only; replacing it signs everyone out.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { writeNewFile } from '../pfs/durable.js';

export const SESSION_COOKIE = 'vigil_session';
export const SIGNIN_COOKIE = 'vigil_signin';
export const SESSION_HOURS = 12;

export interface Session {
  user: string;
  csrf: string;
  /** When it ends, ms since the epoch. */
  expires: number;
}

/** The key sessions are signed with: read from `<root>/portal.key`, or made there (mode 0600) on first use. */
export async function sessionKey(root: string): Promise<Buffer> {
  const file = join(root, 'portal.key');
  const read = async () => Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
  try {
    return await read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await writeNewFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first
  }
  return read();
}

const token = () => randomBytes(18).toString('base64url');

/** Whether two tokens are the same, in time that does not depend on where they differ. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  constructor(private readonly key: Buffer) {}

  private options(c: Context, maxAgeSeconds: number) {
    const secure = new URL(c.req.url).protocol === 'https:';
    return { path: '/', httpOnly: true, sameSite: 'Lax' as const, secure, maxAge: maxAgeSeconds };
  }

  /** The request's session, or null: none, forged, or past its end. */
  async read(c: Context, now: number): Promise<Session | null> {
    const value = await getSignedCookie(c, this.key, SESSION_COOKIE);
    if (!value) return null;
    try {
      const session = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Session;
      return typeof session.user === 'string' && typeof session.csrf === 'string' && session.expires > now ? session : null;
    } catch {
      return null;
    }
  }

  /** Starts a session for `user` (a new CSRF token, so nothing from before signing in carries over). */
  async start(c: Context, user: string, now: number): Promise<Session> {
    const session: Session = { user, csrf: token(), expires: now + SESSION_HOURS * 3_600_000 };
    const value = Buffer.from(JSON.stringify(session)).toString('base64url');
    await setSignedCookie(c, SESSION_COOKIE, value, this.key, this.options(c, SESSION_HOURS * 3600));
    deleteCookie(c, SIGNIN_COOKIE, { path: '/' });
    return session;
  }

  end(c: Context): void {
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
  }

  /** The sign-in form's token: the one its cookie holds, or a new one set in that cookie. */
  async signInToken(c: Context): Promise<string> {
    const held = await getSignedCookie(c, this.key, SIGNIN_COOKIE);
    if (held) return held;
    const fresh = token();
    await setSignedCookie(c, SIGNIN_COOKIE, fresh, this.key, this.options(c, 3600));
    return fresh;
  }

  /** Whether a sign-in form's token is the one its cookie holds. */
  async signInTokenMatches(c: Context, sent: string | undefined): Promise<boolean> {
    const held = await getSignedCookie(c, this.key, SIGNIN_COOKIE);
    return sameToken(held || undefined, sent);
  }
}
