import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { DetectedObject } from '../../specs/index.js';
import { objectsOnFrame, placeFrame, type Placement, type ResizeMode, type Size } from './core.js';
import { infer, type Detector } from './model.js';
import { decodeOutput } from './output.js';

/** A frame fitted into the model input: raw RGB of exactly the input size, and where the frame lies in it. */
export interface PreparedFrame {
  frame: Size;
  placement: Placement;
  rgb: Uint8Array;
}

/** The frame as a viewer shows it: EXIF orientation applied, so boxes match what people see. */
const open = (bytes: Uint8Array) => sharp(bytes, { autoOrient: true });

/** The frame's size as shown, read from its header alone. */
async function frameSize(bytes: Uint8Array): Promise<Size> {
  const { autoOrient } = await open(bytes).metadata();
  return { width: autoOrient.width, height: autoOrient.height };
}

/**
 * Decodes an image and fits it into the model input (letterbox: resize, then pad with black to
 * exact offsets, so boxes map back exactly). Any colour space or alpha becomes plain sRGB.
 */
export async function prepareFrame(bytes: Uint8Array, input: Size, mode: ResizeMode): Promise<PreparedFrame> {
  const frame = await frameSize(bytes);
  if (!frame.width || !frame.height) throw new Error('the image has no size');
  const placement = placeFrame(frame, input, mode);
  const { data, info } = await open(bytes)
    .removeAlpha()
    .toColourspace('srgb')
    .resize(placement.width, placement.height, { fit: 'fill' })
    .extend({
      top: placement.top,
      left: placement.left,
      bottom: input.height - placement.height - placement.top,
      right: input.width - placement.width - placement.left,
      background: { r: 0, g: 0, b: 0 },
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== input.width || info.height !== input.height || info.channels !== 3) {
    throw new Error(`resizing gave ${info.width}x${info.height}x${info.channels}, not ${input.width}x${input.height}x3`);
  }
  return { frame, placement, rgb: data };
}

/** What the detector saw in one frame, or why it could not read it. */
export interface FrameResult {
  frameSize: Size;
  objects: DetectedObject[];
  /** Wall time of decode, resize and inference. */
  inferenceMs: number;
  error?: string;
}

/** Decodes, resizes and runs the detector on one image's bytes; an undecodable image yields `error`, not a throw. */
export async function detectInFrame(detector: Detector, bytes: Uint8Array): Promise<FrameResult> {
  const started = performance.now();
  const elapsedMs = () => Math.round((performance.now() - started) * 10) / 10;
  let prepared: PreparedFrame;
  try {
    prepared = await prepareFrame(bytes, detector.input, detector.config.resize ?? 'letterbox');
  } catch (e) {
    // The header may still give the size when the pixels are broken.
    const size = await frameSize(bytes).catch(() => ({ width: 0, height: 0 }));
    return {
      frameSize: size,
      objects: [],
      inferenceMs: elapsedMs(),
      error: `cannot decode the frame: ${(e as Error).message.split('\n')[0]}`,
    };
  }
  const candidates = decodeOutput(detector.output, await infer(detector, prepared.rgb), detector.input);
  const objects = objectsOnFrame(candidates, detector.labels, prepared.placement);
  return { frameSize: prepared.frame, objects, inferenceMs: elapsedMs() };
}
