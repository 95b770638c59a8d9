/**
 * What `vigil serve` exposes at /metrics, in Prometheus' text format (prom-client): frames
 * accepted and refused by reason, the ingest queue, commit latency, jobs by pipeline and state,
 * frame-to-alert latency and the pulled cameras' health.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RefusalCode } from './errors.js';

/** What the queue gauges read when scraped. */
export interface QueueLevels {
  frames: number;
  bytes: number;
}

export class ServeMetrics {
  readonly registry = new Registry();
  /** The ingest queue, once there is one. */
  queue: QueueLevels | undefined;

  readonly framesAccepted = new Counter({
    name: 'vigil_frames_accepted_total',
    help: 'Frames answered 201 (stored) or 200 (a resend of a stored frame), by whether this request stored them.',
    labelNames: ['stored'] as const,
    registers: [this.registry],
  });

  readonly framesRejected = new Counter({
    name: 'vigil_frames_rejected_total',
    help: 'Frames refused before anything was stored, by reason (the error code of the answer).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly queueFrames: Gauge = new Gauge({
    name: 'vigil_ingest_queue_frames',
    help: 'Frames admitted and not yet answered.',
    registers: [this.registry],
    collect: (): void => this.queueFrames.set(this.queue?.frames ?? 0),
  });

  readonly queueBytes: Gauge = new Gauge({
    name: 'vigil_ingest_queue_bytes',
    help: 'Bytes admitted and not yet answered.',
    registers: [this.registry],
    collect: (): void => this.queueBytes.set(this.queue?.bytes ?? 0),
  });

  readonly commitSeconds = new Histogram({
    name: 'vigil_ingest_commit_seconds',
    help: 'Time to write one group commit to raw, from its start to its branch head on disk.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly commitFrames = new Histogram({
    name: 'vigil_ingest_commit_frames',
    help: 'Frames per group commit.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: 'vigil_jobs_total',
    help: 'Jobs finished by the server, by pipeline and final state (JOB_SUCCESS, JOB_FAILURE, JOB_KILLED).',
    labelNames: ['pipeline', 'state'] as const,
    registers: [this.registry],
  });

  readonly jobsRunning = new Gauge({
    name: 'vigil_jobs_running',
    help: 'Jobs running now, by pipeline.',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });

  readonly frameToAlert = new Histogram({
    name: 'vigil_frame_to_alert_seconds',
    help: "Seconds from a frame's acknowledgement (its commit to raw) to its alert's delivery, for alerts delivered by this server.",
    buckets: [0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly cameraUp = new Gauge({
    name: 'vigil_camera_up',
    help: 'Pulled cameras: 1 while the camera answers, 0 while it does not.',
    labelNames: ['camera'] as const,
    registers: [this.registry],
  });

  readonly cameraFailures = new Counter({
    name: 'vigil_camera_failures_total',
    help: 'Pulled cameras: failed attempts to get a frame.',
    labelNames: ['camera'] as const,
    registers: [this.registry],
  });

  rejected(code: RefusalCode): void {
    this.framesRejected.inc({ reason: code });
  }
}
