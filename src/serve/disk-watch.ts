/**
 * The store's free disk space, watched so that the collector stops taking frames before a full
 * disk can fail a commit half-way: below the threshold every frame is refused (503 disk_low,
 * Retry-After, a JSON reason) before a byte of it is read, /readyz says so, /metrics exposes the
 * free bytes and a low-disk gauge, the portal shows a banner, and the change is logged at error
 * level (and again when space comes back).
 *
 * Thresholds: VIGIL_MIN_FREE_BYTES (default 1 GiB) and VIGIL_MIN_FREE_PERCENT (default 2) of the
 * store's filesystem; low when free space is under either.
 */
import { statfs } from 'node:fs/promises';
import { Gauge } from 'prom-client';
import { VigilError } from '../pfs/errors.js';
import { Refusal } from './errors.js';
import type { ServeMetrics } from './metrics.js';

export interface DiskThresholds {
  minFreeBytes: number;
  minFreePercent: number;
}

export interface DiskLevel {
  freeBytes: number;
  totalBytes: number;
}

const DEFAULT_MIN_FREE_BYTES = 2 ** 30;
const DEFAULT_MIN_FREE_PERCENT = 2;
/** How often free space is read again, ms: often enough that a burst of frames cannot fill the margin. */
const CHECK_MS = 2000;
const RETRY_AFTER_S = 60;

/** The thresholds the environment sets. */
export function diskThresholds(env: NodeJS.ProcessEnv): DiskThresholds {
  const number = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0)
      throw new VigilError(`${name}="${text}" is not a number of ${name.endsWith('PERCENT') ? 'percent' : 'bytes'} (0 or more)`);
    return n;
  };
  return {
    minFreeBytes: number('VIGIL_MIN_FREE_BYTES', DEFAULT_MIN_FREE_BYTES),
    minFreePercent: number('VIGIL_MIN_FREE_PERCENT', DEFAULT_MIN_FREE_PERCENT),
  };
}

/** Why `level` is too low for `thresholds`, or null when it is not. */
export function lowDiskReason(level: DiskLevel, thresholds: DiskThresholds): string | null {
  const percent = level.totalBytes > 0 ? (100 * level.freeBytes) / level.totalBytes : 100;
  if (level.freeBytes >= thresholds.minFreeBytes && percent >= thresholds.minFreePercent) return null;
  return `the store's disk has ${level.freeBytes} bytes free (${percent.toFixed(1)}%), under the minimum of ${thresholds.minFreeBytes} bytes or ${thresholds.minFreePercent}%`;
}

export class DiskWatch {
  private level: DiskLevel = { freeBytes: Number.POSITIVE_INFINITY, totalBytes: 0 };
  private reason: string | null = null;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    private readonly thresholds: DiskThresholds,
    private readonly log: (line: string) => void,
    metrics: ServeMetrics,
  ) {
    const free: Gauge = new Gauge({
      name: 'vigil_disk_free_bytes',
      help: "Free bytes on the store's filesystem.",
      registers: [metrics.registry],
      collect: () => free.set(this.level.freeBytes),
    });
    const low: Gauge = new Gauge({
      name: 'vigil_disk_low',
      help: '1 while free space is under the threshold (VIGIL_MIN_FREE_BYTES / VIGIL_MIN_FREE_PERCENT) and frames are refused, else 0.',
      registers: [metrics.registry],
      collect: () => low.set(this.reason ? 1 : 0),
    });
    this.timer = setInterval(
      () => void this.check().catch((e: Error) => this.log(`error: cannot read free disk space: ${e.message}`)),
      CHECK_MS,
    );
    this.timer.unref();
  }

  /** Watches the filesystem of `dir` (the store), read once before it returns. */
  static async start(dir: string, thresholds: DiskThresholds, metrics: ServeMetrics, log: (line: string) => void): Promise<DiskWatch> {
    const watch = new DiskWatch(dir, thresholds, log, metrics);
    await watch.check();
    return watch;
  }

  async check(): Promise<void> {
    const s = await statfs(this.dir);
    this.level = { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    const reason = lowDiskReason(this.level, this.thresholds);
    if (reason && !this.reason)
      this.log(`error: disk low: ${reason}; frames are refused (503 disk_low) until space is freed (vigil retain, vigil gc)`);
    if (!reason && this.reason) this.log(`disk space is back: ${this.level.freeBytes} bytes free; frames are taken again`);
    this.reason = reason;
  }

  /** Why writes are refused now, or null. */
  low(): string | null {
    return this.reason;
  }

  /** The refusal for a frame while the disk is low, or null. */
  refusal(): Refusal | null {
    if (!this.reason) return null;
    return new Refusal('disk_low', `${this.reason}; nothing was stored: send the frame again later`, {
      'Retry-After': String(RETRY_AFTER_S),
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
