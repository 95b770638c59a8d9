import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { BATCHING_NOT_ENABLED, decodeNextDatumRequest, encodeNextDatumResponse, NEXT_DATUM_PATH } from '../../pfs/worker-protocol.js';

/**
 * Answers one NextDatum call: `error` closes the previous datum ('' = it succeeded; the first
 * call's error means nothing). Returns the next datum's `K=V` lines, or null when the caller
 * must get no answer: no datum is left, or the step is being restarted after a failure. As in
 * Pachyderm's worker, the engine then ends the process, and the unanswered call dies with it.
 * A rejection is the call's error, with its message, as grpc-go sends a plain Go error
 * (status UNKNOWN).
 */
export type NextDatumHandler = (error: string) => Promise<string[] | null>;

/** The gRPC status codes this server answers with (grpc's doc/statuscodes.md). */
const STATUS = { OK: 0, UNKNOWN: 2, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

/**
 * `pachyderm.worker.Worker/NextDatum` on 127.0.0.1, one server per worker (each step process
 * finds its own through PPS_WORKER_GRPC_PORT), wire-compatible with Pachyderm's worker: gRPC's
 * unary call over HTTP/2 (grpc's doc/PROTOCOL-HTTP2.md), served by node:http2. One method of
 * uncompressed messages is all a worker serves, and a gRPC server library (grpc-js) would be
 * loaded by every `vigil run` before its first step could start; steps call it with grpc-js
 * (src/pfs/datums.ts), and the engine tests run them against it.
 */
export class NextDatumServer {
  private constructor(
    private readonly server: Http2Server,
    private readonly sessions: Set<Http2Session>,
    readonly port: number,
  ) {}

  static async start(handle: NextDatumHandler): Promise<NextDatumServer> {
    const server = createServer();
    const sessions = new Set<Http2Session>();
    server.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
      // A step killed mid-call resets its connection: no error of the server's.
      session.on('error', () => {});
    });
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => serveCall(stream, headers, handle));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new NextDatumServer(server, sessions, (server.address() as AddressInfo).port);
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
    this.server.close();
    for (const session of this.sessions) session.destroy();
  }
}

/** One call: its request message read whole, then the handler's answer, its error, or no answer. */
function serveCall(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, handle: NextDatumHandler): void {
  stream.on('error', () => {});
  if (headers[':path'] !== NEXT_DATUM_PATH) {
    endCall(stream, STATUS.UNIMPLEMENTED, `unknown method ${headers[':path']}: this worker serves ${NEXT_DATUM_PATH}`);
    return;
  }
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => {
    let error: string;
    try {
      error = decodeNextDatumRequest(unframe(Buffer.concat(chunks))).error;
    } catch (e) {
      endCall(stream, STATUS.INTERNAL, (e as Error).message);
      return;
    }
    handle(error).then(
      (env) => {
        if (env === null || stream.destroyed || stream.closed) return;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(STATUS.OK) }));
        stream.end(frame(encodeNextDatumResponse({ env })));
      },
      (e: unknown) => endCall(stream, STATUS.UNKNOWN, e instanceof Error ? e.message : String(e)),
    );
  });
}

/** Ends a call with an error status and message: a trailers-only response, as gRPC servers send one. */
function endCall(stream: ServerHttp2Stream, status: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': percentEncode(message) },
    { endStream: true },
  );
}

/** A message as gRPC frames it on the wire: a compressed flag (0), its length (4 bytes, big-endian), its bytes. */
function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The one message of a unary call's request body. */
function unframe(body: Buffer): Buffer {
  if (body.length < 5) throw new Error(`a NextDatum request of ${body.length} bytes holds no gRPC message`);
  if (body[0] !== 0) throw new Error('a compressed NextDatum request: this worker reads uncompressed messages only');
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new Error(`a NextDatum request of ${body.length} bytes announces a message of ${length}`);
  return body.subarray(5);
}

/** grpc-message's encoding: bytes outside printable ASCII, and `%`, as %XX (PROTOCOL-HTTP2.md, Status-Message). */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
