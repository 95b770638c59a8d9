/**
 * An incident's snapshot: its first frame with each object that made the rule fire boxed and
 * labelled (src/render/snapshot-overlay.ts), as a JPEG of bounded size for emails and the
 * portal. The alert step writes it beside the incident's record, `/<user>-<device>/<incident>.jpg`
 * in the alerts repo, so the portal serves it from there and retention expires it with the record.
 */
import sharp from 'sharp';
import { snapshotOverlay, type OverlayObject } from '../../src/render/snapshot-overlay.js';

/** Longest side of a snapshot, in pixels. */
export const SNAPSHOT_MAX_SIDE = 960;
/** What a snapshot may weigh: mail servers and PagerDuty's image fetcher stay happy far below 1 MB. */
export const SNAPSHOT_MAX_BYTES = 300 * 1024;

const QUALITIES = [82, 70, 55, 40];

/** The boxed JPEG of `frame` (any format sharp reads), at most SNAPSHOT_MAX_SIDE a side and SNAPSHOT_MAX_BYTES. */
export async function renderSnapshot(frame: Uint8Array, objects: readonly OverlayObject[]): Promise<Buffer> {
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
