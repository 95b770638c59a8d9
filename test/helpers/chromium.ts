/**
 * Debian's Chromium (`/usr/bin/chromium`, installed by .ci/run and the README's set-up) for the
 * tests that look at a page as a person would, through playwright-core: headless, without the
 * sandbox (CI runs as root), the GPU, background networking or component updates, and with a
 * fresh profile in a temp folder each time, removed afterwards. `chromiumSkip` says why a test
 * cannot run where Chromium is missing. Every step has a deadline.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const chromiumSkip: string | false = existsSync(CHROMIUM)
  ? false
  : `chromium is not installed at ${CHROMIUM} (apt-get install -y chromium): the screenshot check cannot run`;

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** How long Chromium may take to start, and each page step. */
const DEADLINE_MS = 60_000;

/** Runs `fn` on a page of a fresh headless Chromium with a `width` x `height` viewport; closes it whatever happens. */
export async function withPage<T>(viewport: { width: number; height: number }, fn: (page: Page) => Promise<T>): Promise<T> {
  const profile = await mkdtemp(join(tmpdir(), 'vigil-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    timeout: DEADLINE_MS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(DEADLINE_MS);
    return await fn(page);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** Opens `html` from a file in `dir` (as a saved page opens, so relative and file: URLs behave as in a browser) and waits until it has loaded. */
export async function openHtml(page: Page, dir: string, name: string, html: string): Promise<string> {
  const file = join(dir, `${name}.html`);
  await writeFile(file, html);
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  return file;
}
