/**
 * `vigil serve` assembled: the store, the group committer of raw@master, the ingest, the HTTP
 * app and its listener, the pipeline scheduler with its warm workers, the camera puller and the
 * S3 gateway; and the order they stop in, so that SIGTERM finishes the commit and the job in
 * flight and loses no acknowledged frame.
 */
import { join } from 'node:path';
import { ppsDir } from '../engine/pps/pipelines.js';
import type { Store } from '../engine/store/store.js';
import { REPOS } from '../contract/repos.js';
import { WarmWorkers } from '../engine/worker/warm-workers.js';
import type { QueueLimits } from './admission.js';
import { AlertLatency } from './alert-latency.js';
import { createApp, type RouteGroup } from './app.js';
import type { BatcherOptions } from './batcher.js';
import { TokenVerifier } from './devices.js';
import { DiskWatch, diskThresholds } from './disk-watch.js';
import { Refusal } from './errors.js';
import { frameRoutes } from './frame-routes.js';
import { openIngest, type Ingest } from './ingest.js';
import type { FrameLimits } from './ingest-core.js';
import { listen, type Listening, type ListenOptions } from './listen.js';
import { ServeMetrics } from './metrics.js';
import { opsRoutes } from './ops-routes.js';
import { PipelineScheduler } from './scheduler.js';

export interface PipelineOptions {
  /** The pipeline whose upstream closure runs first (the path to an alert). */
  urgent: string;
  debounceMs: number;
  batchIntervalMs: number;
  pollMs: number;
  /** Keep datum-batching steps warm across jobs. */
  warm: boolean;
}

/** What else runs beside the API, each started with the ingest and stopped before it. */
export interface Companion {
  stop(): Promise<void>;
}

export interface ServeOptions {
  store: Store;
  limits: FrameLimits;
  version: string;
  listen: ListenOptions;
  allowInsecureTokens: boolean;
  queue: QueueLimits;
  batch: BatcherOptions;
  /** Absent: frames are only stored; no pipeline runs. */
  pipelines?: PipelineOptions;
  /** More route groups for the app (mounted after the frame and operations routes). */
  routes?: RouteGroup[];
  /** Started once the ingest is ready: the camera puller, the S3 gateway. */
  companions?: Array<(parts: ServeParts) => Promise<Companion>>;
  log(line: string): void;
}

/** What companions and route groups get to work with. */
export interface ServeParts {
  store: Store;
  ingest: Ingest;
  metrics: ServeMetrics;
  verifier: TokenVerifier;
  /** The store's free space (the portal's banner, the daily housekeeping). */
  disk: DiskWatch;
  /** Absent when no pipeline runs (--no-pipelines). */
  scheduler?: PipelineScheduler;
  log(line: string): void;
}

export interface RunningServe {
  url: string;
  parts: ServeParts;
  /** Stops: no new frame, the frames in flight answered and committed, the run in flight finished (up to `graceMs`), steps ended. */
  stop(graceMs: number): Promise<void>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const { store, log } = opts;
  const metrics = new ServeMetrics();
  const disk = await DiskWatch.start(store.root, diskThresholds(process.env), metrics, log);
  let scheduler: PipelineScheduler | undefined;
  const ingest = await openIngest(store, {
    disk,
    limits: opts.limits,
    queue: opts.queue,
    batch: opts.batch,
    metrics,
    onCommit: () => scheduler?.notify([REPOS.raw]),
    log,
  });
  const { batcher, queue } = ingest;
  const verifier = new TokenVerifier(store.root);

  let stopping = false;
  const app = createApp(
    [
      frameRoutes({ ingest, metrics, verifier, allowInsecureTokens: opts.allowInsecureTokens, stopping: () => stopping }),
      opsRoutes({
        metrics,
        version: opts.version,
        notReady: () =>
          stopping
            ? new Refusal('shutting_down', 'the server is stopping')
            : (disk.refusal() ??
              (queue.frames >= opts.queue.maxFrames
                ? new Refusal('queue_full', 'the ingest queue is full', { 'Retry-After': String(opts.queue.retryAfterSeconds) })
                : null)),
      }),
      ...(opts.routes ?? []),
    ],
    (e) => log(`error: ${(e as Error).stack ?? String(e)}`),
  );

  let workers: WarmWorkers | undefined;
  if (opts.pipelines) {
    const p = opts.pipelines;
    workers = p.warm ? new WarmWorkers(store, join(ppsDir(store.root), 'warm')) : undefined;
    const latency = new AlertLatency(
      store,
      (source, ts) => ingest.acknowledgedAt(source, ts),
      (s) => metrics.frameToAlert.observe(s),
    );
    scheduler = new PipelineScheduler({
      store,
      urgent: p.urgent,
      debounceMs: p.debounceMs,
      batchIntervalMs: p.batchIntervalMs,
      pollMs: p.pollMs,
      ...(workers ? { workers } : {}),
      metrics,
      log,
      afterUrgentRun: (outcomes) => latency.afterRun(outcomes),
    });
  }

  const parts: ServeParts = { store, ingest, metrics, verifier, disk, ...(scheduler ? { scheduler } : {}), log };
  const listener: Listening = await listen(app, opts.listen);
  const companions: Companion[] = [];
  for (const start of opts.companions ?? []) companions.push(await start(parts));

  return {
    url: listener.url,
    parts,
    async stop(graceMs: number) {
      stopping = true;
      await Promise.all(companions.map((c) => c.stop()));
      await listener.close();
      await batcher.close();
      await scheduler?.stop(graceMs);
      await workers?.close();
      disk.stop();
    },
  };
}
