/**
 * Device credentials: each camera's own bearer tokens. A token is 256 random bits, printed once
 * when made; the store folder keeps only its sha256 (`<store>/devices.json`, never a repo), so
 * a copy of that file lets nobody upload. A token writes only its own camera's folder of raw.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { DeviceToken } from '../../specs/index.js';
import { parseSource } from '../contract/frame-path.js';
import { VigilError } from '../pfs/errors.js';
import { sha256 } from '../pfs/files.js';
import { registryFile, updateRegistry, WatchedRegistry, type RegistryFile } from './registry-file.js';

const TOKEN_PREFIX = 'vgl_';

/** `<store>/devices.json`. */
export function devicesRegistry(root: string): RegistryFile<'devices'> {
  return registryFile(root, 'devices', 'devices', () => ({ tokens: [] }));
}

function checkDevice(device: string): void {
  const parsed = parseSource(device);
  if ('error' in parsed) throw new VigilError(`device ${parsed.error}`);
}

/** Makes a token for `device`: returns the token (to print once) and its record (what is kept). */
export async function addToken(root: string, device: string): Promise<{ token: string; record: DeviceToken }> {
  checkDevice(device);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record: DeviceToken = { id: randomBytes(4).toString('hex'), device, sha256: sha256(token), created: new Date().toISOString() };
  await updateRegistry(devicesRegistry(root), (registry) => registry.tokens.push(record));
  return { token, record };
}

/** Revokes every live token of `device`, or only the one named `tokenId`; returns those revoked. */
export async function revokeTokens(root: string, device: string, tokenId?: string): Promise<DeviceToken[]> {
  checkDevice(device);
  return updateRegistry(devicesRegistry(root), (registry) => {
    const live = registry.tokens.filter((t) => t.device === device && !t.revoked && (tokenId === undefined || t.id === tokenId));
    if (live.length === 0) {
      throw new VigilError(`${device} has no live token${tokenId ? ` with id ${tokenId}` : ''}; see vigil device list`);
    }
    const now = new Date().toISOString();
    for (const t of live) t.revoked = now;
    return live;
  });
}

/**
 * Finds the camera a bearer token belongs to, for the server: re-reads the registry whenever
 * the file changed (one stat per request), so `vigil device revoke` takes effect at once.
 * A token is looked up by its sha256, which tells nothing about a 256-bit random secret, and
 * the stored digest is then compared in constant time.
 */
export class TokenVerifier {
  private readonly live: WatchedRegistry<'devices', Map<string, DeviceToken>>;

  constructor(root: string) {
    this.live = new WatchedRegistry(devicesRegistry(root), (r) => new Map(r.tokens.filter((t) => !t.revoked).map((t) => [t.sha256, t])));
  }

  /** The camera (`<user>-<device>`) of a live token; null for an unknown or revoked one. */
  deviceOf(token: string): string | null {
    const byDigest = this.live.current();
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const digest = sha256(token);
    const record = byDigest.get(digest);
    if (!record || !timingSafeEqual(Buffer.from(record.sha256, 'hex'), Buffer.from(digest, 'hex'))) return null;
    return record.device;
  }
}
