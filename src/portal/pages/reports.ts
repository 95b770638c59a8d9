/** A day's report inside the portal, with the days before and after; a customer's is their own version. */
import { html } from '../../render/html.js';
import { card, page, query, type PageContext } from './layout.js';

export function reportPage(ctx: PageContext, day: string, days: string[], customer: string | undefined, customers: string[]): string {
  const at = days.indexOf(day);
  const previous = at > 0 ? days[at - 1] : undefined;
  const next = at >= 0 && at < days.length - 1 ? days[at + 1] : undefined;
  const keep = query({ customer });
  const picker =
    ctx.viewer.role === 'operator' &&
    html`<form method="get" action="/reports/${day}" class="actions"><label>version <select name="customer"><option value="">every customer</option>${customers.map(
      (c) => html`<option value="${c}" ${c === customer ? 'selected' : ''}>${c} only</option>`,
    )}</select></label><button type="submit" class="plain">Show</button></form>`;
  const nav = html`<div class="daynav">
${previous ? html`<a href="/reports/${previous}${keep}">← ${previous}</a>` : html`<span class="empty">no earlier report</span>`}
<form method="get" action="/reports" class="actions"><select name="day">${[...days]
    .reverse()
    .map(
      (d) => html`<option value="${d}" ${d === day ? 'selected' : ''}>${d}</option>`,
    )}</select>${customer ? html`<input type="hidden" name="customer" value="${customer}">` : ''}<button type="submit" class="plain">Go</button></form>
${next ? html`<a href="/reports/${next}${keep}">${next} →</a>` : html`<span class="empty">no later report</span>`}
<a href="/${query({ day })}">the day in the portal</a>
${picker}
</div>`;
  const scope = customer ? `only the cameras of ${customer}` : 'every customer';
  const body = html`<h1>Daily report, ${day}</h1>
<p class="sub">UTC day · ${scope} · as the reports pipeline wrote it</p>
${nav}
<iframe class="report" src="/reports/${day}/page${keep}" title="daily report ${day}" sandbox></iframe>`;
  return page(ctx, `Report ${day}`, body);
}

export function noReportsPage(ctx: PageContext): string {
  return page(
    ctx,
    'Reports',
    html`<h1>Daily reports</h1>${card('No report yet', html``, 'The reports pipeline has not written a report you may see yet.')}`,
  );
}
