/**
 * The folder ledger: `<dir>/<user>-<device>/<YYYYMMDD>/<incident>/<key>.json` for an incident's
 * entries (one folder per device-day, so a device-day is read without listing the device's
 * history), `<dir>/_<kind>/<scope>/<key>.json` for the others (rate-cap slots, held deliveries,
 * digests). Files are created with createFileOnce (link(2), which fails when the name exists): an
 * entry is absent or whole, and the first writer wins, on local disks and NFS alike.
 *
 * Ledgers written before the day folders (`<dir>/<user>-<device>/<incident>/`) are moved into
 * them on first use, entry by entry with link(2), so a worker that moves at the same time, or a
 * crash half way, loses nothing; the file `.by-day` then says it is done.
 */
import { link, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseIncidentId } from '../../../src/contract/incident-id.js';
import { createFileOnce, fsyncPath } from '../../../src/pfs/durable.js';
import { readJsonFile } from '../../../src/pfs/files.js';
import type { Ledger, LedgerEntry } from './ledger.js';

/** Scopes, keys and kinds as file names: no separators, no dot files. */
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

/** Written once every incident folder is in its day folder. */
const LAYOUT_MARK = '.by-day';

const JSON_EXT = '.json';

export class FolderLedger implements Ledger {
  private layout: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  private scopeDir(scope: string): string {
    if (!SAFE.test(scope)) throw new Error(`alert ledger: "${scope}" is not a ledger scope`);
    const incident = parseIncidentId(scope);
    if (incident) return join(this.dir, incident.source, incident.day, scope);
    const kind = scope.split('-')[0];
    return join(this.dir, `_${kind}`, scope);
  }

  private ready(): Promise<void> {
    this.layout ??= moveToDayFolders(this.dir);
    return this.layout;
  }

  private async file(scope: string, key: string): Promise<string> {
    if (!SAFE.test(key)) throw new Error(`alert ledger: "${key}" is not a ledger key`);
    await this.ready();
    return join(this.scopeDir(scope), `${key}${JSON_EXT}`);
  }

  async get<T>(scope: string, key: string): Promise<T | undefined> {
    return (await readJsonFile<T>(await this.file(scope, key))) ?? undefined;
  }

  async record<T>(scope: string, key: string, value: T): Promise<T> {
    const file = await this.file(scope, key);
    const dir = dirname(file);
    await mkdir(dir, { recursive: true });
    await createFileOnce(file, `${JSON.stringify(value, null, 2)}\n`);
    // The entries of the folders above, in case they were just made.
    for (let parent = dirname(dir); parent.startsWith(this.dir); parent = dirname(parent)) await fsyncPath(parent);
    return (await this.get<T>(scope, key))!;
  }

  async incidentsOf(source: string, day: string): Promise<string[]> {
    await this.ready();
    return (await listDir(join(this.dir, source, day))).filter((name) => parseIncidentId(name)?.source === source).sort();
  }

  async entriesOf(scope: string): Promise<LedgerEntry[]> {
    await this.ready();
    const dir = this.scopeDir(scope);
    const entries: LedgerEntry[] = [];
    for (const name of (await listDir(dir)).filter((n) => n.endsWith(JSON_EXT)).sort()) {
      const value = await readJsonFile<unknown>(join(dir, name));
      if (value !== null) entries.push({ scope, key: name.slice(0, -JSON_EXT.length), value });
    }
    return entries;
  }

  async close(): Promise<void> {}
}

/** Moves every incident folder of the first layout into its day folder, once per ledger. */
async function moveToDayFolders(dir: string): Promise<void> {
  if ((await readJsonFile<unknown>(join(dir, LAYOUT_MARK))) !== null) return;
  for (const source of (await listDir(dir)).filter((name) => !name.startsWith('_'))) {
    for (const name of await listDir(join(dir, source))) {
      const incident = parseIncidentId(name);
      if (!incident) continue; // a day folder
      const from = join(dir, source, name);
      const to = join(dir, source, incident.day, name);
      await mkdir(to, { recursive: true });
      for (const file of await listDir(from)) {
        // link(2) keeps an entry another mover (or a writer) put there first, as record() would.
        await link(join(from, file), join(to, file)).catch(ignore('EEXIST', 'ENOENT'));
        await unlink(join(from, file)).catch(ignore('ENOENT'));
      }
      await fsyncPath(to);
      await fsyncPath(dirname(to));
      await rmdir(from).catch(ignore('ENOENT', 'ENOTEMPTY'));
    }
    await fsyncPath(join(dir, source));
  }
  await mkdir(dir, { recursive: true });
  await createFileOnce(join(dir, LAYOUT_MARK), `${JSON.stringify({ layout: 'by-day' })}\n`);
}

function ignore(...codes: string[]): (e: NodeJS.ErrnoException) => void {
  return (e) => {
    if (!codes.includes(e.code ?? '')) throw e;
  };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.'));
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
}
