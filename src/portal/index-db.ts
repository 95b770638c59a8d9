/**
 * The portal's index: a small in-memory DuckDB holding what the pages need (incidents with their
 * deliveries counted, from alerts@master; people's marks from feedback@master; from the
 * warehouse one row per threat, frames and refusals counted per camera and day, and each frame's
 * time for the cameras' rhythm), so that a page is a query or two over a few narrow tables
 * instead of thousands of records or Parquet files. It follows the repos file by file:
 * every row remembers the repo file it came from, and a new head commit replaces the rows of
 * the files that changed (by path and sha256) and of no other. Built when the server starts.
 */
import { DuckDBInstance, listValue, type DuckDBAppender, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import type { FileEntry } from '../engine/store/store.js';

/** The index's tables. `file` is the repo file a row came from (IndexDb's numbering). */
const SCHEMA = `
CREATE TABLE incidents (
  file INTEGER NOT NULL, id VARCHAR NOT NULL, user VARCHAR NOT NULL, device VARCHAR NOT NULL, camera_name VARCHAR,
  rule_id INTEGER NOT NULL, rule_name VARCHAR NOT NULL, severity VARCHAR NOT NULL,
  first_at TIMESTAMP NOT NULL, last_at TIMESTAMP NOT NULL, frame_count INTEGER NOT NULL,
  -- When the rule's cooldown after the last frame passes (ms since the epoch): open until then, unless closed.
  open_until DOUBLE NOT NULL,
  sent INTEGER NOT NULL, failed INTEGER NOT NULL,
  commit VARCHAR NOT NULL, path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, snapshot VARCHAR
);
CREATE TABLE feedback (
  file INTEGER NOT NULL, incident_id VARCHAR NOT NULL, state VARCHAR NOT NULL, marked_by VARCHAR NOT NULL, marked_at TIMESTAMP NOT NULL
);
CREATE TABLE frames (file INTEGER NOT NULL, user VARCHAR, device VARCHAR, captured_at TIMESTAMP NOT NULL);
CREATE TABLE frame_days (file INTEGER NOT NULL, user VARCHAR, device VARCHAR, day DATE NOT NULL, frames INTEGER NOT NULL, objects INTEGER NOT NULL);
CREATE TABLE threats (
  file INTEGER NOT NULL, user VARCHAR NOT NULL, device VARCHAR NOT NULL, captured_at TIMESTAMP NOT NULL,
  rule_id INTEGER NOT NULL, rule_name VARCHAR NOT NULL, severity VARCHAR NOT NULL
);
CREATE TABLE rejections (file INTEGER NOT NULL, user VARCHAR, device VARCHAR, captured_at TIMESTAMP);
-- Frames refused per camera and day: per reason, and in all (code NULL; a frame refused for two reasons counts once).
CREATE TABLE rejection_days (file INTEGER NOT NULL, user VARCHAR, device VARCHAR, day DATE NOT NULL, code VARCHAR, frames INTEGER NOT NULL);
-- Summaries of the threats for the overview (see SUMMARIES).
CREATE TABLE threat_days (day DATE NOT NULL, user VARCHAR NOT NULL, device VARCHAR NOT NULL, severity VARCHAR NOT NULL, threats INTEGER NOT NULL);
CREATE TABLE threat_hours (day DATE NOT NULL, user VARCHAR NOT NULL, hour INTEGER NOT NULL, threats INTEGER NOT NULL);
`;

/**
 * Threats per camera, day and severity, and per customer, day and hour: a few thousand rows
 * where the threats are hundreds of thousands, so a day's overview adds up a few rows. Made
 * again from the threats whenever the warehouse moves (once per commit, never per page).
 */
const SUMMARIES = `
DELETE FROM threat_days;
INSERT INTO threat_days SELECT CAST(captured_at AS DATE), user, device, severity, count(*) FROM threats GROUP BY ALL;
DELETE FROM threat_hours;
INSERT INTO threat_hours SELECT CAST(captured_at AS DATE), user, hour(captured_at), count(*) FROM threats GROUP BY ALL;
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

/** Prepared queries kept at most; past that they are all let go and prepared again as asked. */
const MAX_PREPARED = 256;

export class IndexDb {
  /** Per repo: the files indexed, by path. */
  private readonly files = new Map<string, Map<string, { id: number; sha256: string }>>();
  private nextId = 1;
  private readonly prepared = new Map<string, Promise<DuckDBPreparedStatement>>();
  /** The last query asked of the reader: the next one waits for it. */
  private reading: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    /** Updates run here, each in a transaction... */
    readonly writer: DuckDBConnection,
    /** ...while pages read here, seeing the last committed state. */
    private readonly reader: DuckDBConnection,
  ) {}

  static async open(): Promise<IndexDb> {
    // One thread: a page's queries are small, and on a server shared with the pipelines a second
    // thread costs more in scheduling than it gains.
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const writer = await instance.connect();
    await writer.run(SCHEMA);
    return new IndexDb(instance, writer, await instance.connect());
  }

  /**
   * The rows of a page's query, values as DuckDB's JSON conversion gives them; parameters the SQL
   * does not name are left out. Each query text is prepared once and kept (the pages' queries are
   * a few templates), and the reader runs one query at a time, in the order asked.
   */
  query(sql: string, params: Record<string, string | number> = {}): Promise<Row[]> {
    const named = Object.fromEntries(Object.entries(params).filter(([k]) => new RegExp(`\\$${k}\\b`).test(sql)));
    const run = async (): Promise<Row[]> => {
      const statement = await this.prepare(sql);
      statement.clearBindings();
      statement.bind(named);
      return (await statement.runAndReadAll()).getRowObjectsJson() as Row[];
    };
    const result = this.reading.then(run, run);
    this.reading = result.catch(() => {});
    return result;
  }

  private prepare(sql: string): Promise<DuckDBPreparedStatement> {
    let statement = this.prepared.get(sql);
    if (!statement) {
      if (this.prepared.size >= MAX_PREPARED) void this.forgetPrepared();
      statement = this.reader.prepare(sql);
      statement.catch(() => this.prepared.delete(sql));
      this.prepared.set(sql, statement);
    }
    return statement;
  }

  private forgetPrepared(): Promise<unknown> {
    const statements = [...this.prepared.values()].map((statement) =>
      statement.then(
        (s) => s.destroySync(),
        () => {},
      ),
    );
    this.prepared.clear();
    return Promise.all(statements);
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

  /** Whether the index holds `entry` of `repo` as it is (the same path and bytes). */
  holds(repo: string, entry: FileEntry): boolean {
    return this.files.get(repo)?.get(entry.path)?.sha256 === entry.sha256;
  }

  /** Makes the threats' summaries again (SUMMARIES), in one transaction: pages see the old ones or the new. */
  async summarise(): Promise<void> {
    await this.writer.run('BEGIN TRANSACTION');
    try {
      await this.writer.run(SUMMARIES);
      await this.writer.run('COMMIT');
    } catch (e) {
      await this.writer.run('ROLLBACK');
      throw e;
    }
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

  async close(): Promise<void> {
    await this.reading;
    await this.forgetPrepared();
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}
