/**
 * The ingest: a frame from a camera (an upload, a pulled snapshot, a video's frame) checked
 * against the validate stage's limits, then stored once and committed to raw@master by the
 * group committer. Every refusal happens before anything is stored; an answer means the frame
 * is durably committed. Transport-agnostic: the HTTP routes, the S3 gateway, the camera puller
 * and `vigil collect` all go through `receive`.
 */
import { Readable } from 'node:stream';
import sharp from 'sharp';
import exifReader from 'exif-reader';
import type { FrameReceipt } from '../../specs/index.js';
import { parseSource } from '../contract/frame-path.js';
import { SNIFF_BYTES, type Format } from '../contract/image-format.js';
import type { Store } from '../engine/store/store.js';
import { sha256 } from '../pfs/files.js';
import { REPOS } from '../contract/repos.js';
import { IngestQueue, type QueueLimits } from './admission.js';
import { CommitBatcher, type BatcherOptions } from './batcher.js';
import { exifCaptureTime, parseCaptureHeader } from './capture-time.js';
import type { DiskWatch } from './disk-watch.js';
import { Refusal } from './errors.js';
import { checkFormat, checkFramePath, checkSize, frameFileName, type FrameLimits, type FrameTarget } from './ingest-core.js';
import type { ServeMetrics } from './metrics.js';
import { CameraZones } from './zones.js';

/** One frame as it arrives. */
export interface IncomingFrame {
  /** `<user>-<device>`: the raw folder. */
  source: string;
  /** `<ts>.<ext>`; absent when the camera cannot name its frames: the capture time then comes from `captureTime` or EXIF. */
  file?: string;
  /** The X-Capture-Time header (or a puller's clock), when `file` is absent. */
  captureTime?: string;
  /** The size the sender declared (Content-Length), checked before the body is read. */
  declaredBytes?: number;
  body: AsyncIterable<Uint8Array> | Uint8Array;
}

export interface IngestParts {
  store: Store;
  batcher: CommitBatcher;
  queue: IngestQueue;
  limits: FrameLimits;
  zones: CameraZones;
  metrics: ServeMetrics;
  /** The store's free space: below its threshold, frames are refused before they are read. */
  disk?: DiskWatch;
}

export interface IngestSetup {
  limits: FrameLimits;
  queue: QueueLimits;
  batch: BatcherOptions;
  metrics: ServeMetrics;
  /** Called after each commit to raw. */
  onCommit?: () => void;
  disk?: DiskWatch;
  log(line: string): void;
}

/** The ingest of raw@master in `store` (creating raw when missing), with its group committer and queue. */
export async function openIngest(store: Store, setup: IngestSetup): Promise<Ingest> {
  const { metrics } = setup;
  if (!(await store.listRepos()).some((r) => r.name === REPOS.raw)) {
    await store.createRepo(REPOS.raw, { description: 'camera frames' });
    setup.log(`created the repo ${REPOS.raw}`);
  }
  const queue = new IngestQueue(setup.queue);
  metrics.queue = queue;
  // Frames admitted and not yet put are still being read: with none, the batch has all it will get.
  const arriving = () => queue.frames - batcher.waiting;
  const batcher: CommitBatcher = await CommitBatcher.open(
    store,
    REPOS.raw,
    'master',
    { ...setup.batch, arriving },
    (_commit, files, seconds) => {
      metrics.commitSeconds.observe(seconds);
      metrics.commitFrames.observe(files);
      setup.onCommit?.();
    },
  );
  return new Ingest({
    store,
    batcher,
    queue,
    limits: setup.limits,
    zones: new CameraZones(store),
    metrics,
    ...(setup.disk ? { disk: setup.disk } : {}),
  });
}

export class Ingest {
  /** Frames' acknowledgement times by `<source>/<ts>`, the latest few thousand, for frame-to-alert latency. */
  private readonly acknowledged = new Map<string, number>();

  constructor(private readonly parts: IngestParts) {}

  get batcher(): CommitBatcher {
    return this.parts.batcher;
  }

  get queue(): IngestQueue {
    return this.parts.queue;
  }

  /** Stores a frame and answers once it is committed, or throws the Refusal that says why not. */
  async receive(frame: IncomingFrame): Promise<FrameReceipt> {
    const { metrics } = this.parts;
    try {
      const receipt = await this.take(frame);
      metrics.framesAccepted.inc({ stored: String(receipt.stored) });
      return receipt;
    } catch (e) {
      metrics.rejected(e instanceof Refusal ? e.code : 'internal');
      throw e;
    }
  }

  /** When the frame `<source>/<ts>` was acknowledged (ms since the epoch), if this server took it lately. */
  acknowledgedAt(source: string, ts: string): number | undefined {
    return this.acknowledged.get(`${source}/${ts}`);
  }

  private async take(frame: IncomingFrame): Promise<FrameReceipt> {
    const { store, batcher, queue, limits } = this.parts;
    const now = new Date();
    const owner = parseSource(frame.source);
    if ('error' in owner) throw new Refusal('bad_path', `/${frame.source}: ${owner.error}`);
    let target = frame.file === undefined ? undefined : checkFramePath(frame.source, frame.file, limits, now);
    if (frame.declaredBytes !== undefined) checkSize(frame.declaredBytes, limits);
    const diskLow = this.parts.disk?.refusal();
    if (diskLow) throw diskLow;
    const release = queue.admit(frame.declaredBytes ?? limits.maxBytes);
    try {
      const { bytes, format } = await readFrame(frame.body, limits);
      target ??= checkFramePath(frame.source, frameFileName(await this.captureTime(frame, owner, bytes), format), limits, now);
      const digest = sha256(bytes);
      if (batcher.check(target.path, digest) === 'new') await store.addObject(bytes, { batch: true });
      const { commit, stored } = await batcher.put({ path: target.path, sha256: digest, size: bytes.byteLength });
      this.remember(target);
      return {
        repo: batcher.repo,
        branch: batcher.branch,
        commit,
        path: target.path,
        sha256: digest,
        size: bytes.byteLength,
        capturedAt: target.capturedAt.toISOString(),
        stored,
      };
    } finally {
      release();
    }
  }

  private async captureTime(frame: IncomingFrame, owner: { user: string; device: string }, bytes: Buffer): Promise<Date> {
    if (frame.captureTime !== undefined) return parseCaptureHeader(frame.captureTime);
    const exif = await readExifTimes(bytes);
    const zone = await this.parts.zones.zoneOf(owner.user, owner.device);
    const time = exif && exifCaptureTime(exif, zone);
    if (!time) {
      throw new Refusal(
        'capture_time',
        'no capture time: name the frame (/<user>-<device>/<ts>.<ext>), send X-Capture-Time, or send a frame whose EXIF has DateTimeOriginal',
      );
    }
    return time;
  }

  private remember(target: FrameTarget): void {
    const ts = target.path.slice(target.path.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
    this.acknowledged.set(`${target.source}/${ts}`, Date.now());
    if (this.acknowledged.size > 10_000) this.acknowledged.delete(this.acknowledged.keys().next().value!);
  }
}

/**
 * Reads a frame's body, refusing bytes of no accepted format as soon as the first bytes are in
 * and a body over the size limit as soon as it passes it, so neither is read whole.
 */
async function readFrame(body: AsyncIterable<Uint8Array> | Uint8Array, limits: FrameLimits): Promise<{ bytes: Buffer; format: Format }> {
  if (body instanceof Uint8Array) {
    checkSize(body.byteLength, limits);
    return { bytes: Buffer.from(body.buffer, body.byteOffset, body.byteLength), format: checkFormat(body, limits) };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let format: Format | undefined;
  // A refusal leaves the loop; the request is not destroyed with it, as the refusal is answered on
  // its connection (the route discards the unread rest).
  const source = body instanceof Readable ? body.iterator({ destroyOnReturn: false }) : body;
  for await (const chunk of source) {
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    size += chunk.byteLength;
    checkSize(size, limits);
    if (format === undefined && size >= SNIFF_BYTES) format = checkFormat(Buffer.concat(chunks), limits);
  }
  const bytes = Buffer.concat(chunks, size);
  return { bytes, format: format ?? checkFormat(bytes, limits) };
}

/** DateTimeOriginal and OffsetTimeOriginal from the frame's EXIF, or null when it has none or it cannot be read. */
async function readExifTimes(bytes: Buffer): Promise<{ dateTimeOriginal?: Date | null; offsetTimeOriginal?: string | null } | null> {
  try {
    const { exif } = await sharp(bytes).metadata();
    if (!exif) return null;
    const photo = exifReader(exif).Photo;
    const offset = photo?.OffsetTimeOriginal;
    return { dateTimeOriginal: photo?.DateTimeOriginal, offsetTimeOriginal: typeof offset === 'string' ? offset : null };
  } catch {
    return null;
  }
}
