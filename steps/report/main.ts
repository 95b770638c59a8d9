import { join } from 'node:path';
import { REPOS } from '../../src/contract/repos.js';
import { PARQUET_ROOT } from '../../src/contract/warehouse-partitions.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { groupedInput } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { buildReports } from './build.js';

/**
 * `vigil step report`: one datum is one UTC day's partitions of every warehouse table (a group
 * input on `warehouse`); writes /daily/<day>.html and .json.
 */
export async function main(): Promise<void> {
  await forEachDatum(async ({ env }) => {
    const warehouse = groupedInput(env, REPOS.warehouse);
    await buildReports(join(warehouse.path, PARQUET_ROOT), outDir(env), {
      repo: warehouse.name,
      ...(warehouse.commit ? { commit: warehouse.commit } : {}),
    });
  });
}
