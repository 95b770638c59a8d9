import type { DailyReport } from '../../specs/index.js';
import { columnChart, horizontalBars, legend, type Bar } from '../../src/render/charts.js';
import { COLORS, SEVERITIES } from '../../src/render/colors.js';
import { html, renderHtml, type Html } from '../../src/render/html.js';

/** Users drawn in the per-user chart; the JSON lists them all. */
const MAX_USERS = 12;

const STYLE = html`<style>
  * { box-sizing: border-box; }
  body { margin: 0; padding: 24px 32px; background: #f8f9fa; color: #212529;
         font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
  h1 { margin: 0; font-size: 26px; }
  h2 { margin: 0 0 12px; font-size: 16px; }
  .sub { margin: 4px 0 20px; color: #495057; }
  .totals { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin-bottom: 20px; }
  .total { background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 12px 14px; }
  .total .n { font-size: 26px; font-weight: 700; }
  .total .what { color: #495057; font-size: 13px; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
  .card { background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 16px; min-width: 0; }
  .card.warning { border: 2px solid #f08c00; background: #fff9db; margin-bottom: 20px; }
  .empty { color: #868e96; font-style: italic; margin: 8px 0; }
  .legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 0 0 10px; font-size: 12px; color: #495057; }
  .key { display: inline-flex; align-items: center; gap: 5px; }
  .swatch { width: 11px; height: 11px; border-radius: 2px; display: inline-block; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e9ecef; }
  th { color: #495057; font-weight: 600; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  svg { display: block; max-width: 100%; height: auto; }
  svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: #343a40; }
  svg text.tick { fill: #868e96; font-size: 11px; }
  svg text.value { font-weight: 600; }
  svg line.grid { stroke: #e9ecef; }
  svg line.axis { stroke: #adb5bd; }
  footer { margin-top: 20px; color: #868e96; font-size: 12px; }
</style>`;

function section(title: string, body: Html, empty: boolean, emptyText: string): Html {
  return html`<section class="card"><h2>${title}</h2>
${empty ? html`<p class="empty">${emptyText}</p>` : body}
</section>`;
}

/** A table whose numeric columns (by the first row) are right-aligned. */
function table(headers: string[], rows: Array<Array<string | number>>): Html {
  const numeric = rows[0]?.map((v) => typeof v === 'number') ?? [];
  const head = headers.map((h, i) => (numeric[i] ? html`<th class="n">${h}</th>` : html`<th>${h}</th>`));
  const cell = (v: string | number) => (typeof v === 'number' ? html`<td class="n">${v}</td>` : html`<td>${v}</td>`);
  return html`<table><thead><tr>${head}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map(cell)}</tr>`)}</tbody></table>`;
}

/**
 * The cameras whose frames no rule could fire on, and what to do: shown above everything else,
 * and only when there are some.
 */
function unsubscribedWarning(report: DailyReport): Html | false {
  const cameras = report.unsubscribedCameras;
  if (cameras.length === 0) return false;
  const frames = cameras.reduce((n, c) => n + c.frames, 0);
  return html`<section class="card warning" id="unsubscribed"><h2>Cameras no subscription names</h2>
<p>${frames} frame(s) from ${cameras.length} camera(s) were analysed, but no subscription names these cameras, so no rule
could fire on them and nobody was alerted. Add each camera to subscriptions.yaml in the rules repo (a device entry under
its user, or the user's "*" entry) and commit it: every frame, these included, is then matched again.</p>
${table(
  ['camera', 'frames'],
  cameras.map((c) => [`${c.user}-${c.device}`, c.frames]),
)}
</section>`;
}

const seconds = (s: number): string =>
  s < 60 ? `${s.toFixed(1)} s` : s < 3600 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;

/** The day's report as a self-contained HTML page (inline CSS and SVG; no script, no network). */
export function renderDailyHtml(report: DailyReport): string {
  const t = report.totals;
  const totals: Array<[number, string]> = [
    [t.threats, 'threats'],
    [t.usersWithThreats, 'users with threats'],
    [t.devicesWithThreats, 'devices with threats'],
    [t.incidents, 'incidents'],
    [t.alertsSent, 'alerts sent'],
    [t.framesAnalysed, 'frames analysed'],
    [t.unmatchedFrames, 'frames with no threat'],
    [t.rejectedFrames, 'frames rejected'],
    [t.alertsFailed, 'alerts failed'],
    [report.threatsByRule.length, 'rules fired'],
  ];

  const userBars: Bar[] = report.threatsByUser.slice(0, MAX_USERS).map((u) => ({
    label: u.user,
    segments: SEVERITIES.map((s) => ({ value: u[s], color: COLORS[s], name: s })),
  }));
  const deviceBars: Bar[] = report.topDevices.map((d) => ({
    label: `${d.user}-${d.device}`,
    segments: [{ value: d.threats, color: COLORS.threats }],
  }));
  const reasonBars: Bar[] = report.rejectionReasons.map((r) => ({
    label: r.code,
    segments: [{ value: r.frames, color: COLORS.rejections }],
  }));
  const outcomeBars: Bar[] = report.alertOutcomes.map((o) => ({
    label: `${o.channel} · ${o.status}`,
    segments: [{ value: o.deliveries, color: COLORS[o.status as keyof typeof COLORS] ?? COLORS.skipped, name: o.status }],
  }));
  const statuses = [...new Set(report.alertOutcomes.map((o) => o.status))].sort();

  const severityKeys = legend(SEVERITIES.map((s) => ({ name: s, color: COLORS[s] })));
  const userChart = horizontalBars(userBars, { title: 'Threats per user, by severity' });
  const usersLeftOut = report.threatsByUser.length - userBars.length;
  const moreUsers =
    usersLeftOut > 0 && html`<p class="empty">and ${usersLeftOut} more users with fewer threats (all in ${report.day}.json)</p>`;
  const statusKeys = legend(statuses.map((s) => ({ name: s, color: COLORS[s as keyof typeof COLORS] ?? COLORS.skipped })));
  const outcomeChart = horizontalBars(outcomeBars, { title: 'Alert deliveries per channel and outcome' });
  const latencyTable =
    report.alertLatency.length > 0 &&
    html`<h2 style="margin-top:16px">Capture to delivery</h2>${table(
      ['channel', 'sent', 'median', 'p90', 'p99', 'max'],
      report.alertLatency.map((l) => [
        l.channel,
        l.delivered,
        seconds(l.p50Seconds),
        seconds(l.p90Seconds),
        seconds(l.p99Seconds),
        seconds(l.maxSeconds),
      ]),
    )}`;

  const sections = [
    section('Threats per user', html`${severityKeys}${userChart}${moreUsers}`, userBars.length === 0, 'No threats this day.'),
    section(
      'Threats per hour (UTC)',
      columnChart(
        report.threatsByHour.map((h) => ({ label: String(h.hour).padStart(2, '0'), value: h.threats })),
        { title: 'Threats per hour (UTC)', color: COLORS.threats, labelEvery: 3, minStep: 1 },
      ),
      t.threats === 0,
      'No threats this day.',
    ),
    section(
      'Top devices',
      horizontalBars(deviceBars, { title: 'Devices with the most threats' }),
      deviceBars.length === 0,
      'No threats this day.',
    ),
    section(
      'Threats per rule',
      table(
        ['rule', 'severity', 'threats'],
        report.threatsByRule.map((r) => [`${r.rule} (#${r.ruleId})`, r.severity, r.threats]),
      ),
      report.threatsByRule.length === 0,
      'No rule fired this day.',
    ),
    section(
      'Rejection reasons',
      horizontalBars(reasonBars, { title: 'Rejected frames per reason' }),
      reasonBars.length === 0,
      'No frame was rejected this day.',
    ),
    section(
      'Alert delivery outcomes',
      html`${statusKeys}${outcomeChart}${latencyTable}`,
      outcomeBars.length === 0,
      'No alert was delivered this day.',
    ),
  ];

  const source = report.source.commit ? `${report.source.repo}@${report.source.commit}` : report.source.repo;
  const whose = report.user === undefined ? '' : ` · ${report.user}`;
  const scope = report.user === undefined ? '' : ` · only the cameras of ${report.user}`;
  return renderHtml(html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil daily threat report, ${report.day}${whose}</title>
${STYLE}
</head>
<body>
<header>
<h1>Daily threat report: ${report.day}${whose}</h1>
<p class="sub">UTC day${scope} · computed from ${source} · the same numbers are in ${report.day}${report.user === undefined ? '' : `/${report.user}`}.json</p>
</header>
<section class="totals">${totals.map(([n, what]) => html`\n<div class="total"><div class="n">${n}</div><div class="what">${what}</div></div>`)}
</section>
${unsubscribedWarning(report)}
<div class="grid">${sections.map((s) => html`\n${s}`)}
</div>
<footer>Vigil · a threat is one rule firing on one frame · times are UTC</footer>
</body>
</html>
`);
}
