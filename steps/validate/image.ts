/** The validate step's image work, with sharp (libvips). */
import sharp from 'sharp';
import type { ResolvedConfig } from './config.js';
import type { Dimensions } from './core.js';

// Each frame is read once, so libvips' operation cache would only hold memory. One libvips
// thread per process (unless VIPS_CONCURRENCY says otherwise): the engine runs one worker per
// core and datums one at a time, so parallelism comes from workers; more threads per image
// only contend for the same cores.
sharp.cache(false);
if (!process.env.VIPS_CONCURRENCY) sharp.concurrency(1);

/** libvips' messages span lines and repeat; the first line is the one a person needs. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].trim().replace(/\.$/, '');
}

/**
 * Width and height from the header alone, or why the header is unreadable. No pixel limit: the
 * header costs nothing whatever it claims, and the resolution check needs the size of a frame
 * too large to decode.
 */
export async function readDimensions(input: string | Buffer): Promise<Dimensions | { error: string }> {
  try {
    const { width, height } = await sharp(input, { failOn: 'error', limitInputPixels: false }).metadata();
    return { width, height };
  } catch (e) {
    return { error: firstLine(e) };
  }
}

/** A frame decoded into the standard form, as interleaved 8-bit sRGB pixels. */
export interface StandardImage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: number;
}

/**
 * Decodes the whole frame into the standard form: EXIF orientation applied, alpha flattened on
 * black, sRGB, shrunk so that neither side exceeds `outputMaxSide` (never enlarged). A
 * truncated or corrupt file (`failOn: 'error'`), or one over `maxSide` squared pixels, gives
 * the reason instead.
 */
export async function standardise(input: string | Buffer, config: ResolvedConfig): Promise<StandardImage | { error: string }> {
  try {
    const { data, info } = await sharp(input, { failOn: 'error', limitInputPixels: config.maxSide ** 2 })
      .rotate()
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .resize({ width: config.outputMaxSide, height: config.outputMaxSide, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { pixels: data, width: info.width, height: info.height, channels: info.channels };
  } catch (e) {
    return { error: firstLine(e) };
  }
}

/** The standard image as a JPEG with no metadata at all; the same pixels always give the same bytes. */
export function encodeJpeg(image: StandardImage, quality: number): Promise<Buffer> {
  const { pixels, width, height, channels } = image;
  return sharp(pixels, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } })
    .jpeg({ quality })
    .toBuffer();
}
