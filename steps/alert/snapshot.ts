/**
 * An incident's snapshot: its first frame with each object that made the rule fire boxed and
 * labelled (src/render/snapshot-overlay.ts), as a JPEG of bounded size for emails and the
 * portal. The alert step writes it beside the incident's record, `/<user>-<device>/<incident>.jpg`
 * in the alerts repo, so the portal serves it from there and retention expires it with the record.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { snapshotOverlay, type OverlayObject } from '../../src/render/snapshot-overlay.js';

/** Longest side of a snapshot, in pixels. */
export const SNAPSHOT_MAX_SIDE = 960;
/** What a snapshot may weigh: mail servers and PagerDuty's image fetcher stay happy far below 1 MB. */
export const SNAPSHOT_MAX_BYTES = 300 * 1024;

const QUALITIES = [82, 70, 55, 40];

/** Rendered snapshots this process keeps, at most, in bytes. */
const CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Snapshots already rendered by this process, by frame and boxes. An alert datum is a whole
 * device-day and writes every incident's snapshot again each time a frame joins that day; a warm
 * step (vigil serve) renders each incident once instead of once per frame of its day. The
 * rendering is deterministic, so a cached snapshot is byte for byte the one it stands for.
 */
const rendered = new Map<string, Buffer>();
let renderedBytes = 0;

function remember(key: string, jpeg: Buffer): void {
  rendered.set(key, jpeg);
  renderedBytes += jpeg.length;
  // Oldest first: a Map iterates in insertion order, and a hit re-inserts its entry.
  for (const [old, bytes] of rendered) {
    if (renderedBytes <= CACHE_BYTES) break;
    rendered.delete(old);
    renderedBytes -= bytes.length;
  }
}

/** The boxed JPEG of `frame` (any format sharp reads), at most SNAPSHOT_MAX_SIDE a side and SNAPSHOT_MAX_BYTES. */
export async function renderSnapshot(frame: Uint8Array, objects: readonly OverlayObject[]): Promise<Buffer> {
  const key = createHash('sha256').update(frame).update(JSON.stringify(objects)).digest('hex');
  const hit = rendered.get(key);
  if (hit) {
    rendered.delete(key);
    rendered.set(key, hit);
    return hit;
  }
  const jpeg = await renderBoxed(frame, objects);
  remember(key, jpeg);
  return jpeg;
}

async function renderBoxed(frame: Uint8Array, objects: readonly OverlayObject[]): Promise<Buffer> {
  const base = sharp(frame, { failOn: 'error' })
    .rotate()
    .resize({ width: SNAPSHOT_MAX_SIDE, height: SNAPSHOT_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .removeAlpha();
  const { data, info } = await base.raw().toBuffer({ resolveWithObject: true });
  const overlay = Buffer.from(snapshotOverlay(info.width, info.height, objects));
  const boxed = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .composite([{ input: overlay, top: 0, left: 0 }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  let jpeg = Buffer.alloc(0);
  for (const quality of QUALITIES) {
    jpeg = await sharp(boxed.data, { raw: boxed.info }).jpeg({ quality, mozjpeg: true }).toBuffer();
    if (jpeg.length <= SNAPSHOT_MAX_BYTES) break;
  }
  return jpeg;
}
