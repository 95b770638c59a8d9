/**
 * Secrets by name (SMTP URL, PagerDuty routing keys, webhook signing keys): the environment
 * variable first, else the file `<dir>/<NAME>`. On a cluster the `vigil-alerts` Kubernetes secret
 * is mounted as files (alerts.yaml, `transform.secrets` with `mountPath`), one per data key, so a
 * new customer's key is a new key in the secret, not a new spec. Locally the environment holds them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from './channels/channel.js';

/** Where alerts.yaml mounts the secret; `VIGIL_SECRETS_DIR` overrides it. */
export const DEFAULT_SECRETS_DIR = '/var/run/secrets/vigil';

/** Names as subscriptions may give them; anything else could point the file outside the folder. */
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
