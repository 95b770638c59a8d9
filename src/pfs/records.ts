import { readFileSync } from 'node:fs';
import { describeErrors, validatorFor, type FileRef, type SchemaName, type SchemaTypes } from '../../specs/index.js';
import { VigilError } from './errors.js';
import { fileRef } from './file-ref.js';
import type { InputFile } from './inputs.js';

/** A record an input file holds, and the lineage reference to that file. */
export interface InputRecord<T> {
  record: T;
  ref: FileRef;
}

/**
 * Reads the `schema` record (specs/<schema>.schema.json) of an input file. A file that cannot be
 * read, is not JSON or breaks the schema is a VigilError naming it as `<input>:<repo path>`, with
 * every problem.
 */
export function readRecord<K extends SchemaName>(file: InputFile, schema: K): InputRecord<SchemaTypes[K]> {
  const where = `${file.name}:${file.repoPath}`;
  let bytes: Buffer;
  let value: unknown;
  try {
    bytes = readFileSync(file.path);
  } catch (e) {
    throw new VigilError(`${where}: cannot read it: ${(e as Error).message}`);
  }
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new VigilError(`${where}: not JSON: ${(e as Error).message}`);
  }
  const validate = validatorFor(schema);
  if (!validate(value)) throw new VigilError(describeErrors(where, validate.errors).join('\n'));
  return { record: value, ref: fileRef(file, bytes) };
}
