import { join } from 'node:path';
import { REPOS } from '../../src/contract/repos.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { datumInput } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { buildReports } from './build.js';

/**
 * `vigil step report`: one datum, the whole `warehouse` repo (glob `/`); writes
 * /warehouse.duckdb and /daily/<day>.html and .json.
 */
export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const warehouse = datumInput(env, REPOS.warehouse);
    await buildReports(join(warehouse.path, 'parquet'), outDir(env), {
      repo: warehouse.name,
      ...(warehouse.commit ? { commit: warehouse.commit } : {}),
    });
  });
}
