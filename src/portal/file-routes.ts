/** Files from the store: frames and snapshots by repo, commit and path, and the daily reports as the reports pipeline wrote them. */
import { readFile } from 'node:fs/promises';
import { parseSource } from '../contract/frame-path.js';
import { sniffFormat } from '../contract/image-format.js';
import { REPOS } from '../contract/repos.js';
import { describeExpiry } from '../engine/store/expiry.js';
import type { ServeApp } from '../serve/app.js';
import { customerScope, maySeeFile, parseDay } from './core.js';
import type { PageContext } from './pages/layout.js';
import { noReportsPage, reportPage } from './pages/reports.js';
import { dailyReports } from './reports.js';
import { notFound, PageError, type Ctx, type PortalParts, type SignedIn } from './route-kit.js';

/** `/frames/<repo>@<ref>/<path>` as framePath writes it (src/contract/portal-urls.ts), decoded; null when it is none. */
function frameAddress(path: string): { repo: string; ref: string; path: string } | null {
  const m = /^\/frames\/([^/@]+)@([^/]+)(\/.+)$/.exec(path);
  if (!m) return null;
  try {
    return { repo: decodeURIComponent(m[1]!), ref: decodeURIComponent(m[2]!), path: m[3]!.split('/').map(decodeURIComponent).join('/') };
  } catch {
    return null;
  }
}

export function fileRoutes(app: ServeApp, p: PortalParts, signedIn: SignedIn): void {
  app.get(
    '/frames/*',
    signedIn(async (c, ctx) => {
      const address = frameAddress(c.req.path);
      // The viewer's right to the path is decided before the store is asked anything.
      if (!address || !maySeeFile(ctx.viewer, address.repo, address.path)) throw notFound('file');
      const commit = await p.store.resolveCommit(address.repo, address.ref).catch(() => null);
      const entry = commit ? await p.store.fileAt(address.repo, commit.id, address.path) : null;
      if (!commit || !entry) throw notFound('file');
      const bytes = await readFile(p.store.objectPath(entry.sha256)).catch(async (e: NodeJS.ErrnoException) => {
        // A frame past its retention, or erased: gone for good, and the page says why.
        const expired = e.code === 'ENOENT' ? await p.store.expiry.get(entry.sha256) : null;
        if (expired) throw new PageError(410, `this picture ${describeExpiry(expired)}`);
        throw e;
      });
      const format = sniffFormat(bytes.subarray(0, 12));
      if (format !== 'jpeg' && format !== 'png' && format !== 'webp') throw notFound('frame');
      c.header('Content-Type', `image/${format}`);
      // A commit's file never changes; a branch's may. Either way it is this viewer's only.
      c.header('Cache-Control', commit.id === address.ref ? 'private, max-age=31536000, immutable' : 'private, no-cache');
      c.header('ETag', `"${entry.sha256}"`);
      return c.body(bytes);
    }),
  );

  /** The customer whose version of the reports the viewer sees: their own, or for an operator the one asked for (every customer's by default). */
  const reportScope = (c: Ctx, ctx: PageContext): string | null => {
    const asked = c.req.query('customer') || null;
    if (asked !== null && 'error' in parseSource(`${asked}-x`)) {
      throw new PageError(400, `customer=${asked}: a customer is the <user> of <user>-<device>`);
    }
    return customerScope(ctx.viewer) ?? asked;
  };

  app.get(
    '/reports',
    signedIn(async (c, ctx) => {
      const customer = reportScope(c, ctx);
      const { days } = await dailyReports(p.store, customer);
      const asked = parseDay(c.req.query('day'));
      const day = asked && days.includes(asked) ? asked : days.at(-1);
      if (!day) return noReportsPage(ctx);
      const keep = customer && ctx.viewer.role === 'operator' ? `?customer=${encodeURIComponent(customer)}` : '';
      return c.redirect(`/reports/${day}${keep}`, 303);
    }),
  );

  app.get(
    '/reports/:day',
    signedIn(async (c, ctx) => {
      const day = parseDay(c.req.param('day'));
      const customer = reportScope(c, ctx);
      const reports = await dailyReports(p.store, customer);
      if (!day || !reports.page(day)) throw notFound('report for that day');
      const versions =
        ctx.viewer.role === 'operator'
          ? (await p.store.listFiles(REPOS.reports, reports.commit)).map((f) => /^\/daily\/[^/]+\/([^/]+)\.html$/.exec(f.path)?.[1])
          : [];
      const customers = [...new Set(versions.filter((u): u is string => u !== undefined))].sort();
      return reportPage(ctx, day, reports.days, customer ?? undefined, customers);
    }),
  );

  app.get(
    '/reports/:day/page',
    signedIn(async (c, ctx) => {
      const day = parseDay(c.req.param('day'));
      const entry = day ? (await dailyReports(p.store, reportScope(c, ctx))).page(day) : null;
      if (!entry) throw notFound('report for that day');
      // The stored page is shown as it is, in a frame that may not run scripts or load anything.
      c.header('Content-Security-Policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
      return c.html(await readFile(p.store.objectPath(entry.sha256), 'utf8'));
    }),
  );
}
