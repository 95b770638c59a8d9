import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { packageRoot } from '../src/pfs/package-root.js';
import { AJV_ERROR_OPTIONS, describeErrors } from './errors.js';
import type { SchemaTypes } from './types.gen.js';

export type * from './types.gen.js';
export { AJV_ERROR_OPTIONS, describeErrors, listOf, Problems, problemLine, readablePath, type DocumentPath } from './errors.js';

/** The name of a schema in specs/: its file name without .schema.json. */
export type SchemaName = keyof SchemaTypes;

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let ajv: Ajv | undefined;

/** One Ajv instance holding every schema of specs/, so cross-file $refs resolve by $id. */
function registry(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ ...AJV_ERROR_OPTIONS, strict: true, allowUnionTypes: true, discriminator: true });
  addFormats(ajv);
  const dir = join(packageRoot(), 'specs');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')), file);
  }
  return ajv;
}

/** The compiled validator of `specs/<name>.schema.json`, a type guard for its record type. */
export function validatorFor<K extends SchemaName>(name: K): ValidateFunction<SchemaTypes[K]> {
  const fn = registry().getSchema<SchemaTypes[K]>(`${name}.schema.json`);
  if (!fn) throw new Error(`vigil: no schema specs/${name}.schema.json`);
  return fn;
}

/** Parses `value` as a `<name>` record or throws one error listing every problem (`where` names it). */
export function assertValid<K extends SchemaName>(name: K, value: unknown, where: string): SchemaTypes[K] {
  const validate = validatorFor(name);
  if (validate(value)) return value;
  throw new Error(describeErrors(where, validate.errors).join('\n'));
}
