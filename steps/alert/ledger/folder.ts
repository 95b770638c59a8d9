/**
 * The folder ledger: `<dir>/<user>-<device>/<incident>/<key>.json` for an incident's entries,
 * `<dir>/_<kind>/<scope>/<key>.json` for the others (rate-cap slots, digests). Files are created
 * with createFileOnce (link(2), which fails when the name exists): an entry is absent or whole,
 * and the first writer wins, on local disks and NFS alike.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseIncidentId } from '../../../src/contract/incident-id.js';
import { createFileOnce, fsyncPath } from '../../../src/pfs/durable.js';
import { readJsonFile } from '../../../src/pfs/files.js';
import type { Ledger, LedgerEntry } from './ledger.js';

/** Scopes, keys and kinds as file names: no separators, no dot files. */
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

export class FolderLedger implements Ledger {
  constructor(readonly dir: string) {}

  private scopeDir(scope: string): string {
    if (!SAFE.test(scope)) throw new Error(`alert ledger: "${scope}" is not a ledger scope`);
    const incident = parseIncidentId(scope);
    if (incident) return join(this.dir, incident.source, scope);
    const kind = scope.split('-')[0];
    return join(this.dir, `_${kind}`, scope);
  }

  private file(scope: string, key: string): string {
    if (!SAFE.test(key)) throw new Error(`alert ledger: "${key}" is not a ledger key`);
    return join(this.scopeDir(scope), `${key}.json`);
  }

  async get<T>(scope: string, key: string): Promise<T | undefined> {
    return (await readJsonFile<T>(this.file(scope, key))) ?? undefined;
  }

  async record<T>(scope: string, key: string, value: T): Promise<T> {
    const file = this.file(scope, key);
    const dir = dirname(file);
    await mkdir(dir, { recursive: true });
    await createFileOnce(file, `${JSON.stringify(value, null, 2)}\n`);
    // The scope folder's own entry, in case it was just made.
    await fsyncPath(dirname(dir));
    return (await this.get<T>(scope, key))!;
  }

  async incidentsOf(source: string): Promise<string[]> {
    return (await listDir(join(this.dir, source))).sort();
  }

  async entries(): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
    for (const top of (await listDir(this.dir)).sort()) {
      for (const scope of (await listDir(join(this.dir, top))).sort()) {
        for (const name of (await listDir(join(this.dir, top, scope))).filter((n) => n.endsWith('.json')).sort()) {
          const value = await readJsonFile<unknown>(join(this.dir, top, scope, name));
          if (value !== null) entries.push({ scope, key: name.slice(0, -'.json'.length), value });
        }
      }
    }
    return entries.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async close(): Promise<void> {}
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.'));
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
}
