/**
 * Backfill from a recorded video (`vigil collect --from-video clip.mp4 --fps 2`): ffmpeg samples
 * the video at `fps`, and frame k (from 0) is taken as captured at `start` + k/fps s, through the
 * ingest like any frame (the validate stage's limits, group commits, a resend stored once).
 */
import { ffmpegFrames, sampleArgs } from './ffmpeg.js';
import type { Ingest } from './ingest.js';
import { Refusal } from './errors.js';
import { VigilError } from '../pfs/errors.js';

/** Frames handed to the ingest and not yet committed, at most: enough to fill group commits. */
const IN_FLIGHT = 64;

export interface BackfillResult {
  stored: number;
  /** Already in raw with the same bytes. */
  unchanged: number;
  refused: Array<{ at: string; reason: string }>;
}

export async function backfillVideo(
  ingest: Ingest,
  opts: { file: string; fps: number; camera: string; start: Date },
): Promise<BackfillResult> {
  const result: BackfillResult = { stored: 0, unchanged: 0, refused: [] };
  const inFlight = new Set<Promise<void>>();
  let k = 0;
  const source = ffmpegFrames(sampleArgs(opts.file, opts.fps), async (jpeg) => {
    const at = new Date(opts.start.getTime() + Math.round((k++ * 1000) / opts.fps)).toISOString();
    const task = ingest.receive({ source: opts.camera, captureTime: at, body: jpeg }).then(
      (receipt) => {
        if (receipt.stored) result.stored++;
        else result.unchanged++;
      },
      (e: unknown) => {
        if (!(e instanceof Refusal)) throw e;
        result.refused.push({ at, reason: e.message });
      },
    );
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task)).catch(() => {});
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  });
  const failure = await source.ended;
  await Promise.all(inFlight);
  if (failure) throw new VigilError(`cannot read the video ${opts.file}: ${failure}`);
  return result;
}
