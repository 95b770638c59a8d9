/**
 * The rules repo's policy files, /rules.yaml and /subscriptions.yaml, as every step reads them:
 * the size limits, JSON or YAML, the structure checked with ajv, and which subscription entry
 * governs a camera. The match step compiles them into its policy; the report step reads which
 * cameras the subscriptions name. One reading, so the two never disagree on a camera.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Problems, validatorFor, type SchemaName, type SchemaTypes } from '../../specs/index.js';
import { VigilError } from '../pfs/errors.js';

export const RULES_FILE = 'rules.yaml';
export const SUBSCRIPTIONS_FILE = 'subscriptions.yaml';

/** A subscription's device id that stands for every device of its user without an entry of its own. */
export const ANY_DEVICE = '*';

/** The entry of a user's devices (by id) that governs `device`: its own, else the user's "*" entry. */
export function governingEntry<T>(devices: ReadonlyMap<string, T> | undefined, device: string): T | undefined {
  return devices?.get(device) ?? devices?.get(ANY_DEVICE);
}

const MiB = 2 ** 20;

/**
 * The largest policy files read, in bytes. rules.yaml is a catalogue (1,000 rules are under
 * 200 KiB); subscriptions.yaml grows with customers (100,000 device subscriptions written as
 * JSON are about 13 MiB, and loading them peaks at some 210 MiB). A file is refused before it
 * is read or parsed, so that a worker's memory for the policy stays bounded.
 */
export const MAX_POLICY_BYTES: Record<string, number> = { [RULES_FILE]: 1 * MiB, [SUBSCRIPTIONS_FILE]: 32 * MiB };

/**
 * The largest file read as YAML, in bytes: the YAML parser holds some 85 times the text in
 * memory (a 10 MB rules.yaml cost 850 MB a worker, 4 MiB of subscriptions 350 MiB), JSON.parse
 * a small multiple. A larger file must be JSON, which is YAML and what a program writes.
 */
export const MAX_YAML_BYTES = 2 * MiB;

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Why a policy file of `size` bytes is not read at all, or null. */
function oversize(file: string, size: number): string | null {
  const limit = MAX_POLICY_BYTES[file]!;
  return size > limit ? `the file is ${mib(size)}; ${file} may be at most ${mib(limit)}` : null;
}

/**
 * YAML 1.2 is a superset of JSON, and a subscriptions file written by a program is often JSON:
 * JSON.parse reads it some 30 times faster than a YAML parser, which matters at 100,000
 * subscriptions. Anything else, or JSON that does not parse, goes to the YAML parser, up to
 * MAX_YAML_BYTES.
 */
function parseJsonOrYaml(text: string, size: number): unknown {
  let jsonError: string | undefined;
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // Flow-style YAML also starts with a brace; the YAML parser decides.
      jsonError = (e as Error).message;
    }
  }
  if (size > MAX_YAML_BYTES) {
    throw new VigilError(
      `the file is ${mib(size)} and not JSON${jsonError ? ` (${jsonError})` : ''}; YAML is read up to ${mib(MAX_YAML_BYTES)} ` +
        '(its parser needs tens of times the text in memory): write a larger file as JSON',
    );
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new VigilError(`not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Parses one policy file and checks its structure; undefined when it has problems (all recorded). */
export function parsePolicyFile<K extends SchemaName>(
  file: string,
  bytes: Uint8Array,
  schemaName: K,
  problems: Problems,
): SchemaTypes[K] | undefined {
  const tooLarge = oversize(file, bytes.byteLength);
  if (tooLarge) {
    problems.add(file, [], tooLarge);
    return undefined;
  }
  let data: unknown;
  try {
    data = parseJsonOrYaml(Buffer.from(bytes).toString('utf8'), bytes.byteLength);
  } catch (e) {
    if (!(e instanceof VigilError)) throw e;
    problems.add(file, [], e.message);
    return undefined;
  }
  const validate = validatorFor(schemaName);
  if (validate(data)) return data;
  if (data === null || data === undefined) problems.add(file, [], `the file is empty; see specs/${schemaName}.schema.json`);
  else problems.addErrors(file, validate.errors);
  return undefined;
}

/**
 * The bytes of policy file `name` in a folder laid out like the rules repo (`where` names it in
 * errors); a missing or oversized file is a VigilError, refused before it is read.
 */
export async function readPolicyFile(dir: string, name: string, where: string): Promise<Uint8Array> {
  const path = join(dir, name);
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT')
      throw new VigilError(`${where}: /${name} is missing; the rules repo holds /${RULES_FILE} and /${SUBSCRIPTIONS_FILE}`);
    throw e;
  });
  const tooLarge = oversize(name, info.size);
  if (tooLarge) throw new VigilError(`${where}: /${name}: ${tooLarge}`);
  return readFile(path);
}
