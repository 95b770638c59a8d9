/**
 * What is wrong with a document, said so that the fix is plain: one line per problem,
 * `<where>: <path>: <what is wrong>`, the path written as a reader of the YAML points at it
 * (`rules[0].classes[2]`). Every schema's errors read this way (Vigil's records and config files,
 * Pachyderm's pipeline specs), and so do the checks a schema cannot make (steps/match/rules.ts).
 */
import type { ErrorObject } from 'ajv';
import { VigilError } from '../src/pfs/errors.js';

/** The Ajv options describeErrors needs: every error, each carrying its value and its schema. */
export const AJV_ERROR_OPTIONS = { allErrors: true, verbose: true } as const;

/** Where in a document: object keys and array indexes, outermost first. */
export type DocumentPath = readonly (string | number)[];

/** `['rules', 0, 'classes', 2]` -> `rules[0].classes[2]`. */
export function readablePath(path: DocumentPath): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Up to `max` items, then how many there are in all, so that a message stays one line. */
export function listOf(items: readonly unknown[], max = 100): string {
  if (items.length === 0) return '(none)';
  const shown = items.slice(0, max).map(String).join(', ');
  return items.length > max ? `${shown}, ... (${items.length} in all)` : shown;
}

/** `<where>: <path>: <message>`, or `<where>: <message>` for the document as a whole. */
export function problemLine(where: string, path: DocumentPath, message: string): string {
  const at = readablePath(path);
  return at ? `${where}: ${at}: ${message}` : `${where}: ${message}`;
}

/** The problems of a validator made with AJV_ERROR_OPTIONS, one line each; `where` names the document. */
export function describeErrors(where: string, errors: readonly ErrorObject[] | null | undefined): string[] {
  const lines = onlyTheTypeOfAWrongType(withoutAlternativesNoise(errors ?? [])).flatMap((e) => {
    const message = explain(e);
    return message === null ? [] : [problemLine(where, pointerSegments(e.instancePath), message)];
  });
  return [...new Set(lines)];
}

/** Problems found in one or more documents, thrown together as one VigilError. */
export class Problems {
  readonly lines: string[] = [];

  add(where: string, path: DocumentPath, message: string): void {
    this.lines.push(problemLine(where, path, message));
  }

  addErrors(where: string, errors: readonly ErrorObject[] | null | undefined): void {
    this.lines.push(...describeErrors(where, errors));
  }

  throwIfAny(): void {
    if (this.lines.length) throw new VigilError(this.lines.join('\n'));
  }
}

function pointerSegments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * A failed oneOf/anyOf reports every alternative's complaint and then its own. Alternatives of
 * another type than the value's are noise: when all are such, one line names the types that
 * would do (`labels: 5 must be array or string`); otherwise only the complaints of the
 * alternatives of its type remain (`labels[1]: 7 must be string`).
 */
function withoutAlternativesNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, ErrorObject>();
  for (const e of errors) {
    const passed = (e.params as { passingSchemas?: unknown }).passingSchemas;
    if ((e.keyword !== 'oneOf' && e.keyword !== 'anyOf') || passed != null || !Array.isArray(e.schema)) continue;
    const branches = e.schema.map((_, i) => {
      const own = errors.filter((b) => b.schemaPath.startsWith(`${e.schemaPath}/${i}/`));
      const typeError = own.find(
        (b) => b.keyword === 'type' && b.schemaPath === `${e.schemaPath}/${i}/type` && b.instancePath === e.instancePath,
      );
      return { own, types: typeError ? [typeError.params.type as string | string[]].flat() : null };
    });
    if (branches.every((b) => b.own.length === 0)) continue; // its alternatives' errors are elsewhere ($ref): keep its own line
    const ofItsType = branches.filter((b) => b.types === null);
    for (const b of ofItsType.length > 0 ? branches.filter((b) => b.types !== null) : branches) for (const x of b.own) dropped.add(x);
    if (ofItsType.length > 0) dropped.add(e);
    else replaced.set(e, { ...e, keyword: 'type', params: { type: branches.flatMap((b) => b.types!) } });
  }
  return errors.filter((e) => !dropped.has(e)).map((e) => replaced.get(e) ?? e);
}

/** A value of the wrong type is said to be so; what else its schema says of it is noise. */
function onlyTheTypeOfAWrongType(errors: readonly ErrorObject[]): ErrorObject[] {
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'type' || !wrongType.has(e.instancePath));
}

/** What one error means, with the fix where there is one; null when another error says it better. */
function explain(e: ErrorObject): string | null {
  const p = e.params as Record<string, unknown>;
  const value = describeValue(e.data);
  switch (e.keyword) {
    case 'propertyNames':
      return null; // the nested pattern error names the property
    case 'required':
      return `missing field "${p.missingProperty as string}"`;
    case 'additionalProperties': {
      const name = p.additionalProperty as string;
      const fields = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(name, fields);
      return `unknown field "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; fields: ${listOf(fields)}`;
    }
    case 'type': {
      // protojson allows null for most fields; nobody who wrote a wrong value meant null.
      const types = [p.type as string | string[]].flat().flatMap((t) => t.split(','));
      const named = types.length > 1 ? types.filter((t) => t !== 'null') : types;
      return `${value} must be ${named.join(' or ')}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${value} is out of range: must be ${p.comparison as string} ${p.limit as number}`;
    case 'minItems':
      return `has ${(e.data as unknown[]).length} item(s), needs at least ${p.limit as number}`;
    case 'maxItems':
      return `has ${(e.data as unknown[]).length} items, allows at most ${p.limit as number}`;
    case 'uniqueItems':
      return `items ${p.j as number} and ${p.i as number} are the same; list each once`;
    case 'enum':
      return `${value} is not one of ${listOf(p.allowedValues as unknown[])}`;
    case 'pattern':
      return e.propertyName !== undefined
        ? `name "${e.propertyName}" must match ${p.pattern as string}`
        : `${value} must match ${p.pattern as string}`;
    case 'format':
      return `${value} is not a valid ${p.format as string}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** A value as JSON, shortened so that the line stays readable. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** The field `name` was most likely meant to be: a few letters off, ignoring case; undefined when none is close. */
export function closest(name: string, fields: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const field of fields) {
    const d = editDistance(name.toLowerCase(), field.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [field, d];
  }
  return best;
}

/** Insertions, deletions, substitutions and swaps of neighbours that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
