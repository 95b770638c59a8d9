/**
 * The reader of a warehouse partition: its Parquet rows name the record files they were read
 * from in their lineage columns (repo, path, sha256, commit), read here with DuckDB.
 */
import type { StoreView } from './store-view.js';
import { expiredRecord, type Reader } from './walk.js';

export function warehouseReader(view: StoreView): Reader {
  return async ({ hop, entry }) => {
    if (hop.expired) return expiredRecord(hop);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const file = view.objectPath(entry.sha256);
      const rows = (await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet($file)`, { file })).getRowObjectsJson();
      const refs = (
        await connection.runAndReadAll(
          `SELECT DISTINCT repo, path, sha256, "commit" FROM read_parquet($file) ORDER BY repo, path, "commit"`,
          { file },
        )
      ).getRowObjectsJson() as unknown as Array<{ repo: string; path: string; sha256: string; commit: string | null }>;
      const table = hop.path.split('/')[2] ?? '?';
      hop.summary = `${rows[0]!.n} rows of table ${table} from ${refs.length} record file${refs.length === 1 ? '' : 's'}`;
      return { sources: refs.map((ref) => ({ ref, kinds: ['alert', 'match', 'detection', 'rejection'] })) };
    } catch (e) {
      hop.problems.push(`cannot read the Parquet rows: ${(e as Error).message}`);
      return { sources: [] };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  };
}
