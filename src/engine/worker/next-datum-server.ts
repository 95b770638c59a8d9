import * as grpc from '@grpc/grpc-js';
import type { NextDatumRequest, NextDatumResponse } from '../../pfs/worker-messages.js';
import { BATCHING_NOT_ENABLED, WORKER_CHANNEL_OPTIONS, WORKER_SERVICE } from '../../pfs/datums.js';

/**
 * Answers one NextDatum call: `error` closes the previous datum ('' = it succeeded; the first
 * call's error means nothing). Returns the next datum's `K=V` lines, or null when the caller
 * must get no answer: no datum is left, or the step is being restarted after a failure. As in
 * Pachyderm's worker, the engine then ends the process, and the unanswered call dies with it.
 * A rejection is the call's error, with its message, as grpc-go sends a plain Go error
 * (status UNKNOWN).
 */
export type NextDatumHandler = (error: string) => Promise<string[] | null>;

/**
 * `pachyderm.worker.Worker/NextDatum` on 127.0.0.1, one server per worker (each step process
 * finds its own through PPS_WORKER_GRPC_PORT), wire-compatible with Pachyderm's worker.
 */
export class NextDatumServer {
  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
  ) {}

  static async start(handle: NextDatumHandler): Promise<NextDatumServer> {
    const server = new grpc.Server(WORKER_CHANNEL_OPTIONS);
    server.addService(WORKER_SERVICE, {
      NextDatum: (call: grpc.ServerUnaryCall<NextDatumRequest, NextDatumResponse>, callback: grpc.sendUnaryData<NextDatumResponse>) => {
        handle(call.request.error ?? '').then(
          (env) => {
            if (env !== null) callback(null, { env });
          },
          (e: unknown) => callback({ code: grpc.status.UNKNOWN, details: e instanceof Error ? e.message : String(e) }),
        );
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return new NextDatumServer(server, port);
  }

  /**
   * A worker's server while no datum-batching session runs, as Pachyderm's worker answers every
   * NextDatum call then (worker/pipeline/transform/status.go, Status.NextDatum).
   */
  static refusing(): Promise<NextDatumServer> {
    return NextDatumServer.start(() => Promise.reject(new Error(BATCHING_NOT_ENABLED)));
  }

  /** Stops at once; calls left unanswered are cancelled. */
  close(): void {
    this.server.forceShutdown();
  }
}
