/**
 * Reading the records of the repos the portal follows (alert and feedback records) through the
 * Store API: by the object a tree entry names, checked against their schema.
 */
import { readFile } from 'node:fs/promises';
import { DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { validatorFor, type SchemaName, type SchemaTypes } from '../../specs/index.js';
import { parseIncidentId } from '../contract/incident-id.js';
import { mapLimit } from '../engine/store/parallel.js';
import type { Store } from '../engine/store/store.js';
import type { IndexedFile } from './index-db.js';

/** Whether `path` is an incident's record, `/<user>-<device>/<incident>.json` (alerts keeps its snapshot, the .jpg, beside it). */
export function isIncidentRecord(path: string): boolean {
  const [, source, file, ...rest] = path.split('/');
  if (rest.length > 0 || !file?.endsWith('.json')) return false;
  return parseIncidentId(file.slice(0, -'.json'.length))?.source === source;
}

/** A record of a repo as JSON, from the store's object; null when it is not JSON, or its bytes expired. */
export async function readJsonObject(store: Store, sha256: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(store.objectPath(sha256), 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (await store.expiry.get(sha256))) return null;
    throw e;
  }
}

/** The records of `files` that are `schema` records (read a few at a time); `refused` hears of each one that is not. */
export async function readRecords<K extends SchemaName>(
  store: Store,
  files: IndexedFile[],
  schema: K,
  refused: (file: IndexedFile) => void,
): Promise<Array<{ file: IndexedFile; record: SchemaTypes[K] }>> {
  const validate = validatorFor(schema);
  const docs = await mapLimit(files, 16, (file) => readJsonObject(store, file.sha256));
  const records: Array<{ file: IndexedFile; record: SchemaTypes[K] }> = [];
  files.forEach((file, i) => {
    if (validate(docs[i])) records.push({ file, record: docs[i] as SchemaTypes[K] });
    else refused(file);
  });
  return records;
}

/** Appends an ISO 8601 time as a TIMESTAMP (NULL when there is none). */
export function appendTime(a: DuckDBAppender, iso: string | undefined): void {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  if (Number.isFinite(ms)) a.appendTimestamp(new DuckDBTimestampValue(BigInt(ms) * 1000n));
  else a.appendNull();
}
