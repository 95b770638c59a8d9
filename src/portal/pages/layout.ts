/**
 * The portal's page shell: the style, the navigation, who is signed in and the sign-out form,
 * and on live pages a small inline script that polls /portal/version and reloads the page when
 * new work landed. Everything is inline (no CDN, no build step): the page works offline.
 */
import { COLORS } from '../../render/colors.js';
import { html, renderHtml, type Html } from '../../render/html.js';
import type { Viewer } from '../core.js';

/** What every page knows about its request. */
export interface PageContext {
  viewer: Viewer;
  /** The session's CSRF token, for forms. */
  csrf: string;
  /** The Content-Security-Policy nonce of this response, for the live pages' script. */
  nonce: string;
  /** What the index holds now; a live page reloads when /portal/version says otherwise. */
  version: string;
  /** The request's path, to mark the current section. */
  path: string;
  /** Set while the disk is low and frames are refused: every page shows it in a banner. */
  diskLow?: string;
}

/** How often a live page asks whether new work landed, and how long it waits at most before reloading anyway. */
export const POLL_MS = 3000;
const RELOAD_AFTER_MS = 60_000;

const STYLE = html`<style>
  * { box-sizing: border-box; }
  body { margin: 0; background: #f1f3f5; color: #212529; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
  a { color: #1c7ed6; text-decoration: none; }
  a:hover { text-decoration: underline; }
  header.top { display: flex; align-items: center; gap: 22px; padding: 0 28px; height: 52px; background: #212529; color: #f8f9fa; }
  header.top .brand { font-weight: 700; font-size: 17px; color: #fff; letter-spacing: .3px; }
  header.top nav { display: flex; gap: 4px; flex: 1; }
  header.top nav a { color: #ced4da; padding: 6px 10px; border-radius: 6px; }
  header.top nav a.here { background: #343a40; color: #fff; }
  header.top .who { color: #adb5bd; font-size: 13px; display: flex; align-items: center; gap: 10px; }
  header.top .who button { background: none; border: 1px solid #495057; color: #dee2e6; border-radius: 6px; padding: 3px 9px; cursor: pointer; }
  main { padding: 22px 28px 40px; max-width: 1280px; }
  h1 { margin: 0 0 4px; font-size: 24px; }
  h2 { margin: 0 0 12px; font-size: 16px; }
  .sub { margin: 0 0 18px; color: #495057; }
  .totals { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-bottom: 18px; }
  .total { background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 12px 14px; }
  .total .n { font-size: 26px; font-weight: 700; }
  .total .what { color: #495057; font-size: 13px; }
  .total.alarm .n { color: ${COLORS.critical}; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin-bottom: 16px; }
  .card { background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 16px; min-width: 0; margin-bottom: 16px; }
  .grid .card { margin-bottom: 0; }
  .empty { color: #868e96; font-style: italic; margin: 6px 0; }
  .legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 0 0 10px; font-size: 12px; color: #495057; }
  .key { display: inline-flex; align-items: center; gap: 5px; }
  .swatch { width: 11px; height: 11px; border-radius: 2px; display: inline-block; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e9ecef; vertical-align: middle; }
  th { color: #495057; font-weight: 600; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  svg { display: block; max-width: 100%; height: auto; }
  svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: #343a40; }
  svg text.tick { fill: #868e96; font-size: 11px; }
  svg text.value { font-weight: 600; }
  svg line.grid { stroke: #e9ecef; }
  svg line.axis { stroke: #adb5bd; }
  .badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
  .sev-critical { background: ${COLORS.critical}; } .sev-error { background: ${COLORS.error}; }
  .disk-low { background: #f8d7da; border: 1px solid #dc3545; color: #58151c; padding: .6rem .9rem; border-radius: 4px; }
  .sev-warning { background: ${COLORS.warning}; color: #212529; } .sev-info { background: ${COLORS.info}; }
  .state { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; border: 1px solid #ced4da; color: #495057; }
  .state-open { border-color: ${COLORS.critical}; color: ${COLORS.critical}; font-weight: 600; }
  .state-acknowledged { border-color: ${COLORS.warning}; color: #a06000; }
  .state-closed { border-color: ${COLORS.sent}; color: ${COLORS.sent}; }
  .state-false_positive { border-color: #868e96; color: #495057; text-decoration: line-through; }
  .ok { color: ${COLORS.sent}; } .bad { color: ${COLORS.critical}; font-weight: 600; }
  img.thumb { width: 160px; height: 100px; object-fit: cover; border-radius: 4px; background: #dee2e6; display: block; }
  form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin-bottom: 14px; }
  form.filters label { display: flex; flex-direction: column; font-size: 12px; color: #495057; gap: 3px; }
  select, input[type=date], input[type=text], input[type=password] { padding: 5px 7px; border: 1px solid #ced4da; border-radius: 6px; font: inherit; background: #fff; }
  button { padding: 6px 12px; border-radius: 6px; border: 1px solid #1c7ed6; background: #1c7ed6; color: #fff; font: inherit; cursor: pointer; }
  button.plain { background: #fff; color: #1c7ed6; }
  .pager { display: flex; gap: 12px; align-items: center; margin-top: 12px; color: #495057; }
  .frames { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px; }
  figure { margin: 0; }
  .framebox { position: relative; line-height: 0; }
  .framebox img { width: 100%; display: block; border-radius: 4px; }
  .box { position: absolute; border: 3px solid #ff1f1f; }
  .box span { position: absolute; left: -3px; bottom: 100%; background: #ff1f1f; color: #fff; font: bold 11px/1.5 system-ui, sans-serif; padding: 0 4px; white-space: nowrap; }
  figcaption { font-size: 12px; color: #495057; margin-top: 6px; line-height: 1.4; }
  ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 20px; border-left: 1px dashed #ced4da; }
  ul.tree { padding-left: 0; border: 0; }
  ul.tree li { margin: 6px 0; }
  .hop { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
  .hop .what { font-family: system-ui, sans-serif; font-size: 13px; font-weight: 600; }
  .hop div { margin-left: 14px; color: #495057; }
  .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
  .actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
  .daynav { display: flex; gap: 14px; align-items: center; margin: 0 0 16px; }
  iframe.report { width: 100%; height: 1500px; border: 1px solid #dee2e6; border-radius: 8px; background: #fff; }
  .signin { max-width: 360px; margin: 80px auto; }
  .signin label { display: flex; flex-direction: column; gap: 4px; margin-bottom: 12px; }
  .error { color: ${COLORS.critical}; }
</style>`;

const SECTIONS: Array<{ href: string; name: string; operatorOnly?: boolean }> = [
  { href: '/', name: 'Today' },
  { href: '/incidents', name: 'Incidents' },
  { href: '/reports', name: 'Reports' },
  { href: '/cameras', name: 'Cameras' },
  { href: '/pipelines', name: 'Pipelines', operatorOnly: true },
];

function nav(ctx: PageContext): Html {
  const here = (href: string) => (href === '/' ? ctx.path === '/' : ctx.path === href || ctx.path.startsWith(`${href}/`));
  const links = SECTIONS.filter((s) => !s.operatorOnly || ctx.viewer.role === 'operator').map(
    (s) => html`<a href="${s.href}" class="${here(s.href) ? 'here' : ''}">${s.name}</a>`,
  );
  const who = ctx.viewer.role === 'operator' ? 'operator' : `customer ${ctx.viewer.customer ?? ''}`;
  return html`<header class="top"><span class="brand">Vigil</span><nav>${links}</nav>
<span class="who">${ctx.viewer.name} · ${who}
<form method="post" action="/signout">${csrfField(ctx.csrf)}<button type="submit">Sign out</button></form></span></header>`;
}

/** The hidden field every form of a session sends back. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** Reloads the page once /portal/version differs from the version it was drawn at (or after a minute, for the clock's sake). */
function liveScript(ctx: PageContext): Html {
  return html`<script nonce="${ctx.nonce}">
(() => {
  const drawn = document.body.dataset.version;
  const since = Date.now();
  setInterval(async () => {
    try {
      const answer = await fetch('/portal/version', { cache: 'no-store', credentials: 'same-origin' });
      if (!answer.ok) return;
      const { version } = await answer.json();
      if (version !== drawn || Date.now() - since > ${RELOAD_AFTER_MS}) location.reload();
    } catch {}
  }, ${POLL_MS});
})();
</script>`;
}

/** The doctype and head every portal page starts with. */
function documentHead(title: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · Vigil</title>
${STYLE}
</head>
`;
}

/** A whole page: `live` pages reload themselves as new work lands. */
export function page(ctx: PageContext, title: string, body: Html, opts: { live?: boolean } = {}): string {
  return renderHtml(html`${documentHead(title)}<body data-version="${ctx.version}">
${nav(ctx)}
<main>
${ctx.diskLow ? html`<p class="disk-low" role="alert"><strong>Disk low: cameras' frames are refused.</strong> ${ctx.diskLow}. Free space with vigil retain and vigil gc.</p>` : ''}
${body}
</main>
${opts.live ? liveScript(ctx) : ''}
</body>
</html>
`);
}

/** A page for someone not signed in (the sign-in form, errors before a session). */
export function barePage(title: string, body: Html): string {
  return renderHtml(html`${documentHead(title)}<body>
<header class="top"><span class="brand">Vigil</span></header>
<main>${body}</main>
</body>
</html>
`);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as people read it in the portal: UTC, to the second. */
export function utc(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** A duration as people read it: seconds, minutes, hours or days. */
export function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  if (s < 86_400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

export function severityBadge(severity: string): Html {
  return html`<span class="badge sev-${severity}">${severity}</span>`;
}

export function stateBadge(state: string): Html {
  return html`<span class="state state-${state}">${state.replace('_', ' ')}</span>`;
}

/** A card with a title, or its `empty` sentence when there is nothing to show. */
export function card(title: string, body: Html, empty: string | false = false): Html {
  return html`<section class="card"><h2>${title}</h2>${empty === false ? body : html`<p class="empty">${empty}</p>`}</section>`;
}

/** A table whose cells are text, numbers (right-aligned) or fragments. */
export function table(headers: string[], rows: Array<Array<string | number | Html>>, numeric: boolean[] = []): Html {
  const head = headers.map((h, i) => (numeric[i] ? html`<th class="n">${h}</th>` : html`<th>${h}</th>`));
  const cell = (v: string | number | Html, i: number) =>
    numeric[i] || typeof v === 'number' ? html`<td class="n">${v}</td>` : html`<td>${v}</td>`;
  return html`<table><thead><tr>${head}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map(cell)}</tr>`)}</tbody></table>`;
}

/** A query string from the values that are set. */
export function query(params: Record<string, string | number | undefined>): string {
  const set = Object.entries(params).filter(([, v]) => v !== undefined && v !== '') as Array<[string, string | number]>;
  return set.length ? `?${new URLSearchParams(set.map(([k, v]): [string, string] => [k, String(v)])).toString()}` : '';
}
