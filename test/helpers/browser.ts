/**
 * A real browser for the tests: Debian's chromium (.ci/run installs it), headless, each run with a
 * fresh profile and nothing reaching the network on its own; driven by playwright-core, or run
 * from the command line for a one-shot screenshot. `look` says what a person would notice in a
 * screenshot: whether anything is drawn at all, and how many pixels have each chart colour.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import sharp from 'sharp';
import { tempDir } from './cli.js';

export const CHROMIUM = '/usr/bin/chromium';

export const hasChromium = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;

/** The `skip` option of a test that needs chromium: false where it is installed. */
export const skipWithoutChromium: false | string = hasChromium
  ? false
  : 'chromium is not installed (apt-get install -y chromium): the browser check cannot run';

/** Flags for a headless chromium that starts fresh in `profile` and fetches nothing by itself. */
export function chromiumArgs(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
  ];
}

/** A browser window (playwright's persistent context on a fresh profile); close it when done. */
export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const profile = join(await tempDir('vigil-chromium-'), 'profile');
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: chromiumArgs(profile).filter((a) => a !== '--headless' && !a.startsWith('--user-data-dir')),
    timeout: 60_000,
  });
}

/** The text a person reads in an element: laid out, cells and lines apart (innerText), not the DOM's bare text. */
export function visibleText(where: Page | FrameLocator, selector: string): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: what a person sees is the point
  return where.locator(selector).first().innerText({ timeout: 30_000 });
}

export interface Look {
  width: number;
  height: number;
  /** Standard deviation of the grey level over the whole image: 0 for a blank one. */
  spread: number;
  /** Pixels of each colour asked for (within 10 levels per channel). */
  colorPixels: Record<string, number>;
  /** Dark (text) pixels in the top `inkBand` rows. */
  titleInk: number;
}

/** What a person would notice in a screenshot: is anything drawn, are these colours there, is there text at the top. */
export async function look(png: string | Buffer, colors: Record<string, string>, inkBand = 80): Promise<Look> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rgb = Object.entries(colors).map(([name, hex]) => [name, [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))] as const);
  const colorPixels: Record<string, number> = Object.fromEntries(rgb.map(([name]) => [name, 0]));
  let sum = 0;
  let sumSq = 0;
  let titleInk = 0;
  const n = info.width * info.height;
  for (let p = 0; p < n; p++) {
    const [r, g, b] = [data[p * 3]!, data[p * 3 + 1]!, data[p * 3 + 2]!];
    const grey = (r + g + b) / 3;
    sum += grey;
    sumSq += grey * grey;
    if (p < info.width * inkBand && grey < 90) titleInk++;
    for (const [name, [cr, cg, cb]] of rgb) {
      if (Math.abs(r - cr!) <= 10 && Math.abs(g - cg!) <= 10 && Math.abs(b - cb!) <= 10) colorPixels[name]!++;
    }
  }
  return { width: info.width, height: info.height, spread: Math.sqrt(sumSq / n - (sum / n) ** 2), colorPixels, titleInk };
}
