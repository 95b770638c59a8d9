import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { packageRoot } from '../src/pfs/package-root.js';

export type * from './types.gen.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let ajv: Ajv | undefined;

/** One Ajv instance holding every schema of specs/, so cross-file $refs resolve by $id. */
function registry(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const dir = join(packageRoot(), 'specs');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')), file);
  }
  return ajv;
}

/** The compiled validator of `specs/<name>.schema.json`. */
export function validatorFor<T>(name: string): ValidateFunction<T> {
  const fn = registry().getSchema<T>(`${name}.schema.json`);
  if (!fn) throw new Error(`vigil: no schema specs/${name}.schema.json`);
  return fn;
}

/** Ajv's errors as readable lines: `<where>: <instancePath>: <message>`. */
export function describeErrors(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(root)';
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
      : e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
    return `${where}: ${at}: ${e.message}${extra}`;
  });
}

/** Parses `value` as a `<name>` record or throws one error listing every problem. */
export function assertValid<T>(name: string, value: unknown, where: string): T {
  const validate = validatorFor<T>(name);
  if (validate(value)) return value;
  throw new Error(describeErrors(where, validate.errors).join('\n'));
}
