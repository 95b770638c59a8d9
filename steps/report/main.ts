import { join } from 'node:path';
import { forEachDatum } from '../../src/pfs/datums.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';
import { buildReports } from './build.js';

/**
 * `vigil step report`: one datum, the whole `warehouse` repo (glob `/`); writes
 * /warehouse.duckdb and /daily/<day>.html and .json.
 */
export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const warehouse = env.warehouse || join(pfsRoot(env), 'warehouse');
    await buildReports(join(warehouse, 'parquet'), outDir(env), { repo: 'warehouse', ...(env.warehouse_COMMIT ? { commit: env.warehouse_COMMIT } : {}) });
  });
}
