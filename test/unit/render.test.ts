/**
 * The one templating (src/render/html.ts) escapes by default: names from records (a rule, a user
 * id, a label) that carry markup reach the daily report, an alert email's HTML and the SVG
 * charts as text, in text nodes and in attribute values; only `raw()` passes markup through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DailyReport } from '../../specs/index.js';
import { composeEmail } from '../../steps/alert/channels/email.js';
import { groupIncidents } from '../../steps/alert/core.js';
import { expandTargets, type EmailTarget } from '../../steps/alert/targets.js';
import { renderDailyHtml } from '../../steps/report/core.js';
import { columnChart, horizontalBars, legend } from '../../src/render/charts.js';
import { html, raw, renderHtml } from '../../src/render/html.js';
import { sha256 } from '../../src/pfs/files.js';
import { matchRecord, times } from '../helpers/alert.js';

const SCRIPT = '<script>alert(1)</script>';
const SCRIPT_TEXT = '&lt;script&gt;alert(1)&lt;/script&gt;';
const BREAKOUT = `"><img src=x onerror=alert('xss')>`;
const BREAKOUT_TEXT = '&quot;&gt;&lt;img src=x onerror=alert(&#39;xss&#39;)&gt;';

/** No element or attribute that the hostile names carry made it into the markup. */
function assertNoInjectedMarkup(markup: string): void {
  assert.doesNotMatch(markup, /<script|<img|<\/script/i);
  assert.doesNotMatch(markup, /"\s*onerror=|"\s*onload=/i);
}

/** The value of every `name="..."` attribute in `markup`, as written. */
const attributes = (markup: string, name: string): string[] =>
  [...markup.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map((m) => m[1]!);

describe('render: templates', () => {
  it('escape interpolated text in a text node and in an attribute', () => {
    assert.equal(renderHtml(html`<p title="${BREAKOUT}">${SCRIPT}</p>`), `<p title="${BREAKOUT_TEXT}">${SCRIPT_TEXT}</p>`);
    assert.equal(
      renderHtml(html`<ul>${[SCRIPT, BREAKOUT].map((s) => html`<li>${s}</li>`)}</ul>`),
      `<ul><li>${SCRIPT_TEXT}</li><li>${BREAKOUT_TEXT}</li></ul>`,
    );
    assert.equal(renderHtml(html`${[SCRIPT, 3, null, false, undefined]}`), `${SCRIPT_TEXT}3`);
  });

  it('pass markup through only from raw() or a nested template', () => {
    assert.equal(renderHtml(html`<p>${raw(SCRIPT)}</p>`), `<p>${SCRIPT}</p>`);
    const bold = html`<b>${SCRIPT}</b>`;
    assert.equal(renderHtml(html`<p>${bold}</p>`), `<p><b>${SCRIPT_TEXT}</b></p>`);
    // A fragment turned into a plain string, or any other string-like value, is text again.
    assert.equal(
      renderHtml(html`<p>${renderHtml(bold)}</p>`),
      '<p>&lt;b&gt;&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;&lt;/b&gt;</p>',
    );
    assert.equal(renderHtml(html`<p>${`${bold}`}</p>`), renderHtml(html`<p>${renderHtml(bold)}</p>`));
    assert.equal(renderHtml(html`<p>${new String(SCRIPT) as unknown as string}</p>`), `<p>${SCRIPT_TEXT}</p>`);
  });

  it('render to a plain string', () => {
    assert.equal(typeof renderHtml(html`<p>${SCRIPT}</p>`), 'string');
  });
});

describe('render: SVG charts', () => {
  it('write hostile labels, tooltips, titles and colours as text', () => {
    const bars = renderHtml(
      horizontalBars([{ label: SCRIPT, segments: [{ value: 3, color: `red" onload="alert(1)`, name: BREAKOUT }] }], { title: BREAKOUT }),
    );
    assertNoInjectedMarkup(bars);
    assert.deepEqual(attributes(bars, 'aria-label'), [BREAKOUT_TEXT]);
    assert.deepEqual(attributes(bars, 'fill'), ['red&quot; onload=&quot;alert(1)']);
    assert.ok(bars.includes(`<title>${BREAKOUT_TEXT}</title>`), 'chart title');
    assert.ok(bars.includes(`<title>${SCRIPT_TEXT} · ${BREAKOUT_TEXT}: 3</title>`), 'bar tooltip');
    assert.ok(bars.includes('class="label">&lt;script&gt;alert(1)&lt;/scr…</text>'), 'bar label, clipped to 22 characters');

    const columns = renderHtml(columnChart([{ label: SCRIPT, value: 2 }], { title: SCRIPT, color: BREAKOUT }));
    assertNoInjectedMarkup(columns);
    assert.deepEqual(attributes(columns, 'aria-label'), [SCRIPT_TEXT]);
    assert.deepEqual(attributes(columns, 'fill'), [BREAKOUT_TEXT]);
    assert.ok(columns.includes(`class="tick">${SCRIPT_TEXT}</text>`), 'column label');
    assert.ok(columns.includes(`<title>${SCRIPT_TEXT}: 2</title>`), 'column tooltip');

    const keys = renderHtml(legend([{ name: SCRIPT, color: BREAKOUT }]));
    assertNoInjectedMarkup(keys);
    assert.deepEqual(attributes(keys, 'style'), [`background:${BREAKOUT_TEXT}`]);
    assert.ok(keys.includes(`</span>${SCRIPT_TEXT}</span>`), 'legend name');
  });
});

describe('render: the daily report', () => {
  const report: DailyReport = {
    day: '2026-11-26',
    source: { repo: 'warehouse', commit: '0123456789abcdef' },
    subscriptions: { repo: 'rules', commit: 'r0001', path: '/subscriptions.yaml', sha256: '0'.repeat(64) },
    totals: {
      framesAnalysed: 4,
      unmatchedFrames: 1,
      threats: 2,
      usersWithThreats: 1,
      devicesWithThreats: 1,
      rejectedFrames: 3,
      incidents: 1,
      alertsSent: 1,
      alertsFailed: 0,
    },
    threatsByUser: [{ user: SCRIPT, threats: 2, devices: 1, critical: 2, error: 0, warning: 0, info: 0 }],
    threatsByHour: [...Array(24).keys()].map((hour) => ({ hour, threats: hour === 4 ? 2 : 0 })),
    topDevices: [{ user: SCRIPT, device: BREAKOUT, threats: 2 }],
    threatsByRule: [{ ruleId: 7, rule: BREAKOUT, severity: 'critical', threats: 2 }],
    rejectionReasons: [{ code: SCRIPT, frames: 3 }],
    alertOutcomes: [{ channel: BREAKOUT, status: 'sent', deliveries: 1 }],
    alertLatency: [{ channel: SCRIPT, delivered: 1, p50Seconds: 5, p90Seconds: 5, p99Seconds: 5, maxSeconds: 5 }],
    unsubscribedCameras: [{ user: SCRIPT, device: BREAKOUT, frames: 100 }],
  };

  it('shows user ids, rule names and labels that carry markup as text', () => {
    const page = renderDailyHtml(report);
    assertNoInjectedMarkup(page);
    assert.ok(page.includes(`<title>${SCRIPT_TEXT} · critical: 2</title>`), 'user in the per-user chart');
    assert.ok(page.includes(`<title>${SCRIPT_TEXT}-${BREAKOUT_TEXT}: 2</title>`), 'user and device in the top devices chart');
    assert.ok(page.includes(`<td>${BREAKOUT_TEXT} (#7)</td>`), 'rule in the rules table');
    assert.ok(page.includes(`<title>${SCRIPT_TEXT}: 3</title>`), 'rejection code');
    assert.ok(page.includes(`<title>${BREAKOUT_TEXT} · sent · sent: 1</title>`), 'alert channel');
    assert.ok(page.includes(`<tr><td>${SCRIPT_TEXT}</td><td class="n">1</td>`), 'latency table channel');
    assert.ok(page.includes(`<tr><td>${SCRIPT_TEXT}-${BREAKOUT_TEXT}</td><td class="n">100</td>`), 'unsubscribed camera');
    // The charts' accessible names are the page's own titles, unaffected by the names.
    assert.deepEqual(attributes(page, 'aria-label'), [
      'Threats per user, by severity',
      'Threats per hour (UTC)',
      'Devices with the most threats',
      'Rejected frames per reason',
      'Alert deliveries per channel and outcome',
    ]);
    // The page's stylesheet is markup of its own: its quotes are not escaped.
    assert.match(page, /font: 14px\/1\.4 system-ui, -apple-system, "Segoe UI"/);
  });
});

describe('render: an alert email', () => {
  it('shows a rule name and a user id that carry markup as text in its HTML, verbatim in its text', () => {
    const matches = times('2026-11-26T04:15:00Z', 2, 5).map((at) => {
      const match = matchRecord(at, { user: SCRIPT, ruleName: BREAKOUT, targets: { email: ['security@example.com'] } });
      return { match, ref: { repo: 'matches', path: `/m/${at.getTime()}.json`, sha256: sha256(String(at.getTime())) } };
    });
    const [incident] = groupIncidents(matches);
    const mail = composeEmail({ incident: incident! }, expandTargets(SCRIPT, incident!.targets)[0] as EmailTarget, {});
    const body = mail.html as string;
    assert.equal(typeof body, 'string');
    assertNoInjectedMarkup(body);
    assert.ok(body.includes(`<title>${BREAKOUT_TEXT}</title>`), body);
    assert.ok(body.includes(`<div style="font-size:22px;font-weight:bold;line-height:1.3;margin-top:4px;">${BREAKOUT_TEXT}</div>`), body);
    assert.ok(
      body.includes(`>Rule</td><td style="padding:4px 0;color:#111827;word-break:break-word;">${BREAKOUT_TEXT} (rule 200, critical)</td>`),
      body,
    );
    assert.ok(body.includes(`>Device</td><td style="padding:4px 0;color:#111827;word-break:break-word;">${SCRIPT_TEXT}-cam1</td>`), body);
    assert.ok(String(mail.text).includes(`Rule:     ${BREAKOUT} (rule 200, critical)`), String(mail.text));
  });
});
