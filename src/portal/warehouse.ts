/**
 * The one place the portal reads the warehouse: which files of warehouse@master hold which
 * table, and the narrow rows the pages need from each, read straight from its Parquet object in
 * the store. Only the `/parquet/<table>/` prefix and the tables' columns (warehouse/tables.sql)
 * are relied on, never the partition folders below it, so the warehouse may lay its files out by
 * camera, by day and camera, or any other way: a new layout changes which files change per
 * commit, not what is read from them.
 */
import { listValue } from '@duckdb/node-api';
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import type { IndexDb, IndexedFile, IndexSource } from './index-db.js';

/** For each warehouse table the portal reads: the index table it feeds and the rows it takes (`p`: the Parquet rows, `a.file`: their file). */
const READS: Record<string, { into: string; select: string; groupBy?: string }> = {
  // One row per analysed frame, with its object count (a frame with no object is one row with a NULL label).
  detections: {
    into: 'frames',
    select: 'a.file, p.user, p.device, p.captured_at, count(p.label)::INTEGER',
    groupBy: 'a.file, p.path, p.user, p.device, p.captured_at',
  },
  // One row per rule that fired on a frame.
  matches: { into: 'threats', select: 'a.file, p.user, p.device, p.captured_at, p.rule_id, p.rule_name, p.severity' },
  // One row per reason a frame was refused; `path` tells the frames apart.
  frames_rejected: { into: 'rejections', select: 'a.file, p.user, p.device, p.captured_at, p.code, p.path' },
};

const PARQUET_FILE = /^\/parquet\/([a-z_]+)\/.+\.parquet$/;

/** The warehouse table a file of the warehouse repo holds rows of, or null when the portal does not read it. */
export function warehouseTableOf(path: string): string | null {
  const table = PARQUET_FILE.exec(path)?.[1];
  return table !== undefined && table in READS ? table : null;
}

/** The warehouse as a source of the index: every Parquet file of the tables the portal reads. */
export function warehouseSource(store: Store): IndexSource {
  return {
    repo: REPOS.warehouse,
    tables: [...new Set(Object.values(READS).map((r) => r.into))],
    wants: (path) => warehouseTableOf(path) !== null,
    load: (db, files) => loadFiles(db, store, files),
  };
}

/** Reads each table's files in one statement: every file's rows, tagged with the file they came from. */
async function loadFiles(db: IndexDb, store: Store, files: IndexedFile[]): Promise<void> {
  await db.writer.run('CREATE OR REPLACE TEMP TABLE loading (object VARCHAR, file INTEGER)');
  await db.append('loading', (a) => {
    for (const f of files) {
      a.appendVarchar(store.objectPath(f.sha256));
      a.appendInteger(f.id);
      a.endRow();
    }
  });
  for (const [table, read] of Object.entries(READS)) {
    const objects = [...new Set(files.filter((f) => warehouseTableOf(f.path) === table).map((f) => store.objectPath(f.sha256)))];
    if (objects.length === 0) continue;
    await db.writer.run(
      `INSERT INTO ${read.into}
       SELECT ${read.select}
       FROM read_parquet($objects, filename = true, hive_partitioning = false, union_by_name = true) p
       JOIN loading a ON a.object = p.filename
       ${read.groupBy ? `GROUP BY ${read.groupBy}` : ''}`,
      { objects: listValue(objects) },
    );
  }
  await db.writer.run('DROP TABLE loading');
}
