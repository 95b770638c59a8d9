/** The incidents list: filters by customer, camera, rule, severity, day and state; a thumbnail of each first frame with its boxes. */
import { framePath, incidentPath } from '../../contract/portal-urls.js';
import { REPOS } from '../../contract/repos.js';
import { SEVERITIES } from '../../render/colors.js';
import { html, type Html } from '../../render/html.js';
import { PAGE_SIZE, type IncidentFilter, type IncidentRow, type IncidentState } from '../queries.js';
import { card, page, query, severityBadge, stateBadge, table, utc, type PageContext } from './layout.js';

export const INCIDENT_STATES: IncidentState[] = ['open', 'acknowledged', 'ended', 'closed', 'false_positive'];

/** The snapshot of an incident (its first frame with the objects boxed), where alerts holds it. */
export function snapshotUrl(row: Pick<IncidentRow, 'commit' | 'snapshot'>): string | null {
  return row.snapshot ? framePath(REPOS.alerts, row.commit, row.snapshot) : null;
}

/** Incidents as rows: thumbnail, when, camera, rule, state, deliveries. */
export function incidentTable(rows: IncidentRow[], showCustomer: boolean): Html {
  return table(
    ['', 'first frame', 'camera', 'rule', 'frames', 'state', 'alerts'],
    rows.map((r) => {
      const thumb = snapshotUrl(r);
      const link = incidentPath(r.id);
      return [
        html`<a href="${link}">${thumb ? html`<img class="thumb" src="${thumb}" alt="${r.id}" loading="lazy">` : html`<span class="empty">no snapshot</span>`}</a>`,
        html`<a href="${link}">${utc(r.firstMs)}</a><div class="mono">${r.id}</div>`,
        html`${showCustomer ? html`<div>${r.user}</div>` : ''}${r.device}${r.cameraName ? html`<div class="sub">${r.cameraName}</div>` : ''}`,
        html`${severityBadge(r.severity)} ${r.ruleName} <span class="sub">#${r.ruleId}</span>`,
        r.frameCount,
        html`${stateBadge(r.state)}${r.markedBy ? html`<div class="sub">${r.markedBy}, ${utc(r.markedMs)}</div>` : ''}`,
        html`${r.sent ? html`<span class="ok">${r.sent} sent</span>` : ''} ${r.failed ? html`<span class="bad">${r.failed} failed</span>` : ''}`,
      ];
    }),
    [false, false, false, false, true, false, false],
  );
}

function select(name: string, label: string, current: string | undefined, options: Array<{ value: string; text: string }>): Html {
  return html`<label>${label}<select name="${name}"><option value="">all</option>${options.map(
    (o) => html`<option value="${o.value}" ${o.value === current ? 'selected' : ''}>${o.text}</option>`,
  )}</select></label>`;
}

export interface IncidentChoices {
  customers: string[];
  cameras: string[];
  rules: Array<{ id: number; name: string }>;
}

export function incidentsPage(
  ctx: PageContext,
  filter: IncidentFilter,
  choices: IncidentChoices,
  rows: IncidentRow[],
  total: number,
  offset: number,
): string {
  const operator = ctx.viewer.role === 'operator';
  const filters = html`<form class="filters" method="get" action="/incidents">
${
  operator
    ? select(
        'customer',
        'customer',
        filter.customer,
        choices.customers.map((c) => ({ value: c, text: c })),
      )
    : ''
}
${select(
  'camera',
  'camera',
  filter.camera,
  choices.cameras.map((c) => ({ value: c, text: c })),
)}
${select(
  'rule',
  'rule',
  filter.rule === undefined ? undefined : String(filter.rule),
  choices.rules.map((r) => ({ value: String(r.id), text: `${r.name} (#${r.id})` })),
)}
${select(
  'severity',
  'severity',
  filter.severity,
  SEVERITIES.map((s) => ({ value: s, text: s })),
)}
<label>day (UTC)<input type="date" name="date" value="${filter.day ?? ''}"></label>
${select(
  'state',
  'state',
  filter.state,
  INCIDENT_STATES.map((s) => ({ value: s, text: s.replace('_', ' ') })),
)}
<button type="submit">Filter</button> <a href="/incidents">clear</a>
</form>`;
  const params = {
    customer: filter.customer,
    camera: filter.camera,
    rule: filter.rule,
    severity: filter.severity,
    date: filter.day,
    state: filter.state,
  };
  const pager = html`<div class="pager">
${offset > 0 ? html`<a href="/incidents${query({ ...params, offset: Math.max(0, offset - PAGE_SIZE) })}">← newer</a>` : ''}
<span>${total === 0 ? 'none' : `${offset + 1}–${offset + rows.length} of ${total}`}</span>
${offset + rows.length < total ? html`<a href="/incidents${query({ ...params, offset: offset + PAGE_SIZE })}">older →</a>` : ''}
</div>`;
  const body = html`<h1>Incidents</h1>
<p class="sub">Each incident is one rule firing on one camera, its frames less than the rule's cooldown apart; it is open until someone closes it or its cooldown passes with no new frame.</p>
${filters}
${card(`${total} incident${total === 1 ? '' : 's'}`, html`${incidentTable(rows, operator)}${pager}`, total === 0 && 'No incident matches.')}`;
  return page(ctx, 'Incidents', body, { live: true });
}
