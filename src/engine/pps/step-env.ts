/**
 * What a step's process starts from, as on a Pachyderm worker, where a pod has only what its
 * spec gives it: a minimal base (the system's PATH, HOME, locale, time zone, temp folder, Node's
 * options and trusted CAs), the caller's `VIGIL_*` settings that are not secrets, then the spec's
 * `transform.env`, then the secrets the spec declares in `transform.secrets`. So a step gets
 * no secret its spec does not ask for, and no credential of the caller's shell.
 *
 * Locally the caller's environment and `VIGIL_SECRETS_DIR` stand in for Kubernetes secrets:
 * - `{name, envVar, key}`: `envVar` from the caller's variable of that name, else the file
 *   `$VIGIL_SECRETS_DIR/<name>/<key>`;
 * - `{name, mountPath}` (every key of the secret): each file of `$VIGIL_SECRETS_DIR/<name>/` as
 *   a variable named by the file, and the caller's secret variables (SECRET_NAME below). The
 *   engine cannot mount files at `mountPath`, so the keys arrive as variables; a step reads a
 *   secret from its variable first, then from the mounted file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PipelineRecord, specCommitOf } from './pipelines.js';
import type { PipelineSpec } from './spec.js';

/** The caller's variables every step gets. */
const SYSTEM =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TERM|NODE_OPTIONS|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR)$/;

/** Vigil's settings: every step gets them, except those that are secrets. */
const SETTING = /^VIGIL_/;

/** Names that hold secrets: never in the base, only where a spec mounts a secret. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|_KEY|_URL$/;

/** Where local secrets are; never handed to a step as a setting. */
export const SECRETS_DIR_VAR = 'VIGIL_SECRETS_DIR';

function readKey(dir: string | undefined, name: string, key: string): string | undefined {
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, name, key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function secretFiles(dir: string | undefined, name: string): string[] {
  if (!dir) return [];
  try {
    return readdirSync(join(dir, name)).filter((f) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(f));
  } catch {
    return [];
  }
}

/** The variables a step of `spec` starts with, given the caller's environment. */
export function stepEnvironment(caller: NodeJS.ProcessEnv, spec: PipelineSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(caller)) {
    if (v === undefined || k === SECRETS_DIR_VAR) continue;
    if (SYSTEM.test(k) || (SETTING.test(k) && !SECRET_NAME.test(k))) env[k] = v;
  }
  Object.assign(env, spec.transform.env);
  const dir = caller[SECRETS_DIR_VAR];
  for (const secret of spec.transform.secrets) {
    if (secret.envVar && secret.key) {
      const value = caller[secret.envVar] ?? readKey(dir, secret.name, secret.key);
      if (value !== undefined) env[secret.envVar] = value;
    }
    if (secret.mountPath) {
      for (const [k, v] of Object.entries(caller))
        if (v !== undefined && SETTING.test(k) && SECRET_NAME.test(k) && k !== SECRETS_DIR_VAR) env[k] = v;
      for (const key of secretFiles(dir, secret.name)) env[key] ??= readKey(dir, secret.name, key)!;
    }
  }
  return env;
}

/**
 * The variables Pachyderm's pod gives every worker of a pipeline that mean something on one
 * machine (pps/server/worker_rc.go, workerPodSpec: PACH_IN_WORKER, PPS_WORKER_IP, the
 * pipeline's project, name and spec commit). The worker's own (PPS_POD_NAME,
 * PPS_WORKER_GRPC_PORT) and the job's come from worker/job-context.ts, stepEnv. Those naming
 * the cluster's services (PACH_ROOT, STORAGE_*, POSTGRES_*, PG_BOUNCER_*, LOKI_*, PEER_PORT,
 * PPS_ETCD_PREFIX, GOCOVERDIR) and FILESET_ID have nothing to point at here and are not set
 * (README, "Run on Pachyderm", "What still differs").
 */
export function podEnvironment(record: PipelineRecord): Record<string, string> {
  return {
    PACH_IN_WORKER: 'true',
    PPS_WORKER_IP: '127.0.0.1',
    PPS_PROJECT_NAME: 'default',
    PPS_PIPELINE_NAME: record.name,
    PPS_SPEC_COMMIT: specCommitOf(record),
  };
}
