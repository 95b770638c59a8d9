/**
 * Cameras that do not push: each camera of a cameras file (specs/cameras.schema.json) is
 * sampled at its rate, over HTTP (one GET per snapshot) or with ffmpeg (an RTSP or MJPEG
 * stream), and each frame goes through the ingest as an upload would, its capture time the
 * moment it arrived. A camera that stops answering is reported (log, vigil_camera_up 0) and
 * tried again with exponential backoff, 1 s doubling up to 60 s.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { describeErrors, validatorFor, type PulledCamera } from '../../specs/index.js';
import { VigilError } from '../pfs/errors.js';
import { Refusal } from './errors.js';
import { ffmpegFrames, sampleArgs } from './ffmpeg.js';
import type { Ingest } from './ingest.js';
import type { ServeMetrics } from './metrics.js';

export async function readCamerasFile(file: string): Promise<PulledCamera[]> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (e) {
    throw new VigilError(`cannot read the cameras file ${file}: ${(e as Error).message}`);
  }
  const validate = validatorFor('cameras');
  if (!validate(doc)) throw new VigilError(`invalid cameras file:\n${describeErrors(file, validate.errors).join('\n')}`);
  const seen = new Set<string>();
  for (const camera of doc.cameras) {
    if (seen.has(camera.id)) throw new VigilError(`${file}: camera ${camera.id} is listed twice`);
    seen.add(camera.id);
  }
  return doc.cameras;
}

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
const SNAPSHOT_TIMEOUT_MS = 10_000;

export interface PullerParts {
  ingest: Ingest;
  metrics: ServeMetrics;
  log(line: string): void;
}

/** Pulls every camera until stopped. */
export function startPulling(cameras: PulledCamera[], parts: PullerParts): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const loops = cameras.map((camera) => pullCamera(camera, parts, stopping.signal));
  return {
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

/** One camera's loop: sessions of sampling, each ended by a failure, then a wait that doubles while it keeps failing. */
async function pullCamera(camera: PulledCamera, parts: PullerParts, signal: AbortSignal): Promise<void> {
  const fps = camera.fps ?? 1;
  const kind = camera.kind ?? (/^rtsps?:/.test(camera.url) ? 'stream' : 'snapshot');
  let backoff = BACKOFF_START_MS;
  let down = false;
  const take = async (jpeg: Buffer): Promise<void> => {
    try {
      await parts.ingest.receive({ source: camera.id, captureTime: new Date().toISOString(), body: jpeg });
    } catch (e) {
      // A frame the ingest refuses (a full queue, a frame of no image format) is that frame's loss, not the camera's.
      if (!(e instanceof Refusal)) throw e;
      parts.log(`camera ${camera.id}: a frame was refused: ${e.message}`);
    }
  };
  const answered = () => {
    parts.metrics.cameraUp.set({ camera: camera.id }, 1);
    backoff = BACKOFF_START_MS;
    if (down) parts.log(`camera ${camera.id} answers again`);
    down = false;
  };
  while (!signal.aborted) {
    const failure =
      kind === 'snapshot'
        ? await snapshots(camera.url, fps, take, answered, signal)
        : await stream(camera.url, fps, take, answered, signal);
    if (signal.aborted) break;
    parts.metrics.cameraUp.set({ camera: camera.id }, 0);
    parts.metrics.cameraFailures.inc({ camera: camera.id });
    parts.log(`camera ${camera.id} is not answering (${failure}); trying again in ${backoff / 1000} s`);
    down = true;
    await sleep(backoff, undefined, { signal }).catch(() => {});
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  }
}

/** GETs a snapshot every 1/fps s until one fails; returns why. */
async function snapshots(
  url: string,
  fps: number,
  take: (jpeg: Buffer) => Promise<void>,
  answered: () => void,
  signal: AbortSignal,
): Promise<string> {
  const period = 1000 / fps;
  for (let next = Date.now(); !signal.aborted; next += period) {
    let bytes: Buffer;
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS)]) });
      if (!res.ok) return `HTTP ${res.status}`;
      bytes = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      return signal.aborted ? 'stopped' : (((e as Error).cause as Error | undefined)?.message ?? (e as Error).message);
    }
    answered();
    await take(bytes);
    await sleep(Math.max(0, next + period - Date.now()), undefined, { signal }).catch(() => {});
  }
  return 'stopped';
}

/** Samples a stream with ffmpeg until ffmpeg ends or no frame comes for a while; returns why. */
async function stream(
  url: string,
  fps: number,
  take: (jpeg: Buffer) => Promise<void>,
  answered: () => void,
  signal: AbortSignal,
): Promise<string> {
  const stallMs = Math.max(15_000, 5000 / fps);
  let last = Date.now();
  const source = ffmpegFrames(sampleArgs(url, fps), async (jpeg) => {
    last = Date.now();
    answered();
    await take(jpeg);
  });
  const watchdog = setInterval(() => {
    if (Date.now() - last > stallMs) source.stop();
  }, 1000);
  const onAbort = () => source.stop();
  signal.addEventListener('abort', onAbort, { once: true });
  const failure = await source.ended;
  clearInterval(watchdog);
  signal.removeEventListener('abort', onAbort);
  if (Date.now() - last > stallMs) return `no frame for ${Math.round(stallMs / 1000)} s`;
  return failure ?? 'the stream ended';
}
