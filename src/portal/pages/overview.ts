/** Today (or any UTC day): threats so far, per customer and per hour, open incidents, alerts sent and failed. */
import { columnChart, horizontalBars, legend, type Bar } from '../../render/charts.js';
import { COLORS, SEVERITIES } from '../../render/colors.js';
import { html, type Html } from '../../render/html.js';
import { shiftDay } from '../core.js';
import type { Overview } from '../queries.js';
import { incidentTable } from './incidents.js';
import { card, page, query, type PageContext } from './layout.js';

export function overviewPage(ctx: PageContext, o: Overview, today: string, silentCameras: number, asOf: Html): string {
  const isToday = o.day === today;
  const operator = ctx.viewer.role === 'operator';
  const totals: Array<[number, string, boolean]> = [
    [o.threats, isToday ? 'threats so far today' : 'threats', false],
    [o.openIncidents.length, 'open incidents', o.openIncidents.length > 0],
    [o.incidents, 'incidents', false],
    [o.alertsSent, 'alerts sent', false],
    [o.alertsFailed, 'alerts failed', o.alertsFailed > 0],
    [o.framesAnalysed, 'frames analysed', false],
    [o.framesRejected, 'frames rejected', false],
    [silentCameras, 'silent cameras', silentCameras > 0],
  ];
  const bars: Bar[] = o.byGroup.map((g) => ({
    label: g.group,
    segments: SEVERITIES.map((s) => ({ value: g.counts[s], color: COLORS[s], name: s })),
  }));
  const perGroup = operator ? 'Threats per customer' : 'Threats per camera';
  const charts = html`<div class="grid">
${card(
  perGroup,
  html`${legend(SEVERITIES.map((s) => ({ name: s, color: COLORS[s] })))}${horizontalBars(bars, { title: `${perGroup}, by severity` })}`,
  bars.length === 0 && 'No threats this day.',
)}
${card(
  'Threats per hour (UTC)',
  columnChart(
    o.byHour.map((n, h) => ({ label: String(h).padStart(2, '0'), value: n })),
    { title: 'Threats per hour (UTC)', color: COLORS.threats, labelEvery: 3, minStep: 1 },
  ),
  o.threats === 0 && 'No threats this day.',
)}
</div>`;
  const nav = html`<div class="daynav">
<a href="/${query({ day: shiftDay(o.day, -1) })}">← ${shiftDay(o.day, -1)}</a>
${isToday ? html`<strong>today</strong>` : html`<a href="/">today</a>`}
${isToday ? '' : html`<a href="/${query({ day: shiftDay(o.day, 1) })}">${shiftDay(o.day, 1)} →</a>`}
<a href="/reports/${o.day}">the day's report</a>
</div>`;
  const body = html`<h1>${isToday ? `Today, ${o.day}` : o.day}</h1>
<p class="sub">UTC day · ${asOf}</p>
${nav}
<section class="totals">${totals.map(
    ([n, what, alarm]) => html`<div class="total${alarm ? ' alarm' : ''}"><div class="n">${n}</div><div class="what">${what}</div></div>`,
  )}</section>
${charts}
${card('Open incidents', incidentTable(o.openIncidents, operator), o.openIncidents.length === 0 && 'No incident is open.')}`;
  return page(ctx, isToday ? 'Today' : o.day, body, { live: true });
}
