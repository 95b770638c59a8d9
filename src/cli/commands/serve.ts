import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPOS } from '../../contract/repos.js';
import { packageRoot } from '../../pfs/package-root.js';
import type { Companion, ServeParts } from '../../serve/service.js';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';

/** `vigil serve`: the images collector and the pipelines running by themselves (src/serve/, README "vigil serve"). */
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

/** Resolves on the first SIGTERM or SIGINT, with its name. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'serve',
    describe: 'take frames from cameras over HTTP (and S3, and pulled cameras), run the pipelines as they arrive, and serve the portal',
    builder: (y) =>
      withRoot(y)
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
        .option('port', { type: 'number', default: 8080, describe: 'port of the API (0: any free port)' })
        .option('tls-cert', { type: 'string', describe: 'PEM certificate: serve HTTPS (with --tls-key)' })
        .option('tls-key', { type: 'string', describe: 'PEM private key of --tls-cert' })
        .option('allow-insecure-tokens', {
          type: 'boolean',
          default: false,
          describe: 'take device tokens over plain HTTP from other hosts too (by default only over HTTPS or from this machine)',
        })
        .option('s3-port', { type: 'number', describe: "serve Pachyderm's S3 gateway protocol on this port too (0: any free port)" })
        .option('cameras', { type: 'string', describe: 'a cameras file (YAML or JSON): cameras to pull frames from' })
        .option('pipelines', {
          type: 'boolean',
          default: true,
          describe: 'run the pipelines as frames arrive (--no-pipelines: only store)',
        })
        .option('warm', { type: 'boolean', default: true, describe: "keep datum-batching steps' processes warm between jobs" })
        .option('debounce-ms', {
          type: 'number',
          default: 250,
          describe: 'after frames land, how long the first stage waits for more before its job (frames arriving together share it)',
        })
        .option('batch-interval', {
          type: 'number',
          default: 60,
          describe: 'seconds between runs of the pipelines off the path to an alert (warehouse, reports)',
        })
        .option('commit-interval-ms', {
          type: 'number',
          default: 100,
          describe: 'group commit: how long a frame waits for others while no commit is being written',
        })
        .option('commit-max-frames', { type: 'number', default: 256, describe: 'group commit: frames that make a commit at once' })
        .option('queue-frames', { type: 'number', default: 1024, describe: 'frames admitted and not yet answered, at most (then 503)' })
        .option('queue-mb', { type: 'number', default: 256, describe: 'their bytes, at most, MiB (then 503)' })
        .option('grace', { type: 'number', default: 30, describe: 'on SIGTERM, seconds the job in flight may take to finish' })
        .option('housekeeping-hours', {
          type: 'number',
          default: 24,
          describe: 'hours between rounds of frame retention and garbage collection, run at start too (0: never)',
        }),
    handler: async (args) => {
      if (Boolean(args.tlsCert) !== Boolean(args.tlsKey)) throw new VigilError('--tls-cert and --tls-key go together');
      const store = await openStore(args);
      const { startServe } = await import('../../serve/service.js');
      const { frameLimits } = await import('../frame-limits.js');
      const companions: Array<(parts: ServeParts) => Promise<Companion>> = [];
      if (args.cameras) {
        const { readCamerasFile, startPulling } = await import('../../serve/cameras.js');
        const cameras = await readCamerasFile(args.cameras);
        companions.push(async (parts) => {
          parts.log(
            `pulling ${cameras.length} camera${cameras.length === 1 ? '' : 's'}: ${cameras.map((c) => `${c.id} (${c.fps ?? 1}/s)`).join(', ')}`,
          );
          return startPulling(cameras, parts);
        });
      }
      if (args.s3Port !== undefined) {
        const { s3Gateway } = await import('../../serve/s3/gateway.js');
        const { VIGIL_S3_ACCESS_KEY: accessKey, VIGIL_S3_SECRET_KEY: secretKey } = process.env;
        if (Boolean(accessKey) !== Boolean(secretKey)) throw new VigilError('VIGIL_S3_ACCESS_KEY and VIGIL_S3_SECRET_KEY go together');
        companions.push(
          s3Gateway({
            host: args.host,
            port: args.s3Port,
            ...(await tlsOf(args)),
            ...(accessKey && secretKey ? { operator: { accessKey, secretKey } } : {}),
            allowInsecureTokens: args.allowInsecureTokens,
          }),
        );
      }
      if (args.housekeepingHours > 0) {
        const { startHousekeeping } = await import('../housekeeping.js');
        const intervalMs = args.housekeepingHours * 3_600_000;
        companions.push(async (parts) => startHousekeeping(parts, { intervalMs, graceMs: 3_600_000 }));
      }
      const { openPortal } = await import('../../portal/portal.js');
      const portal = await openPortal(store, { pollMs: 1000, log });
      companions.push((parts) => portal.start(parts));
      const serving = await startServe({
        store,
        limits: await frameLimits(store),
        version: (JSON.parse(await readFile(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version,
        listen: { host: args.host, port: args.port, ...(await tlsOf(args)) },
        allowInsecureTokens: args.allowInsecureTokens,
        queue: { maxFrames: args.queueFrames, maxBytes: args.queueMb * 2 ** 20, retryAfterSeconds: 1 },
        batch: { intervalMs: args.commitIntervalMs, maxFiles: args.commitMaxFrames },
        ...(args.pipelines
          ? {
              pipelines: {
                urgent: REPOS.alerts,
                debounceMs: args.debounceMs,
                batchIntervalMs: args.batchInterval * 1000,
                pollMs: 1000,
                warm: args.warm,
              },
            }
          : {}),
        routes: [portal.routes],
        companions,
        log,
      });
      log(`vigil serve: frames at ${serving.url}/v1/frames/<user>-<device>/<ts>.<ext>; store ${store.root}`);
      log(`vigil serve: the portal at ${serving.url}/ (sign in as a user of vigil user add)`);
      const signal = await stopSignal();
      log(`${signal}: stopping (frames in flight are committed, the job in flight finishes, up to ${args.grace} s)`);
      await serving.stop(args.grace * 1000);
      log('stopped');
    },
  }),
  defineCommand({
    verb: 'collect',
    describe: 'store frames in raw without the server: backfill from a video (--from-video), or pull cameras (--cameras) until stopped',
    builder: (y) =>
      withRoot(y)
        .option('from-video', { type: 'string', describe: 'a recorded video (any format ffmpeg reads)' })
        .option('fps', { type: 'number', default: 1, describe: 'frames per second to take from the video' })
        .option('camera', { type: 'string', describe: "<user>-<device>: the video's camera" })
        .option('start', {
          type: 'string',
          describe: "the video's first frame's capture time (ISO 8601 with zone); default: the video's creation_time",
        })
        .option('cameras', { type: 'string', describe: 'a cameras file: pull them until SIGTERM' }),
    handler: async (args) => {
      if (Boolean(args.fromVideo) === Boolean(args.cameras))
        throw new VigilError('give --from-video FILE (with --camera) or --cameras FILE');
      const store = await openStore(args);
      const { openIngest } = await import('../../serve/ingest.js');
      const { ServeMetrics } = await import('../../serve/metrics.js');
      const { frameLimits } = await import('../frame-limits.js');
      const metrics = new ServeMetrics();
      const ingest = await openIngest(store, {
        limits: await frameLimits(store),
        queue: { maxFrames: 1024, maxBytes: 256 * 2 ** 20, retryAfterSeconds: 1 },
        batch: { intervalMs: 100, maxFiles: 256 },
        metrics,
        log,
      });
      if (args.cameras) {
        const { readCamerasFile, startPulling } = await import('../../serve/cameras.js');
        const puller = startPulling(await readCamerasFile(args.cameras), { ingest, metrics, log });
        log(`${await stopSignal()}: stopping`);
        await puller.stop();
        await ingest.batcher.close();
        return 0;
      }
      if (!args.camera) throw new VigilError('--from-video needs --camera <user>-<device>');
      if (!(args.fps > 0)) throw new VigilError(`--fps ${args.fps}: give a number of frames per second above 0`);
      const { backfillVideo } = await import('../../serve/backfill.js');
      const { videoCreationTime } = await import('../../serve/ffmpeg.js');
      const start = args.start ? new Date(args.start) : await videoCreationTime(args.fromVideo!).catch(() => null);
      if (!start || Number.isNaN(start.getTime()) || (args.start && !/(Z|[+-]\d{2}:\d{2})$/.test(args.start))) {
        throw new VigilError(
          args.start
            ? `--start ${args.start} is not an ISO 8601 time with its zone (e.g. 2026-11-26T04:15:00Z)`
            : `${args.fromVideo} has no creation_time; give its first frame's capture time with --start`,
        );
      }
      const result = await backfillVideo(ingest, { file: args.fromVideo!, fps: args.fps, camera: args.camera, start });
      await ingest.batcher.close();
      process.stdout.write(
        `${args.fromVideo}: ${result.stored} frames stored in raw@master:/${args.camera}/ from ${start.toISOString()}, ${result.unchanged} already there, ${result.refused.length} refused\n`,
      );
      for (const r of result.refused) process.stdout.write(`  refused ${r.at}: ${r.reason}\n`);
      return result.refused.length ? 1 : 0;
    },
  }),
];

async function tlsOf(args: {
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}): Promise<{ tls?: { cert: Buffer; key: Buffer } }> {
  if (!args.tlsCert || !args.tlsKey) return {};
  const read = (file: string, what: string) =>
    readFile(file).catch((e: Error) => {
      throw new VigilError(`cannot read the TLS ${what} ${file}: ${e.message}`);
    });
  return { tls: { cert: await read(args.tlsCert, 'certificate'), key: await read(args.tlsKey, 'key') } };
}
