/**
 * Device credentials: each camera's own bearer tokens. A token is 256 random bits, printed once
 * when made; the store folder keeps only its sha256 (`<store>/devices.json`, never a repo), so
 * a copy of that file lets nobody upload. A token writes only its own camera's folder of raw.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeErrors, validatorFor, type DeviceRegistry, type DeviceToken } from '../../specs/index.js';
import { parseSource } from '../contract/frame-path.js';
import { acquireLock } from '../engine/store/lock.js';
import { atomicWriteFile } from '../pfs/durable.js';
import { VigilError } from '../pfs/errors.js';
import { sha256 } from '../pfs/files.js';

const TOKEN_PREFIX = 'vgl_';

export function devicesFile(root: string): string {
  return join(root, 'devices.json');
}

function parseRegistry(text: string, file: string): DeviceRegistry {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new VigilError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const validate = validatorFor('devices');
  if (!validate(doc)) throw new VigilError(`${file} is not a device registry:\n${describeErrors(file, validate.errors).join('\n')}`);
  return doc;
}

/** Every token record; none when the file does not exist yet. */
export function readRegistry(root: string): DeviceRegistry {
  const file = devicesFile(root);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    throw e;
  }
  return parseRegistry(text, file);
}

/** Changes the registry under its lock (CLI processes may race), written whole and durably. */
async function updateRegistry<T>(root: string, change: (registry: DeviceRegistry) => T): Promise<T> {
  const release = await acquireLock(join(root, 'devices.lock'), { what: `the device registry of ${root}` });
  try {
    const registry = readRegistry(root);
    const result = change(registry);
    await atomicWriteFile(devicesFile(root), `${JSON.stringify(registry, null, 2)}\n`, { tmpDir: join(root, 'tmp') });
    return result;
  } finally {
    await release();
  }
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
  await updateRegistry(root, (registry) => registry.tokens.push(record));
  return { token, record };
}

/** Revokes every live token of `device`, or only the one named `tokenId`; returns those revoked. */
export async function revokeTokens(root: string, device: string, tokenId?: string): Promise<DeviceToken[]> {
  checkDevice(device);
  return updateRegistry(root, (registry) => {
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
  private byDigest = new Map<string, DeviceToken>();
  private seen = '';

  constructor(private readonly root: string) {}

  /** The camera (`<user>-<device>`) of a live token; null for an unknown or revoked one. */
  deviceOf(token: string): string | null {
    this.refresh();
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const digest = sha256(token);
    const record = this.byDigest.get(digest);
    if (!record || !timingSafeEqual(Buffer.from(record.sha256, 'hex'), Buffer.from(digest, 'hex'))) return null;
    return record.device;
  }

  private refresh(): void {
    const info = statSync(devicesFile(this.root), { throwIfNoEntry: false });
    const stamp = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : '';
    if (stamp === this.seen) return;
    this.seen = stamp;
    const live = readRegistry(this.root).tokens.filter((t) => !t.revoked);
    this.byDigest = new Map(live.map((t) => [t.sha256, t]));
  }
}
