/**
 * The portal's index: a small in-memory DuckDB holding what the pages need (incidents and their
 * deliveries from alerts@master, people's marks from feedback@master, and per-frame, per-threat
 * and per-rejection rows from the warehouse), so that a page is one query over a few narrow
 * tables instead of thousands of records or Parquet files. It follows the repos file by file:
 * every row remembers the repo file it came from, and a new head commit replaces the rows of
 * the files that changed (by path and sha256) and of no other. Built when the server starts.
 */
import { DuckDBInstance, listValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { FileEntry } from '../engine/store/store.js';

/** The index's tables. `file` is the repo file a row came from (IndexDb's numbering). */
const SCHEMA = `
CREATE TABLE incidents (
  file INTEGER NOT NULL, id VARCHAR NOT NULL, user VARCHAR NOT NULL, device VARCHAR NOT NULL, camera_name VARCHAR,
  rule_id INTEGER NOT NULL, rule_name VARCHAR NOT NULL, severity VARCHAR NOT NULL, cooldown_ms DOUBLE NOT NULL,
  first_at TIMESTAMP NOT NULL, last_at TIMESTAMP NOT NULL, frame_count INTEGER NOT NULL,
  commit VARCHAR NOT NULL, path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, snapshot VARCHAR
);
CREATE TABLE deliveries (
  file INTEGER NOT NULL, incident_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, recipient VARCHAR NOT NULL,
  status VARCHAR NOT NULL, attempts INTEGER NOT NULL, last_attempt_at TIMESTAMP, detail VARCHAR
);
CREATE TABLE feedback (
  file INTEGER NOT NULL, incident_id VARCHAR NOT NULL, state VARCHAR NOT NULL, marked_by VARCHAR NOT NULL, marked_at TIMESTAMP NOT NULL
);
CREATE TABLE frames (file INTEGER NOT NULL, user VARCHAR, device VARCHAR, captured_at TIMESTAMP NOT NULL, objects INTEGER NOT NULL);
CREATE TABLE threats (
  file INTEGER NOT NULL, user VARCHAR NOT NULL, device VARCHAR NOT NULL, captured_at TIMESTAMP NOT NULL,
  rule_id INTEGER NOT NULL, rule_name VARCHAR NOT NULL, severity VARCHAR NOT NULL
);
CREATE TABLE rejections (file INTEGER NOT NULL, user VARCHAR, device VARCHAR, captured_at TIMESTAMP, code VARCHAR NOT NULL, path VARCHAR NOT NULL);
`;

/** A repo file being added to the index: its number, path and the store object holding its bytes. */
export interface IndexedFile {
  id: number;
  path: string;
  sha256: string;
}

/** What the index takes from one repo: which of its files, into which tables, and how. */
export interface IndexSource {
  repo: string;
  /** The tables this source's rows live in (a changed file's rows are deleted from each). */
  tables: string[];
  wants(path: string): boolean;
  /** Adds the rows of `files` (on the writer connection, inside the update's transaction). */
  load(db: IndexDb, files: IndexedFile[]): Promise<void>;
}

export type Row = Record<string, unknown>;

export class IndexDb {
  /** Per repo: the files indexed, by path. */
  private readonly files = new Map<string, Map<string, { id: number; sha256: string }>>();
  private nextId = 1;

  private constructor(
    private readonly instance: DuckDBInstance,
    /** Updates run here, each in a transaction... */
    readonly writer: DuckDBConnection,
    /** ...while pages read here, seeing the last committed state. */
    private readonly reader: DuckDBConnection,
  ) {}

  static async open(): Promise<IndexDb> {
    const instance = await DuckDBInstance.create(':memory:');
    const writer = await instance.connect();
    await writer.run(SCHEMA);
    return new IndexDb(instance, writer, await instance.connect());
  }

  /** The rows of a page's query, values as DuckDB's JSON conversion gives them; parameters the SQL does not name are left out. */
  async query(sql: string, params: Record<string, string | number> = {}): Promise<Row[]> {
    const named = Object.fromEntries(Object.entries(params).filter(([k]) => new RegExp(`\\$${k}\\b`).test(sql)));
    return (await this.reader.runAndReadAll(sql, named)).getRowObjectsJson() as Row[];
  }

  /**
   * Brings `source`'s rows to the repo files `entries` (a head commit's tree): the rows of files
   * gone or changed are deleted, the files new or changed loaded, in one transaction. Returns
   * whether anything changed.
   */
  async sync(source: IndexSource, entries: FileEntry[]): Promise<boolean> {
    const held = this.files.get(source.repo) ?? new Map<string, { id: number; sha256: string }>();
    const wanted = new Map(entries.filter((e) => source.wants(e.path)).map((e) => [e.path, e]));
    const removed = [...held].filter(([path, f]) => wanted.get(path)?.sha256 !== f.sha256).map(([path, f]) => ({ path, id: f.id }));
    const added = [...wanted.values()].filter((e) => held.get(e.path)?.sha256 !== e.sha256);
    if (removed.length === 0 && added.length === 0) return false;
    const files = added.map((e) => ({ id: this.nextId++, path: e.path, sha256: e.sha256 }));
    await this.writer.run('BEGIN TRANSACTION');
    try {
      if (removed.length > 0) {
        const ids = listValue(removed.map((r) => r.id));
        for (const table of source.tables) await this.writer.run(`DELETE FROM ${table} WHERE list_contains($ids, file)`, { ids });
      }
      if (files.length > 0) await source.load(this, files);
      await this.writer.run('COMMIT');
    } catch (e) {
      await this.writer.run('ROLLBACK');
      throw e;
    }
    for (const r of removed) held.delete(r.path);
    for (const f of files) held.set(f.path, { id: f.id, sha256: f.sha256 });
    this.files.set(source.repo, held);
    return true;
  }

  /** Appends rows to `table` on the writer connection. */
  async append(table: string, fill: (appender: DuckDBAppender) => void): Promise<void> {
    const appender = await this.writer.createAppender(table);
    try {
      fill(appender);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  close(): void {
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}
