import { Refusal } from './errors.js';

export interface QueueLimits {
  /** Frames admitted and not yet answered, at most. */
  maxFrames: number;
  /** Their bytes, at most: what the server may hold for them in memory and in uncommitted objects. */
  maxBytes: number;
  /** What a refused camera is told to wait (Retry-After), seconds. */
  retryAfterSeconds: number;
}

/**
 * Backpressure: a frame is admitted, before its body is read, only while the frames and bytes
 * admitted and not yet answered stay under the limits; otherwise it is refused at once (503 with
 * Retry-After), so memory stays bounded and no admitted frame is ever dropped.
 */
export class IngestQueue {
  frames = 0;
  bytes = 0;

  constructor(readonly limits: QueueLimits) {}

  /** Admits a frame of at most `bytes`; returns the release to call once it is answered. */
  admit(bytes: number): () => void {
    const { maxFrames, maxBytes, retryAfterSeconds } = this.limits;
    if (this.frames + 1 > maxFrames || this.bytes + bytes > maxBytes) {
      throw new Refusal(
        'queue_full',
        `the ingest queue is full (${this.frames} frames, ${this.bytes} bytes waiting for their commit); nothing was stored: send again in ${retryAfterSeconds} s`,
        { 'Retry-After': String(retryAfterSeconds) },
      );
    }
    this.frames++;
    this.bytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.frames--;
      this.bytes -= bytes;
    };
  }
}
