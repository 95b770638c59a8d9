/**
 * The portal's routes on `vigil serve`'s app: sign-in, the pages, the feedback form, and the
 * files of frames and snapshots at the addresses alerts link to. Every page goes through
 * `signedIn`, which finds the viewer from the session (or sends the browser to sign in), checks
 * the CSRF token of every form, and sets the security headers; every query and file is then
 * held to the viewer's customer, and whatever another customer owns answers exactly as what
 * does not exist (404), so no address tells one customer anything about another.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Context } from 'hono';
import { parseIncidentId } from '../contract/incident-id.js';
import { sniffFormat } from '../contract/image-format.js';
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import type { RouteGroup, ServeEnv } from '../serve/app.js';
import {
  customerScope,
  dayOf,
  FEEDBACK_ACTIONS,
  localPath,
  maySeeCamera,
  maySeeFile,
  parseDay,
  type FeedbackAction,
  type Viewer,
} from './core.js';
import { addMark } from './feedback.js';
import { incidentDetail, markedIncident, readAlert } from './incident-detail.js';
import { cameraPage, camerasPage } from './pages/cameras.js';
import { incidentPage } from './pages/incident.js';
import { INCIDENT_STATES, incidentsPage } from './pages/incidents.js';
import { utc, type PageContext } from './pages/layout.js';
import { overviewPage } from './pages/overview.js';
import { pipelinesPage } from './pages/pipelines.js';
import { noReportsPage, reportPage } from './pages/reports.js';
import { bareErrorPage, errorPage, signInPage } from './pages/signin.js';
import { pipelineStatuses, type JobHistory, type LiveJob } from './pipelines.js';
import type { PortalIndex } from './portal-index.js';
import {
  cameraDays,
  cameraSilent,
  findIncident,
  incidentChoices,
  listCameras,
  listIncidents,
  overview,
  type IncidentFilter,
  type IncidentState,
} from './queries.js';
import { dailyReports } from './reports.js';
import type { Sessions } from './session.js';
import { sameToken } from './session.js';
import type { UserDirectory } from './users.js';
import { html } from '../render/html.js';

export interface PortalRoutesOptions {
  store: Store;
  index: PortalIndex;
  users: UserDirectory;
  sessions: Sessions;
  jobs: JobHistory;
  /** The job the server runs now, if any (null without pipelines). */
  liveJob(): LiveJob | null;
  log(line: string): void;
  now(): number;
}

type Ctx = Context<ServeEnv>;
type Form = Record<string, string>;

/** Thrown by a handler to answer with the error page. */
class PageError extends Error {
  constructor(
    readonly status: 404 | 403 | 400 | 409,
    message: string,
  ) {
    super(message);
  }
}

const NOT_FOUND = (what: string) => new PageError(404, `There is no ${what} here that you may see.`);

function securityHeaders(c: Ctx, nonce: string): void {
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'`,
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
}

export function portalRoutes(p: PortalRoutesOptions): RouteGroup {
  /** The incidents list's choices per alerts commit and scope: they change only with the incidents. */
  let choices: { commit: string; byScope: Map<string | null, ReturnType<typeof incidentChoices>> } = { commit: '', byScope: new Map() };
  const choicesFor = (scope: string | null) => {
    const commit = p.index.commitOf(REPOS.alerts);
    if (choices.commit !== commit) choices = { commit, byScope: new Map() };
    const held = choices.byScope.get(scope) ?? incidentChoices(p.index.db, scope);
    choices.byScope.set(scope, held);
    return held;
  };
  const camerasOf = (viewer: Viewer, today: string) => listCameras(p.index.db, p.index.cameras, customerScope(viewer), today);

  /** Wraps a page's handler: the viewer from the session, the CSRF check of forms, headers, and the error pages. */
  const signedIn =
    (handler: (c: Ctx, ctx: PageContext, form: Form) => Promise<Response | string>, opts: { operatorOnly?: boolean } = {}) =>
    async (c: Ctx): Promise<Response> => {
      const nonce = randomBytes(16).toString('base64');
      securityHeaders(c, nonce);
      const now = p.now();
      const session = await p.sessions.read(c, now);
      const viewer = session ? p.users.viewer(session.user) : null;
      if (!session || !viewer) {
        if (c.req.method === 'GET') return c.redirect(`/signin?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`, 303);
        return c.html(bareErrorPage(401, 'Your session has ended: sign in again.'), 401);
      }
      const ctx: PageContext = { viewer, csrf: session.csrf, nonce, version: p.index.version, path: c.req.path };
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

  const asOf = () => {
    const warehouse = p.index.commitOf(REPOS.warehouse);
    const alerts = p.index.commitOf(REPOS.alerts);
    return html`threats and frames from warehouse@<span class="mono">${warehouse ? warehouse.slice(0, 12) : '(none yet)'}</span>, incidents from alerts@<span class="mono">${alerts ? alerts.slice(0, 12) : '(none yet)'}</span> · drawn ${utc(p.now())}`;
  };

  return (app) => {
    app.get('/signin', async (c) => {
      securityHeaders(c, randomBytes(16).toString('base64'));
      return c.html(signInPage(await p.sessions.signInToken(c), localPath(c.req.query('next')), null));
    });

    app.post('/signin', async (c) => {
      securityHeaders(c, randomBytes(16).toString('base64'));
      const form = await c.req.parseBody();
      const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
      if (!(await p.sessions.signInTokenMatches(c, field('_csrf')))) {
        return c.html(
          bareErrorPage(403, 'This sign-in form is not from this site (its CSRF token is wrong or missing); open it again.'),
          403,
        );
      }
      const next = localPath(field('next'));
      const viewer = await p.users.signIn(field('name'), field('password'));
      if (!viewer) return c.html(signInPage(await p.sessions.signInToken(c), next, 'Wrong name or password.'), 401);
      await p.sessions.start(c, viewer.name, p.now());
      return c.redirect(next, 303);
    });

    app.post(
      '/signout',
      signedIn(async (c) => {
        p.sessions.end(c);
        return c.redirect('/signin', 303);
      }),
    );

    app.get(
      '/portal/version',
      signedIn(async (c) => c.json({ version: p.index.version })),
    );

    app.get(
      '/',
      signedIn(async (c, ctx) => {
        const now = p.now();
        const today = dayOf(now);
        const asked = c.req.query('day');
        const day = asked === undefined || asked === '' ? today : parseDay(asked);
        if (!day) throw new PageError(400, `day=${asked}: write the day as YYYY-MM-DD, e.g. ${today}`);
        const scope = customerScope(ctx.viewer);
        const silent = p.index.cameras.filter((cam) => maySeeCamera(ctx.viewer, `${cam.user}-${cam.device}`) && cameraSilent(cam, now));
        return overviewPage(ctx, await overview(p.index.db, scope, day, now), today, silent.length, asOf());
      }),
    );

    app.get(
      '/incidents',
      signedIn(async (c, ctx) => {
        const q = (name: string) => c.req.query(name) || undefined;
        const filter: IncidentFilter = {};
        const customer = q('customer');
        if (customer) filter.customer = customer;
        if (q('camera')) filter.camera = q('camera')!;
        if (q('rule')) {
          if (!/^-?\d+$/.test(q('rule')!)) throw new PageError(400, `rule=${q('rule')}: give a rule's number`);
          filter.rule = Number(q('rule'));
        }
        if (q('severity')) filter.severity = q('severity')!;
        if (q('date')) {
          const day = parseDay(q('date'));
          if (!day) throw new PageError(400, `date=${q('date')}: write the day as YYYY-MM-DD`);
          filter.day = day;
        }
        if (q('state')) {
          if (!INCIDENT_STATES.includes(q('state') as IncidentState))
            throw new PageError(400, `state=${q('state')}: one of ${INCIDENT_STATES.join(', ')}`);
          filter.state = q('state') as IncidentState;
        }
        const offset = Math.max(0, Number(q('offset') ?? 0) || 0);
        const scope = customerScope(ctx.viewer);
        const [list, options] = await Promise.all([listIncidents(p.index.db, scope, filter, offset, p.now()), choicesFor(scope)]);
        return incidentsPage(ctx, filter, options, list.rows, list.total, offset);
      }),
    );

    /** The incident `id` in the viewer's scope, its record read; or 404. */
    const incidentFor = async (ctx: PageContext, id: string) => {
      if (!parseIncidentId(id)) throw NOT_FOUND('incident');
      const row = await findIncident(p.index.db, customerScope(ctx.viewer), id, p.now());
      const alert = row ? await readAlert(p.store, row) : null;
      if (!row || !alert) throw NOT_FOUND('incident');
      return { row, alert };
    };

    const showIncident = async (c: Ctx, ctx: PageContext, message: string | null, status: 200 | 409 = 200) => {
      const { row, alert } = await incidentFor(ctx, c.req.param('id') ?? '');
      const offset = Math.max(0, Number(c.req.query('frames') ?? 0) || 0);
      return c.html(incidentPage(ctx, row, await incidentDetail(p.store, row, alert, offset), message), status);
    };

    app.get(
      '/incidents/:id',
      signedIn((c, ctx) => showIncident(c, ctx, null)),
    );

    app.post(
      '/incidents/:id/feedback',
      signedIn(async (c, ctx, form) => {
        const { row, alert } = await incidentFor(ctx, c.req.param('id') ?? '');
        const action = form.action as FeedbackAction;
        if (!FEEDBACK_ACTIONS.includes(action))
          throw new PageError(400, `action=${form.action ?? ''}: one of ${FEEDBACK_ACTIONS.join(', ')}`);
        try {
          await addMark(
            p.store,
            await markedIncident(p.store, row, alert),
            ctx.viewer,
            action,
            (form.note ?? '').trim(),
            new Date(p.now()),
          );
        } catch (e) {
          if (e instanceof VigilError) return showIncident(c, ctx, e.message, 409);
          throw e;
        }
        await p.index.refresh();
        return c.redirect(`/incidents/${encodeURIComponent(alert.id)}`, 303);
      }),
    );

    app.get(
      '/frames/*',
      signedIn(async (c, ctx) => {
        const m = /^\/frames\/([^/@]+)@([^/]+)(\/.+)$/.exec(c.req.path);
        if (!m) throw NOT_FOUND('file');
        let repo: string;
        let ref: string;
        let path: string;
        try {
          [repo, ref, path] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), m[3]!.split('/').map(decodeURIComponent).join('/')];
        } catch {
          throw NOT_FOUND('file');
        }
        if (!maySeeFile(ctx.viewer, repo, path)) throw NOT_FOUND('file');
        const commit = await p.store.resolveCommit(repo, ref).catch(() => null);
        const entry = commit ? (await p.store.listFiles(repo, commit.id)).find((f) => f.path === path) : undefined;
        if (!commit || !entry) throw NOT_FOUND('file');
        const bytes = await readFile(p.store.objectPath(entry.sha256));
        const format = sniffFormat(bytes.subarray(0, 12));
        if (format !== 'jpeg' && format !== 'png' && format !== 'webp') throw NOT_FOUND('frame');
        c.header('Content-Type', `image/${format}`);
        // A commit's file never changes; a branch's may. Either way it is this viewer's only.
        c.header('Cache-Control', commit.id === ref ? 'private, max-age=31536000, immutable' : 'private, no-cache');
        c.header('ETag', `"${entry.sha256}"`);
        return c.body(bytes);
      }),
    );

    /** The customer whose version of the reports the viewer sees: their own, or for an operator the one asked for (every customer's by default). */
    const reportScope = (c: Ctx, ctx: PageContext): string | null => customerScope(ctx.viewer) ?? (c.req.query('customer') || null);

    app.get(
      '/reports',
      signedIn(async (c, ctx) => {
        const customer = reportScope(c, ctx);
        const { days } = await dailyReports(p.store, customer);
        const asked = parseDay(c.req.query('day'));
        const day = asked && days.includes(asked) ? asked : days.at(-1);
        if (!day) return noReportsPage(ctx);
        return c.redirect(
          `/reports/${day}${customer && ctx.viewer.role === 'operator' ? `?customer=${encodeURIComponent(customer)}` : ''}`,
          303,
        );
      }),
    );

    app.get(
      '/reports/:day',
      signedIn(async (c, ctx) => {
        const day = parseDay(c.req.param('day'));
        const customer = reportScope(c, ctx);
        const reports = await dailyReports(p.store, customer);
        if (!day || !reports.page(day)) throw NOT_FOUND('report for that day');
        const customers =
          ctx.viewer.role === 'operator'
            ? [
                ...new Set(
                  (await p.store.listFiles(REPOS.reports, reports.commit))
                    .map((f) => /^\/daily\/[^/]+\/([^/]+)\.html$/.exec(f.path)?.[1])
                    .filter((u): u is string => u !== undefined),
                ),
              ].sort()
            : [];
        return reportPage(ctx, day, reports.days, customer ?? undefined, customers);
      }),
    );

    app.get(
      '/reports/:day/page',
      signedIn(async (c, ctx) => {
        const day = parseDay(c.req.param('day'));
        const entry = day ? (await dailyReports(p.store, reportScope(c, ctx))).page(day) : null;
        if (!entry) throw NOT_FOUND('report for that day');
        // The stored page is shown as it is, in a frame that may not run scripts or load anything.
        c.header(
          'Content-Security-Policy',
          "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
        );
        return c.html(await readFile(p.store.objectPath(entry.sha256), 'utf8'));
      }),
    );

    app.get(
      '/cameras',
      signedIn(async (_c, ctx) => {
        const now = p.now();
        const today = dayOf(now);
        return camerasPage(ctx, await camerasOf(ctx.viewer, today), now, today);
      }),
    );

    app.get(
      '/cameras/:source',
      signedIn(async (c, ctx) => {
        const source = c.req.param('source') ?? '';
        const now = p.now();
        const camera = maySeeCamera(ctx.viewer, source)
          ? (await camerasOf(ctx.viewer, dayOf(now))).find((cam) => `${cam.user}-${cam.device}` === source)
          : undefined;
        if (!camera) throw NOT_FOUND('camera');
        return cameraPage(ctx, camera, await cameraDays(p.index.db, camera.user, camera.device, 14), now);
      }),
    );

    app.get(
      '/pipelines',
      signedIn(async (_c, ctx) => pipelinesPage(ctx, await pipelineStatuses(p.store, p.jobs, p.liveJob()), p.now()), {
        operatorOnly: true,
      }),
    );
  };
}
