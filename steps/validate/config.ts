import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { VigilError } from '../../src/pfs/errors.js';
import { sha256 } from '../../src/pfs/files.js';
import { describeErrors, validatorFor, type ValidateConfig } from '../../specs/index.js';

/** The config in force: the file's fields over the schema's defaults, every field present. */
export type ResolvedConfig = Required<ValidateConfig>;

/** Names the config file (YAML or JSON); a pipeline sets it in `transform.env`. */
export const CONFIG_ENV = 'VIGIL_VALIDATE_CONFIG';

/** The defaults, read from the schema so that they are written in one place only. */
function schemaDefaults(): ResolvedConfig {
  const schema = validatorFor('validate-config').schema as { properties: Record<string, { default: unknown }> };
  return Object.fromEntries(Object.entries(schema.properties).map(([key, prop]) => [key, prop.default])) as ResolvedConfig;
}

/** Checks a parsed config document (`where` names it in errors) and fills in the defaults. */
export function resolveConfig(doc: unknown, where: string): ResolvedConfig {
  const validate = validatorFor('validate-config');
  if (!validate(doc)) {
    throw new VigilError(`invalid validate config:\n${describeErrors(where, validate.errors).join('\n')}`);
  }
  const config = { ...schemaDefaults(), ...doc };
  if (config.minSide > config.maxSide) {
    throw new VigilError(`invalid validate config: ${where}: minSide ${config.minSide} is above maxSide ${config.maxSide}`);
  }
  return config;
}

/**
 * The config's version: sha256 of its canonical JSON (keys sorted, formats sorted), so that
 * equal configs get equal versions however their files are written.
 */
export function configVersion(config: ResolvedConfig): string {
  const canonical = Object.fromEntries(
    Object.entries({ ...config, formats: [...config.formats].sort() }).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return sha256(JSON.stringify(canonical));
}

/** The config named by `$VIGIL_VALIDATE_CONFIG`, or the defaults when it is unset. */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedConfig> {
  const file = env[CONFIG_ENV];
  if (!file) return resolveConfig({}, 'defaults');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new VigilError(`cannot read the validate config ${file} (${CONFIG_ENV}): ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new VigilError(`the validate config ${file} (${CONFIG_ENV}) is not YAML or JSON: ${(e as Error).message}`);
  }
  return resolveConfig(doc, file);
}
