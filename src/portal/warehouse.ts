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

/** What the portal takes from a warehouse table: an index table it feeds and the rows (`p`: the Parquet rows, `a.file`: their file). */
interface Read {
  into: string;
  /** The columns of the table it reads. */
  columns: string[];
  select: string;
  groupBy?: string;
}

const DAY = 'CAST(p.captured_at AS DATE)';

/** For each warehouse table the portal reads, the index tables it feeds. */
const READS: Record<string, Read[]> = {
  // Each analysed frame's time (for the cameras' rhythm), and frames and objects per camera and day
  // (a frame with no object is one row with a NULL label).
  detections: [
    { into: 'frames', columns: ['user', 'device', 'captured_at'], select: 'DISTINCT a.file, p.user, p.device, p.captured_at' },
    {
      into: 'frame_days',
      columns: ['user', 'device', 'captured_at', 'path', 'label'],
      select: `a.file, p.user, p.device, ${DAY}, count(DISTINCT p.path)::INTEGER, count(p.label)::INTEGER`,
      groupBy: 'ALL',
    },
  ],
  // One row per rule that fired on a frame.
  matches: [
    {
      into: 'threats',
      columns: ['user', 'device', 'captured_at', 'rule_id', 'rule_name', 'severity'],
      select: 'a.file, p.user, p.device, p.captured_at, p.rule_id, p.rule_name, p.severity',
    },
  ],
  // Each refused frame's time, and refused frames per camera and day, per reason and in all; `path` tells the frames apart.
  frames_rejected: [
    { into: 'rejections', columns: ['user', 'device', 'captured_at'], select: 'DISTINCT a.file, p.user, p.device, p.captured_at' },
    {
      into: 'rejection_days',
      columns: ['user', 'device', 'captured_at', 'code', 'path'],
      select: `a.file, p.user, p.device, ${DAY}, p.code, count(DISTINCT p.path)::INTEGER`,
      groupBy: `GROUPING SETS ((a.file, p.user, p.device, ${DAY}, p.code), (a.file, p.user, p.device, ${DAY})) HAVING ${DAY} IS NOT NULL`,
    },
  ],
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
    tables: [...new Set(Object.values(READS).flatMap((reads) => reads.map((r) => r.into)))],
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
  for (const [table, reads] of Object.entries(READS)) {
    const objects = [...new Set(files.filter((f) => warehouseTableOf(f.path) === table).map((f) => store.objectPath(f.sha256)))];
    if (objects.length === 0) continue;
    const columns = [...new Set(reads.flatMap((r) => r.columns))].map((c) => `"${c}"`).join(', ');
    // Read once for every index table it feeds, only the columns they use.
    await db.writer.run(
      `CREATE OR REPLACE TEMP TABLE rows AS
       SELECT filename, ${columns} FROM read_parquet($objects, filename = true, hive_partitioning = false, union_by_name = true)`,
      { objects: listValue(objects) },
    );
    for (const read of reads) {
      await db.writer.run(
        `INSERT INTO ${read.into} SELECT ${read.select} FROM rows p JOIN loading a ON a.object = p.filename ${read.groupBy ? `GROUP BY ${read.groupBy}` : ''}`,
      );
    }
    await db.writer.run('DROP TABLE rows');
  }
  await db.writer.run('DROP TABLE loading');
}
