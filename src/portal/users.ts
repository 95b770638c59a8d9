/**
 * The portal's people: `<store>/users.json` (specs/users.schema.json), in the store folder and
 * never in a repo, holding each person's role and the scrypt hash of their password (a slow,
 * memory-hard hash, so a copy of the file costs an attacker dearly per guess), never the
 * password. `vigil user add|list|remove` write it; the server re-reads it when it changes.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { PasswordHash, PortalUser } from '../../specs/index.js';
import { parseSource } from '../contract/frame-path.js';
import { VigilError } from '../pfs/errors.js';
import { registryFile, updateRegistry, WatchedRegistry, type RegistryFile } from '../serve/registry-file.js';
import type { Viewer } from './core.js';

/** scrypt's cost: N = 2^15, r = 8 (32 MiB and some 50-100 ms a hash), p = 1, as OWASP recommends at least. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 8;
const NAME_RE = /^[A-Za-z0-9_.@-]{1,64}$/;

export function usersRegistry(root: string): RegistryFile<'users'> {
  return registryFile(root, 'users', 'users', () => ({ users: [] }));
}

function scrypt(password: string, salt: Buffer, cost: Pick<PasswordHash, 'N' | 'r' | 'p'>): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => scryptCallback(password, salt, KEY_BYTES, options, (e, key) => (e ? reject(e) : resolve(key))));
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, COST);
  return { algorithm: 'scrypt', ...COST, salt: salt.toString('base64url'), hash: key.toString('base64url') };
}

export async function passwordMatches(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64url');
  const key = await scrypt(password, Buffer.from(stored.salt, 'base64url'), stored);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export interface NewUser {
  name: string;
  /** The customer (`<user>` of the cameras `<user>-<device>`) for a customer; absent for an operator. */
  customer?: string;
  password: string;
  /** Replace the password and role of a user who exists; without it an existing name is refused. */
  replace?: boolean;
}

/** Adds (or, with `replace`, changes) a user; the password is hashed before anything is written. */
export async function addUser(root: string, user: NewUser): Promise<PortalUser> {
  if (!NAME_RE.test(user.name)) {
    throw new VigilError(`user name "${user.name}": use 1 to 64 letters, digits and _ . @ -`);
  }
  if (user.customer !== undefined) {
    const owner = parseSource(`${user.customer}-x`);
    if ('error' in owner)
      throw new VigilError(`--customer ${user.customer}: a customer is the <user> of <user>-<device>, [A-Za-z0-9_]{1,64}`);
  }
  if (user.password.length < MIN_PASSWORD_LENGTH) {
    throw new VigilError(`the password of ${user.name} is too short: use at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const record: PortalUser = {
    name: user.name,
    role: user.customer === undefined ? 'operator' : 'customer',
    ...(user.customer !== undefined ? { customer: user.customer } : {}),
    password: await hashPassword(user.password),
    created: new Date().toISOString(),
  };
  await updateRegistry(usersRegistry(root), (registry) => {
    const existing = registry.users.findIndex((u) => u.name === user.name);
    if (existing >= 0 && !user.replace) {
      throw new VigilError(`user ${user.name} exists; add --replace to set a new password and role`);
    }
    if (existing >= 0) registry.users[existing] = record;
    else registry.users.push(record);
  });
  return record;
}

export async function removeUser(root: string, name: string): Promise<void> {
  await updateRegistry(usersRegistry(root), (registry) => {
    const before = registry.users.length;
    registry.users = registry.users.filter((u) => u.name !== name);
    if (registry.users.length === before) throw new VigilError(`there is no user ${name}; see vigil user list`);
  });
}

/**
 * The users as the server sees them: re-read whenever users.json changes, so that a removed
 * user's sessions end at their next request and a new password works at once.
 */
export class UserDirectory {
  private readonly byName: WatchedRegistry<'users', Map<string, PortalUser>>;
  /** Hashed when a name is unknown, so that a wrong name takes as long as a wrong password. */
  private readonly decoy: Promise<PasswordHash> = hashPassword(randomBytes(16).toString('hex'));

  constructor(root: string) {
    this.byName = new WatchedRegistry(usersRegistry(root), (r) => new Map(r.users.map((u) => [u.name, u])));
  }

  /** The viewer a name and password sign in as, or null. */
  async signIn(name: string, password: string): Promise<Viewer | null> {
    const user = this.byName.current().get(name);
    const matches = await passwordMatches(password, user?.password ?? (await this.decoy));
    return user && matches ? viewerOf(user) : null;
  }

  /** The viewer of a session's user name, or null when the user was removed since. */
  viewer(name: string): Viewer | null {
    const user = this.byName.current().get(name);
    return user ? viewerOf(user) : null;
  }
}

function viewerOf(user: PortalUser): Viewer {
  return { name: user.name, role: user.role, ...(user.customer !== undefined ? { customer: user.customer } : {}) };
}
