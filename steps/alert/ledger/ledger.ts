/**
 * The alert ledger: what was sent to whom, kept outside the repos so that it outlives jobs,
 * re-runs and the removal of a datum's outputs. It is a set of JSON entries keyed by (scope,
 * key), each written once: the first writer wins and every later writer reads the entry that
 * holds, which is what makes a notification go out at most once across parallel datums, retries
 * and machines. Scopes are incident ids (their entries: one Delivery per target, the incident's
 * summary, its withdrawal, resolves and digest marks), rate-cap slots, the held deliveries of
 * each hour, and digests (entries.ts). Every read is of one scope or one device-day, so its cost
 * does not grow with the ledger's history.
 *
 * Two stores, one contract: a folder (the embedded default, `folder.ts`) and PostgreSQL
 * (`VIGIL_LEDGER_URL=postgres://...`, `postgres.ts`) for several workers on several machines.
 */
import { join, resolve } from 'node:path';
import type { Env } from '../channels/channel.js';

/** Where alerts.yaml's podPatch mounts the `vigil-alert-ledger` claim in the cluster's pods. */
export const CLUSTER_STATE_DIR = '/var/lib/vigil';

/**
 * The folder for what must outlive jobs (the folder ledger, the email outbox): the store's
 * folder under the embedded engine, which sets VIGIL_ROOT; on a cluster, the persistent volume.
 */
export function stateDir(env: Env): string {
  return env.VIGIL_ROOT || CLUSTER_STATE_DIR;
}

/** One entry as listed: its scope, key and value. */
export interface LedgerEntry {
  scope: string;
  key: string;
  value: unknown;
}

export interface Ledger {
  /** The entry under (scope, key), if any. */
  get<T>(scope: string, key: string): Promise<T | undefined>;
  /** Records `value` durably unless an entry holds the key; returns the entry that holds. */
  record<T>(scope: string, key: string, value: T): Promise<T>;
  /**
   * The incident scopes of `<user>-<device>` that started on the UTC day `day` (YYYYMMDD) and
   * have an entry: one device-day's part of the ledger, read without listing the rest of its history.
   */
  incidentsOf(source: string, day: string): Promise<string[]>;
  /** The entries of one scope, ordered by key. */
  entriesOf(scope: string): Promise<LedgerEntry[]>;
  close(): Promise<void>;
}

/** `VIGIL_LEDGER_URL` (postgres://...) names the PostgreSQL ledger, else the folder ledger. */
export const LEDGER_URL_SECRET = 'VIGIL_LEDGER_URL';

/**
 * The ledger the environment names: PostgreSQL when the secret VIGIL_LEDGER_URL is set;
 * otherwise the folder `VIGIL_ALERT_LEDGER`, else `<state dir>/alert-ledger`.
 */
export async function openLedger(env: Env, ledgerUrl: string | undefined): Promise<Ledger> {
  if (ledgerUrl) {
    const { PostgresLedger } = await import('./postgres.js');
    return PostgresLedger.open(ledgerUrl);
  }
  const { FolderLedger } = await import('./folder.js');
  return new FolderLedger(resolve(env.VIGIL_ALERT_LEDGER || join(stateDir(env), 'alert-ledger')));
}
