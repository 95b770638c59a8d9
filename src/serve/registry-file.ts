/**
 * A registry of credentials kept in the store folder as one JSON file (never in a repo):
 * devices.json for the cameras' tokens, users.json for the portal's people. Read and checked
 * against its schema; changed under a lock file (CLI processes may race) and written whole and
 * durably; watched by the server, which re-reads it whenever it changes, so a revocation or a new
 * password takes effect at the next request.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeErrors, validatorFor, type SchemaName, type SchemaTypes } from '../../specs/index.js';
import { acquireLock } from '../engine/store/lock.js';
import { atomicWriteFile } from '../pfs/durable.js';
import { VigilError } from '../pfs/errors.js';

export interface RegistryFile<K extends SchemaName> {
  /** `<root>/<name>.json`. */
  file: string;
  root: string;
  schema: K;
  /** What the registry holds before its file exists. */
  empty(): SchemaTypes[K];
}

export function registryFile<K extends SchemaName>(root: string, name: string, schema: K, empty: () => SchemaTypes[K]): RegistryFile<K> {
  return { file: join(root, `${name}.json`), root, schema, empty };
}

function parse<K extends SchemaName>(registry: RegistryFile<K>, text: string): SchemaTypes[K] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new VigilError(`${registry.file} is not JSON: ${(e as Error).message}`);
  }
  const validate = validatorFor(registry.schema);
  if (!validate(doc)) {
    throw new VigilError(
      `${registry.file} is not a ${registry.schema} registry:\n${describeErrors(registry.file, validate.errors).join('\n')}`,
    );
  }
  return doc as SchemaTypes[K];
}

/** The registry's records; its empty value when the file does not exist yet. */
export function readRegistry<K extends SchemaName>(registry: RegistryFile<K>): SchemaTypes[K] {
  let text: string;
  try {
    text = readFileSync(registry.file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return registry.empty();
    throw e;
  }
  return parse(registry, text);
}

/** Changes the registry under its lock, then writes it whole and durably; returns what `change` returned. */
export async function updateRegistry<K extends SchemaName, T>(
  registry: RegistryFile<K>,
  change: (records: SchemaTypes[K]) => T,
): Promise<T> {
  const lock = registry.file.replace(/\.json$/, '.lock');
  const release = await acquireLock(lock, { what: `the registry ${registry.file}` });
  try {
    const records = readRegistry(registry);
    const result = change(records);
    await atomicWriteFile(registry.file, `${JSON.stringify(records, null, 2)}\n`, { tmpDir: join(registry.root, 'tmp') });
    return result;
  } finally {
    await release();
  }
}

/** The registry as the server sees it: re-read when the file changed (one stat per call), then indexed by `index`. */
export class WatchedRegistry<K extends SchemaName, I> {
  private indexed: I | undefined;
  private seen = '';

  constructor(
    private readonly registry: RegistryFile<K>,
    private readonly index: (records: SchemaTypes[K]) => I,
  ) {}

  current(): I {
    const info = statSync(this.registry.file, { throwIfNoEntry: false });
    const stamp = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : '';
    if (stamp !== this.seen || this.indexed === undefined) {
      this.indexed = this.index(readRegistry(this.registry));
      this.seen = stamp;
    }
    return this.indexed;
  }
}
