/**
 * What a frame's bytes are, told by their magic numbers (never by the file's extension), and the
 * extensions a frame's name may have. The validate stage judges stored frames with it and
 * `vigil serve` refuses other bytes before they are stored: one definition for both.
 */
import { FRAME_EXTENSIONS } from './frame-path.js';

/** Formats told apart by their magic numbers; which of them are accepted is the validate config's `formats`. */
export type Format = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp' | 'tiff';

/** Byte strings (latin1) at offsets that identify a format. */
const SIGNATURES: Array<{ format: Format; parts: Array<[offset: number, bytes: string]> }> = [
  { format: 'jpeg', parts: [[0, '\xff\xd8\xff']] },
  { format: 'png', parts: [[0, '\x89PNG\r\n\x1a\n']] },
  {
    format: 'webp',
    parts: [
      [0, 'RIFF'],
      [8, 'WEBP'],
    ],
  },
  { format: 'gif', parts: [[0, 'GIF8']] },
  { format: 'bmp', parts: [[0, 'BM']] },
  { format: 'tiff', parts: [[0, 'II*\x00']] },
  { format: 'tiff', parts: [[0, 'MM\x00*']] },
];

/** How many leading bytes sniffFormat needs. */
export const SNIFF_BYTES = 12;

/** The format the bytes say they are (the extension is never trusted), or null when unknown. */
export function sniffFormat(head: Uint8Array): Format | null {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, SNIFF_BYTES)).toString('latin1');
  const sig = SIGNATURES.find((s) => s.parts.every(([offset, bytes]) => text.startsWith(bytes, offset)));
  return sig?.format ?? null;
}

/** The extension a frame of this format is named with when its name is made for it (a camera that cannot name files). */
export function extensionOf(format: Format): string | null {
  return format === 'jpeg' ? 'jpg' : (FRAME_EXTENSIONS as readonly string[]).includes(format) ? format : null;
}
