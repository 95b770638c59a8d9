/**
 * Device tokens on requests: `Authorization: Bearer <token>`, a live token of the camera whose
 * folder the request writes. A token crosses the network in the clear over plain HTTP, so there
 * it is refused unless the peer is this machine (loopback) or the operator allowed it.
 */
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Context, MiddlewareHandler } from 'hono';
import type { ServeEnv } from './app.js';
import type { TokenVerifier } from './devices.js';
import { Refusal } from './errors.js';

/** Whether an address is this machine's loopback (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/** Whether a token may be taken over this connection. */
export function tokenTransportAllowed(conn: { encrypted: boolean; remoteAddress?: string }, allowInsecure: boolean): boolean {
  return conn.encrypted || allowInsecure || isLoopback(conn.remoteAddress);
}

/** The bearer token of a request, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

/** The connection a request came on, as tokenTransportAllowed needs it. */
export function connectionOf(c: Context<ServeEnv>): { encrypted: boolean; remoteAddress?: string } {
  const socket = c.env.incoming.socket;
  return { encrypted: (socket as TLSSocket).encrypted === true, remoteAddress: socket.remoteAddress };
}

/** Checks a request's token against `camera` (the folder it writes), or throws the Refusal. Returns the token's camera. */
export function authorizeDevice(
  verifier: TokenVerifier,
  token: string | null,
  conn: { encrypted: boolean; remoteAddress?: string },
  allowInsecure: boolean,
  camera: string,
): string {
  if (token === null)
    throw new Refusal('unauthorized', 'no device token: send Authorization: Bearer <token> (vigil device add prints one)');
  if (!tokenTransportAllowed(conn, allowInsecure)) {
    throw new Refusal('tls_required', 'device tokens are taken only over HTTPS (or from this machine); nothing was stored');
  }
  const device = verifier.deviceOf(token);
  if (device === null) throw new Refusal('unauthorized', 'the device token is wrong or revoked; nothing was stored');
  if (device !== camera) throw new Refusal('forbidden', `this token is ${device}'s and writes only /${device}/, not /${camera}/`);
  return device;
}

/** Middleware for routes whose `:source` parameter names the camera folder written. */
export function requireDevice(verifier: TokenVerifier, allowInsecure: boolean): MiddlewareHandler<ServeEnv> {
  return async (c, next) => {
    const camera = c.req.param('source') ?? '';
    c.set('device', authorizeDevice(verifier, bearerToken(c.req.header('authorization')), connectionOf(c), allowInsecure, camera));
    await next();
  };
}
