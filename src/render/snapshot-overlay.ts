/**
 * The SVG drawn over an alert's snapshot: one box per object that made the rule fire, with its
 * label and score on a tab above it (below, when the box touches the top). Coordinates are the
 * objects' boxes (fractions of the frame) scaled to the image's pixels.
 */
import { html, renderHtml } from './html.js';

/** The boxes' colour: a saturated red that stands out on camera images (and that tests look for). */
export const BOX_COLOR = '#ff1f1f';

export interface OverlayObject {
  label: string;
  score: number;
  box: { x: number; y: number; w: number; h: number };
}

/** An SVG document of `width` x `height` pixels with a labelled box per object. */
export function snapshotOverlay(width: number, height: number, objects: readonly OverlayObject[]): string {
  const stroke = Math.max(3, Math.round(Math.min(width, height) / 160));
  const font = Math.max(12, Math.round(Math.min(width, height) / 28));
  const tab = Math.round(font * 1.4);
  const boxes = objects.map(({ label, score, box }) => {
    const x = Math.round(box.x * width);
    const y = Math.round(box.y * height);
    const w = Math.max(1, Math.round(box.w * width));
    const h = Math.max(1, Math.round(box.h * height));
    const text = `${label} ${Math.round(score * 100)}%`;
    const tabWidth = Math.round(text.length * font * 0.62 + font * 0.8);
    const tabY = y - tab >= 0 ? y - tab : Math.min(height - tab, y + h);
    const tabX = Math.min(Math.max(0, x - Math.floor(stroke / 2)), Math.max(0, width - tabWidth));
    return html`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${BOX_COLOR}" stroke-width="${stroke}"/>
<rect x="${tabX}" y="${tabY}" width="${tabWidth}" height="${tab}" fill="${BOX_COLOR}"/>
<text x="${tabX + Math.round(font * 0.4)}" y="${tabY + Math.round(tab * 0.75)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" font-weight="bold" fill="#ffffff">${text}</text>`;
  });
  return renderHtml(html`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${boxes}
</svg>`);
}
