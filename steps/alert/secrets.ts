/**
 * Secrets by name: the environment variable first, else the file `<dir>/<NAME>`. On a cluster the
 * `vigil-alerts` Kubernetes secret is mounted as files (alerts.yaml, `transform.secrets` with
 * `mountPath`), one per key, so a new customer's key is a new key in the secret, not a new spec;
 * locally the embedded engine hands the step the secrets its spec declares as variables.
 * A customer's secret is read only under that customer's name (src/contract/secret-names.ts).
 * Values never leave this module except to the channel that uses them: records and messages
 * name the variable, and URLs are shown with their password masked.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { secretNameProblem } from '../../src/contract/secret-names.js';
import type { Env } from './channels/channel.js';

/** Where alerts.yaml mounts the secret; `VIGIL_SECRETS_DIR` overrides it. */
export const DEFAULT_SECRETS_DIR = '/var/run/secrets/vigil';

/** Names as files may have them; anything else could point outside the folder. */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The file that holds `name` when the environment does not. */
export function secretFile(name: string, env: Env): string {
  return join(env.VIGIL_SECRETS_DIR || DEFAULT_SECRETS_DIR, name);
}

/** `$name`, else the contents of its file (surrounding whitespace dropped); undefined when neither is set. */
export async function readSecret(name: string, env: Env): Promise<string | undefined> {
  if (env[name]) return env[name];
  if (!SECRET_NAME.test(name)) return undefined;
  try {
    return (await readFile(secretFile(name, env), 'utf8')).trim() || undefined;
  } catch (e) {
    // No mounted secret, or no such key in it: not set, as an unset variable is.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
}

/** A customer's secret, or why it cannot be had: `refused` (not in the customer's namespace), `unset`. */
export async function readCustomerSecret(
  user: string,
  name: string,
  what: string,
  env: Env,
): Promise<{ value: string } | { refused: string } | { unset: string }> {
  const problem = secretNameProblem(user, name);
  if (problem) return { refused: `${what}: ${problem}` };
  const value = await readSecret(name, env);
  return value ? { value } : { unset: `no ${what} in $${name} or ${secretFile(name, env)}` };
}

/** The channel result for a secret that cannot be had: a refused name is an error, an unset one a skip. */
export function withoutSecret(missing: { refused: string } | { unset: string }): { unsent: string } | { skipped: string } {
  return 'refused' in missing ? { unsent: missing.refused } : { skipped: missing.unset };
}

/**
 * A URL as it may be shown: its password replaced by `****`. Works on text that does not parse
 * as a URL (the password is whatever lies between `user:` and the last `@` of the authority).
 */
export function maskedUrl(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@?#]*:)[^/?#]*@/, (_m, head: string) => `${head}****@`);
}
