/** The incidents: the filtered list, one incident's page, and the marks people put on it. */
import { parseIncidentId } from '../contract/incident-id.js';
import { REPOS } from '../contract/repos.js';
import { VigilError } from '../pfs/errors.js';
import type { ServeApp } from '../serve/app.js';
import { customerScope, FEEDBACK_ACTIONS, parseDay, type FeedbackAction } from './core.js';
import { addMark } from './feedback.js';
import { incidentDetail, markedIncident, readAlert } from './incident-detail.js';
import { incidentPage } from './pages/incident.js';
import { INCIDENT_STATES, incidentsPage } from './pages/incidents.js';
import type { PageContext } from './pages/layout.js';
import { findIncident, incidentChoices, listIncidents, type IncidentFilter, type IncidentState } from './queries.js';
import { notFound, PageError, type Ctx, type PortalParts, type SignedIn } from './route-kit.js';

/** The list's filters from the query string; a bad value is refused, naming it. */
function filterOf(c: Ctx): IncidentFilter {
  const q = (name: string) => c.req.query(name) || undefined;
  const filter: IncidentFilter = {};
  if (q('customer')) filter.customer = q('customer')!;
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
  return filter;
}

export function incidentRoutes(app: ServeApp, p: PortalParts, signedIn: SignedIn): void {
  /** The list's choices per alerts commit and scope: they change only with the incidents. */
  let choices: { commit: string; byScope: Map<string | null, ReturnType<typeof incidentChoices>> } = { commit: '', byScope: new Map() };
  const choicesFor = (scope: string | null) => {
    const commit = p.index.commitOf(REPOS.alerts);
    if (choices.commit !== commit) choices = { commit, byScope: new Map() };
    const held = choices.byScope.get(scope) ?? incidentChoices(p.index.db, scope);
    choices.byScope.set(scope, held);
    held.catch(() => choices.byScope.delete(scope));
    return held;
  };

  /** The incident `id` in the viewer's scope, its record read; or 404. */
  const incidentFor = async (ctx: PageContext, id: string) => {
    if (!parseIncidentId(id)) throw notFound('incident');
    const row = await findIncident(p.index.db, customerScope(ctx.viewer), id, p.now());
    const alert = row ? await readAlert(p.store, row) : null;
    if (!row || !alert) throw notFound('incident');
    return { row, alert };
  };

  const showIncident = async (c: Ctx, ctx: PageContext, message: string | null, status: 200 | 409 = 200) => {
    const { row, alert } = await incidentFor(ctx, c.req.param('id') ?? '');
    const offset = Math.max(0, Number(c.req.query('frames') ?? 0) || 0);
    return c.html(incidentPage(ctx, row, await incidentDetail(p.store, row, alert, offset), message), status);
  };

  app.get(
    '/incidents',
    signedIn(async (c, ctx) => {
      const filter = filterOf(c);
      const offset = Math.max(0, Number(c.req.query('offset') ?? 0) || 0);
      const scope = customerScope(ctx.viewer);
      const [list, options] = await Promise.all([listIncidents(p.index.db, scope, filter, offset, p.now()), choicesFor(scope)]);
      return incidentsPage(ctx, filter, options, list.rows, list.total, offset);
    }),
  );

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
        await addMark(p.store, await markedIncident(p.store, row, alert), ctx.viewer, action, (form.note ?? '').trim(), new Date(p.now()));
      } catch (e) {
        if (e instanceof VigilError) return showIncident(c, ctx, e.message, 409);
        throw e;
      }
      await p.index.refresh();
      return c.redirect(`/incidents/${encodeURIComponent(alert.id)}`, 303);
    }),
  );
}
