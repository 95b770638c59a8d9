/**
 * The alert email as a person sees it: the alert step sends a real incident to the .eml outbox,
 * the message is read back with mailparser, its inline snapshot resolved as a mail client
 * resolves `cid:` (a data URL), and Debian's Chromium (test/helpers/browser.ts) renders the HTML
 * part. The screenshot must not be blank, the snapshot must be drawn (its box's red is on
 * screen, inside the image), and every line of text must stay inside the 600-px card on a
 * desktop and inside a phone's screen, at a readable size. The same checks catch an email whose
 * picture is missing and one whose text runs out of the card.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { BOX_COLOR } from '../../src/render/snapshot-overlay.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { SNAPSHOT_CID } from '../../steps/alert/channels/email-body.js';
import { layDatum, matchRecord, runAlertStep, times } from '../helpers/alert.js';
import { look as lookAt, openBrowser, skipWithoutChromium } from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';

const FRAME = await readFile(join(packageRoot(), 'test', 'fixtures', 'astronaut.png'));
const CAMERA = { name: 'Front door', site: 'Warehouse 7, loading bay north entrance, 5th Avenue & 42nd Street' };

/** The HTML part of a real incident's email, its snapshot inlined as a mail client shows it. */
async function incidentEmail(): Promise<string> {
  const root = await tempDir('vigil-email-shot-');
  const matches = times('2026-11-26T04:15:00Z', 3, 10).map((at) =>
    matchRecord(at, { camera: CAMERA, targets: { email: ['security@example.com'] } }),
  );
  const env = await layDatum(join(root, 'pfs'), matches, FRAME);
  const outbox = join(root, 'outbox');
  const result = await runAlertStep(root, { ...env, VIGIL_OUTBOX: outbox });
  assert.equal(result.code, 0, result.stderr);
  const [eml] = (await readdir(outbox)).filter((f) => f.endsWith('.eml'));
  assert.ok(eml, 'the step wrote the email');
  const mail = await simpleParser(await readFile(join(outbox, eml)));
  const inline = mail.attachments.find((a) => a.cid === SNAPSHOT_CID);
  assert.ok(inline && typeof mail.html === 'string', 'an HTML part with the inline snapshot');
  return mail.html.replaceAll(`cid:${SNAPSHOT_CID}`, `data:${inline.contentType};base64,${inline.content.toString('base64')}`);
}

/**
 * Measured in the page (plain JavaScript: it runs in Chromium): the 600-px card (the inner
 * table), the snapshot <img>, and every element that holds text.
 */
const MEASURE = `(() => {
  const card = document.querySelector('table table');
  const box = card.getBoundingClientRect();
  const img = document.querySelector('img');
  const texts = [...card.querySelectorAll('td, div, p, a, span, strong')].filter((e) =>
    [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()),
  );
  const outside = texts
    .filter((e) => {
      const r = e.getBoundingClientRect();
      return r.left < box.left - 1 || r.right > box.right + 1 || e.scrollWidth > e.clientWidth + 1;
    })
    .map((e) => e.textContent.trim().slice(0, 60));
  return {
    cardWidth: box.width,
    pageWidth: document.documentElement.scrollWidth,
    imageDecoded: Boolean(img && img.complete && img.naturalWidth > 0),
    outside,
    smallestFont: Math.min(...texts.map((e) => parseFloat(getComputedStyle(e).fontSize))),
    text: document.body.innerText,
  };
})()`;

interface Layout {
  cardWidth: number;
  pageWidth: number;
  imageDecoded: boolean;
  outside: string[];
  smallestFont: number;
  text: string;
}

interface Seen {
  /** Grey-level standard deviation of the whole screenshot: 0 for a blank page. */
  spread: number;
  /** Whether the snapshot's <img> decoded. */
  imageDecoded: boolean;
  /** Pixels of the box colour inside the image's area on screen. */
  boxPixels: number;
  /** What keeps the text from reading well: a card over 600 px, text outside it or cut off, a page wider than the screen, type under 12 px. */
  problems: string[];
  /** What a reader sees, as text. */
  text: string;
}

/** Renders `html` at `width` px and measures what a reader would notice. */
async function look(html: string, width: number, name: string): Promise<Seen> {
  const file = join(await tempDir('vigil-email-shot-'), `${name}.html`);
  await writeFile(file, html);
  const browser = await openBrowser({ width, height: 1400 });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(60_000);
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const layout = (await page.evaluate(MEASURE)) as Layout;
    const whole = await lookAt(await page.screenshot({ fullPage: true }), {});
    // The snapshot as drawn on screen: its box's red, there only if the picture rendered.
    const image = layout.imageDecoded ? await lookAt(await page.locator('img').screenshot(), { box: BOX_COLOR }) : undefined;
    const problems = [
      ...(layout.cardWidth > 600 ? [`the card is ${layout.cardWidth} px wide`] : []),
      ...(layout.pageWidth > width ? [`the page is ${layout.pageWidth} px wide on a ${width}-px screen`] : []),
      ...layout.outside.map((text) => `outside the card or cut off: "${text}"`),
      ...(layout.smallestFont < 12 ? [`text of ${layout.smallestFont} px`] : []),
    ];
    return { spread: whole.spread, imageDecoded: layout.imageDecoded, boxPixels: image?.colorPixels.box ?? 0, problems, text: layout.text };
  } finally {
    await browser.close();
  }
}

describe('alert email in Chromium', { skip: skipWithoutChromium, timeout: 240_000 }, () => {
  it('shows the snapshot with its box, and every line inside the 600-px card, on a desktop and on a phone', async (t) => {
    const html = await incidentEmail();
    const desktop = await look(html, 800, 'desktop');
    t.diagnostic(JSON.stringify({ ...desktop, text: undefined }));
    assert.ok(desktop.spread > 10, `the email looks blank (grey spread ${desktop.spread.toFixed(1)})`);
    assert.ok(desktop.imageDecoded, 'the snapshot decoded');
    assert.ok(desktop.boxPixels > 500, `the snapshot's box is not on screen (${desktop.boxPixels} pixels of ${BOX_COLOR})`);
    assert.deepEqual(desktop.problems, []);
    for (const words of ['Person after hours', `Front door (${CAMERA.site})`, 'Wednesday 2026-11-25 23:15:00 EST', 'VIGIL_PUBLIC_URL']) {
      assert.ok(desktop.text.includes(words), `the reader sees "${words}"`);
    }

    const phone = await look(html, 375, 'phone');
    assert.ok(phone.imageDecoded && phone.boxPixels > 100, `the snapshot on a phone (${phone.boxPixels} box pixels)`);
    assert.deepEqual(phone.problems, []);
  });

  it('the same checks see a missing picture and text that runs out of the card', async () => {
    const html = await incidentEmail();
    const noPicture = await look(html.replace(/src="data:[^"]+"/, `src="cid:${SNAPSHOT_CID}"`), 800, 'no-picture');
    assert.equal(noPicture.imageDecoded, false);
    assert.equal(noPicture.boxPixels, 0);
    const unbreakable = 'x'.repeat(200);
    const tooWide = await look(html.replace('Person after hours</div>', `Person after hours ${unbreakable}</div>`), 800, 'too-wide');
    assert.notDeepEqual(tooWide.problems, [], 'a line wider than the card is seen');
  });
});
