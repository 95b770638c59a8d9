/**
 * The daily page as a person sees it: headless Chromium (Debian's `chromium`) takes a
 * screenshot, and the test fails when the page is blank or its charts did not draw. Skipped,
 * saying why, only where chromium is not installed (.ci/run installs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DailyReport } from '../../specs/index.js';
import { renderDailyHtml } from '../../steps/report/core.js';
import { COLORS } from '../../src/render/colors.js';
import { CHROMIUM, chromiumArgs, look as lookAt, skipWithoutChromium as skip, type Look } from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';

const WIDTH = 1200;
const HEIGHT = 1600;

/** A busy day: every chart has data. */
const REPORT: DailyReport = {
  day: '2026-11-26',
  source: { repo: 'warehouse', commit: '0123456789abcdef0123456789abcdef' },
  subscriptions: { repo: 'rules', commit: 'r0001', path: '/subscriptions.yaml', sha256: '0'.repeat(64) },
  totals: {
    framesAnalysed: 1840,
    unmatchedFrames: 1602,
    threats: 238,
    usersWithThreats: 6,
    devicesWithThreats: 11,
    rejectedFrames: 37,
    incidents: 41,
    alertsSent: 77,
    alertsFailed: 4,
  },
  threatsByUser: ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'].map((user, i) => ({
    user,
    threats: 80 - i * 12,
    devices: 3 - (i % 3),
    critical: 30 - i * 5,
    error: 20 - i * 3,
    warning: 20 - i * 3,
    info: 10 - i,
  })),
  threatsByHour: [...Array(24).keys()].map((hour) => ({ hour, threats: Math.round(12 + 10 * Math.sin(hour / 3)) })),
  topDevices: [...Array(10).keys()].map((i) => ({ user: 'acme', device: `cam${i + 1}`, threats: 40 - i * 3 })),
  threatsByRule: [
    { ruleId: 200, rule: 'person at night', severity: 'critical', threats: 120 },
    { ruleId: 310, rule: 'animal in the yard', severity: 'warning', threats: 70 },
    { ruleId: 400, rule: 'visitor', severity: 'info', threats: 48 },
  ],
  rejectionReasons: [
    { code: 'contrast', frames: 20 },
    { code: 'resolution', frames: 9 },
    { code: 'decode', frames: 5 },
    { code: 'name', frames: 3 },
  ],
  alertOutcomes: [
    { channel: 'email', status: 'sent', deliveries: 41 },
    { channel: 'pagerduty', status: 'failed', deliveries: 4 },
    { channel: 'pagerduty', status: 'sent', deliveries: 12 },
    { channel: 'webhook', status: 'sent', deliveries: 24 },
  ],
  alertLatency: [
    { channel: 'email', delivered: 41, p50Seconds: 35, p90Seconds: 80, p99Seconds: 140, maxSeconds: 151 },
    { channel: 'pagerduty', delivered: 12, p50Seconds: 12, p90Seconds: 30, p99Seconds: 44, maxSeconds: 45 },
  ],
  unsubscribedCameras: [],
};

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Screenshots `html` (written to a file) at WIDTH x HEIGHT; returns the PNG's path. */
async function screenshot(dir: string, name: string, html: string): Promise<string> {
  const page = join(dir, `${name}.html`);
  const png = join(dir, `${name}.png`);
  await writeFile(page, html);
  const r = await run(
    CHROMIUM,
    [...chromiumArgs(join(dir, `profile-${name}`)), `--screenshot=${png}`, `--window-size=${WIDTH},${HEIGHT}`, `file://${page}`],
    90_000,
  );
  assert.equal(r.code, 0, `chromium failed: ${r.stderr}`);
  return png;
}

/** The chart colours the page must show: stacked user bars (critical, warning), hour columns and device bars (threats), rejection reasons, sent deliveries. */
const CHART_COLORS = {
  critical: COLORS.critical,
  warning: COLORS.warning,
  threats: COLORS.threats,
  rejections: COLORS.rejections,
  sent: COLORS.sent,
};

async function look(png: string): Promise<Look> {
  const seen = await lookAt(png, CHART_COLORS);
  assert.deepEqual([seen.width, seen.height], [WIDTH, HEIGHT]);
  return seen;
}

test('the daily page renders in Chromium with its title, totals and every chart drawn', { skip, timeout: 180_000 }, async (t) => {
  const dir = await tempDir('vigil-screenshot-');
  const html = renderDailyHtml(REPORT);
  const png = await screenshot(dir, 'daily', html);
  t.diagnostic(`screenshot: ${png}`);
  const seen = await look(png);
  assert.ok(seen.spread > 10, `the page looks blank (grey spread ${seen.spread.toFixed(1)})`);
  assert.ok(seen.titleInk > 1500, `no title text drawn at the top (${seen.titleInk} dark pixels)`);
  // Each chart's bars: stacked user bars (critical, warning), hour columns and device bars
  // (threats), rejection reasons, sent deliveries. A bar 16 px high and 40 px long is 640 px.
  for (const [name, pixels] of Object.entries(seen.colorPixels))
    assert.ok(pixels > 2000, `the ${name} bars did not draw (${pixels} pixels)`);

  // The text a person reads, as Chromium parsed it.
  const dom = await run(CHROMIUM, [...chromiumArgs(join(dir, 'profile-dom')), '--dump-dom', `file://${join(dir, 'daily.html')}`], 90_000);
  for (const text of [
    'Daily threat report: 2026-11-26',
    'Threats per hour (UTC)',
    'Top devices',
    'Rejection reasons',
    'Alert delivery outcomes',
    'person at night',
    '>238<',
    'acme-cam1',
  ]) {
    assert.ok(dom.stdout.includes(text), `the page lacks "${text}"`);
  }
});

test('the same check fails on a blank page and on a page whose charts are missing', { skip, timeout: 180_000 }, async () => {
  const dir = await tempDir('vigil-screenshot-');
  const blank = await look(await screenshot(dir, 'blank', '<!doctype html><html><body></body></html>'));
  assert.ok(blank.spread < 1);
  assert.equal(blank.titleInk, 0);
  const noCharts = await look(await screenshot(dir, 'nocharts', renderDailyHtml(REPORT).replace(/<svg[\s\S]*?<\/svg>/g, '')));
  assert.ok(noCharts.titleInk > 1500);
  assert.ok(
    Object.values(noCharts.colorPixels).some((n) => n < 2000),
    'charts removed, yet their colours were found',
  );
});
