/**
 * What every page route of the portal shares: the parts it reads, and `signedIn`, the wrapper
 * that finds the viewer from the session (or sends the browser to sign in), checks the CSRF token
 * of every form, sets the security headers, and turns a refusal into its error page.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import type { Store } from '../engine/store/store.js';
import type { ServeEnv } from '../serve/app.js';
import type { PageContext } from './pages/layout.js';
import { bareErrorPage, errorPage } from './pages/signin.js';
import type { JobHistory, LiveJob } from './pipelines.js';
import type { PortalIndex } from './portal-index.js';
import { sameToken, type Sessions } from './session.js';
import type { UserDirectory } from './users.js';

export interface PortalParts {
  store: Store;
  index: PortalIndex;
  users: UserDirectory;
  sessions: Sessions;
  jobs: JobHistory;
  /** The job the server runs now, if any (null without pipelines). */
  /** The pipeline's job running in this server now, if any. */
  liveJob(pipeline: string): LiveJob | null;
  /** Why the collector refuses frames now (free disk space under its threshold), or null. */
  diskLow(): string | null;
  log(line: string): void;
  now(): number;
}

export type Ctx = Context<ServeEnv>;
/** A form's fields (text fields only). */
export type Form = Record<string, string>;
export type PageHandler = (c: Ctx, ctx: PageContext, form: Form) => Promise<Response | string>;
export type SignedIn = (handler: PageHandler, opts?: { operatorOnly?: boolean }) => (c: Ctx) => Promise<Response>;

/** Thrown by a handler to answer with the error page. */
export class PageError extends Error {
  constructor(
    readonly status: 404 | 403 | 400 | 409 | 410,
    message: string,
  ) {
    super(message);
  }
}

/** The one answer for what does not exist and for what is another customer's. */
export const notFound = (what: string) => new PageError(404, `There is no ${what} here that you may see.`);

/** Headers of every page: no script but the page's own (by nonce), nothing from elsewhere, not kept by caches. Returns the nonce. */
export function securityHeaders(c: Ctx): string {
  const nonce = randomBytes(16).toString('base64');
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'`,
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
  return nonce;
}

export function signedInWith(p: PortalParts): SignedIn {
  return (handler, opts = {}) =>
    async (c) => {
      const nonce = securityHeaders(c);
      const session = await p.sessions.read(c, p.now());
      const viewer = session ? p.users.viewer(session.user) : null;
      if (!session || !viewer) {
        if (c.req.method === 'GET') return c.redirect(`/signin?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`, 303);
        return c.html(bareErrorPage(401, 'Your session has ended: sign in again.'), 401);
      }
      const diskLow = p.diskLow();
      const ctx: PageContext = {
        viewer,
        csrf: session.csrf,
        nonce,
        version: p.index.version,
        path: c.req.path,
        ...(diskLow ? { diskLow } : {}),
      };
      try {
        let form: Form = {};
        if (c.req.method === 'POST') {
          form = Object.fromEntries(Object.entries(await c.req.parseBody()).filter(([, v]) => typeof v === 'string')) as Form;
          if (!sameToken(form._csrf, session.csrf))
            throw new PageError(403, 'This form is not from this session (its CSRF token is wrong or missing); open the page again.');
        }
        if (opts.operatorOnly && viewer.role !== 'operator') throw new PageError(403, 'Only operators may see this page.');
        const answer = await handler(c, ctx, form);
        return typeof answer === 'string' ? c.html(answer) : answer;
      } catch (e) {
        if (e instanceof PageError) return c.html(errorPage(ctx, e.status, e.message), e.status);
        p.log(`portal: ${c.req.method} ${c.req.path}: ${(e as Error).stack ?? String(e)}`);
        return c.html(errorPage(ctx, 500, 'The page could not be made; the server log says why.'), 500);
      }
    };
}
