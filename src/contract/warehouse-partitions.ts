/**
 * The warehouse's Parquet layout, part of the data contract: every table's rows are split by UTC
 * day and camera into `/parquet/<table>/day=<YYYY-MM-DD>/camera=<user>-<device>/<file>.parquet`,
 * Hive-style keys that DuckDB (`hive_partitioning`), Spark and the like read back as the columns
 * `day` (DATE) and `camera` (VARCHAR). No table has a column of either name, so the keys add
 * columns and never change one. Records whose path names no camera and day (rejections under
 * `/rejected/_unparsed/`) lie in the partition whose keys are Hive's NULL.
 */
import { parseIncidentId } from './incident-id.js';
import { parseFramePath } from './frame-path.js';
import { REPOS, VALIDATED_FOLDERS } from './repos.js';

/** The folder under which every table's partitions lie, in the warehouse repo. */
export const PARQUET_ROOT = '/parquet';

/** Hive's name for a NULL partition value; DuckDB reads it back as NULL. */
export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

/** The partition keys, outermost first: the SQL type each is read as, and what it holds. */
export const PARTITION_KEYS = [
  {
    name: 'day',
    type: 'DATE',
    comment:
      'Partition key: the UTC day of the record (of captured_at; of first_captured_at for alerts and deliveries); NULL when its path names none.',
  },
  { name: 'camera', type: 'VARCHAR', comment: "Partition key: the camera, <user>-<device>; NULL when the record's path names none." },
] as const;

/** A partition: a UTC day (`YYYY-MM-DD`) and a camera (`<user>-<device>`), both null for records that name neither. */
export interface Partition {
  day: string | null;
  camera: string | null;
}

export const NULL_PARTITION: Partition = { day: null, camera: null };

export function isNullPartition(p: Partition): boolean {
  return p.day === null && p.camera === null;
}

export function samePartition(a: Partition, b: Partition): boolean {
  return a.day === b.day && a.camera === b.camera;
}

/** `/parquet/<table>/day=<day>/camera=<camera>`. */
export function partitionFolder(table: string, p: Partition): string {
  return `${PARQUET_ROOT}/${table}/day=${p.day ?? HIVE_NULL}/camera=${p.camera ?? HIVE_NULL}`;
}

const PARTITION_FILE_RE = /^\/parquet\/([a-z_]+)\/day=(\d{4}-\d{2}-\d{2}|__HIVE_DEFAULT_PARTITION__)\/camera=([^/]+)\/([^/]+\.parquet)$/;

/** What a warehouse repo path names (`/parquet/matches/day=2026-11-26/camera=u1-cam1/part.parquet`), or null when it is no partition file. */
export function parsePartitionFile(path: string): { table: string; partition: Partition; file: string } | null {
  const m = PARTITION_FILE_RE.exec(path);
  if (!m) return null;
  const value = (v: string) => (v === HIVE_NULL ? null : v);
  return { table: m[1], partition: { day: value(m[2]), camera: value(m[3]) }, file: m[4] };
}

/** A UTC instant's day, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The partition a record file of one of the warehouse's input repos belongs to, read from its
 * path alone: a frame's record (detections, matches, validated's rejections) by its camera and
 * capture time, an incident (alerts, deliveries) by its camera and first frame. Null when the
 * path names no camera and day.
 */
export function recordPartition(repo: string, path: string): Partition | null {
  if (repo === REPOS.alerts || repo === REPOS.deliveries) {
    const [, source, file, ...rest] = path.split('/');
    const incident = rest.length === 0 && file?.endsWith('.json') ? parseIncidentId(file.slice(0, -'.json'.length)) : null;
    return incident && incident.source === source ? { day: utcDay(incident.start), camera: incident.source } : null;
  }
  const prefix = `/${VALIDATED_FOLDERS.rejected}`;
  const framePath = repo === REPOS.validated ? (path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : null) : path;
  const frame = framePath === null ? null : parseFramePath(framePath);
  return frame && !('error' in frame) ? { day: utcDay(frame.capturedAt), camera: frame.source } : null;
}
