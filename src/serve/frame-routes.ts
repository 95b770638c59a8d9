/**
 * The frame API: a camera PUTs a frame at its path, or POSTs it to its folder and lets the
 * capture time (X-Capture-Time, else EXIF) name it. 201 once committed, 200 for a resend of a
 * stored frame, a JSON ApiError otherwise.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { RouteGroup, ServeEnv } from './app.js';
import { requireDevice } from './auth.js';
import type { TokenVerifier } from './devices.js';
import { Refusal } from './errors.js';
import type { Ingest, IncomingFrame } from './ingest.js';
import type { ServeMetrics } from './metrics.js';

export interface FrameRoutesOptions {
  ingest: Ingest;
  metrics: ServeMetrics;
  verifier: TokenVerifier;
  allowInsecureTokens: boolean;
  /** Set while the server stops: frames are then refused, none half-taken. */
  stopping(): boolean;
}

export function frameRoutes(opts: FrameRoutesOptions): RouteGroup {
  return (app) => {
    const authorize = requireDevice(opts.verifier, opts.allowInsecureTokens);
    // Refusals of the token are counted here; the ingest counts its own.
    const auth: MiddlewareHandler<ServeEnv> = async (c, next) => {
      try {
        await authorize(c, async () => {});
      } catch (e) {
        if (e instanceof Refusal) opts.metrics.rejected(e.code);
        throw e;
      }
      await next();
    };
    app.put('/v1/frames/:source/:file', auth, (c) => receive(c, opts, c.req.param('file')));
    app.post('/v1/frames/:source', auth, (c) => receive(c, opts, undefined));
    app.on(['PUT', 'POST'], '/v1/frames/*', () => {
      throw new Refusal('bad_path', 'a frame goes to PUT /v1/frames/<user>-<device>/<ts>.<ext> or POST /v1/frames/<user>-<device>');
    });
  };
}

async function receive(c: Context<ServeEnv>, opts: FrameRoutesOptions, file: string | undefined): Promise<Response> {
  if (opts.stopping()) throw new Refusal('shutting_down', 'the server is stopping; nothing was stored: send the frame again later');
  const length = c.req.header('content-length');
  const frame: IncomingFrame = {
    source: c.get('device'),
    ...(file !== undefined ? { file } : {}),
    ...(c.req.header('x-capture-time') !== undefined ? { captureTime: c.req.header('x-capture-time') } : {}),
    ...(length !== undefined && /^\d+$/.test(length) ? { declaredBytes: Number(length) } : {}),
    body: c.env.incoming,
  };
  try {
    const receipt = await opts.ingest.receive(frame);
    return c.json(receipt, receipt.stored ? 201 : 200);
  } catch (e) {
    if (!c.env.incoming.complete) discardRest(c.env.incoming);
    throw e;
  }
}

/** How much of a refused body is read and dropped before the connection is cut instead. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops the rest of a body refused half-read: a client still sending then reads the
 * answer, where closing the connection under it would reset it first. A sender that goes on past
 * the limit loses the connection.
 */
function discardRest(incoming: IncomingMessage): void {
  let dropped = 0;
  incoming.on('data', (chunk: Buffer) => {
    dropped += chunk.byteLength;
    if (dropped > DISCARD_LIMIT_BYTES) incoming.socket.destroy();
  });
  incoming.resume();
}
