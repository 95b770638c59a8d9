/**
 * The alert ledger: one file per delivery, keyed by (incident, target), that outlives jobs and
 * re-runs. `<dir>/<user>-<device>/<incident>/<target>.json` holds the Delivery as recorded.
 * Files are created with createFileOnce (link(2), which fails when the name exists): a record is
 * either absent or complete, and the first writer wins, on local disks and NFS alike.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Delivery } from '../../specs/index.js';
import { parseIncidentId } from '../../src/contract/incident-id.js';
import { createFileOnce, fsyncPath } from '../../src/pfs/durable.js';
import { readJsonFile } from '../../src/pfs/files.js';

/** Where alerts.yaml's podPatch mounts the `vigil-alert-ledger` claim in the cluster's pods. */
export const CLUSTER_STATE_DIR = '/var/lib/vigil';

/**
 * The folder for what must outlive jobs (the ledger, the email outbox): the store's folder
 * under the embedded engine, which sets VIGIL_ROOT; on a cluster, the persistent volume.
 */
export function stateDir(env: Record<string, string | undefined>): string {
  return env.VIGIL_ROOT || CLUSTER_STATE_DIR;
}

export class Ledger {
  constructor(readonly dir: string) {}

  /** `VIGIL_ALERT_LEDGER`, else `<state dir>/alert-ledger`. */
  static fromEnv(env: Record<string, string | undefined>): Ledger {
    return new Ledger(resolve(env.VIGIL_ALERT_LEDGER || join(stateDir(env), 'alert-ledger')));
  }

  private file(incidentId: string, target: string): string {
    const source = parseIncidentId(incidentId)?.source;
    if (!source) throw new Error(`alert ledger: ${incidentId} is not an incident id`);
    return join(this.dir, source, incidentId, `${target}.json`);
  }

  /** The delivery recorded for (incident, target), if any. */
  async get(incidentId: string, target: string): Promise<Delivery | undefined> {
    return (await readJsonFile<Delivery>(this.file(incidentId, target))) ?? undefined;
  }

  /** Ids of every incident of `<user>-<device>` with a recorded delivery. */
  async incidentsOf(source: string): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, source))).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /**
   * Records a delivery durably unless one is already recorded for its key, and returns the
   * record that holds: this one, or the earlier one.
   */
  async record(incidentId: string, delivery: Delivery): Promise<Delivery> {
    const file = this.file(incidentId, delivery.target);
    const dir = dirname(file);
    await mkdir(dir, { recursive: true });
    await createFileOnce(file, `${JSON.stringify(delivery, null, 2)}\n`);
    // The incident folder's own entry, in case it was just made.
    await fsyncPath(dirname(dir));
    return (await this.get(incidentId, delivery.target))!;
  }
}
