/**
 * The PostgreSQL ledger, for alert workers on several machines: one table whose primary key
 * (scope, key) does the once-only work. `INSERT ... ON CONFLICT DO NOTHING` lets exactly one
 * writer in; everyone then reads the row that holds. The table and its index of device-days (on
 * the source column and the UTC day an incident id names, an expression index, so rows written
 * before it need no change) are created on first use. The URL (`VIGIL_LEDGER_URL`) is a secret:
 * errors name the variable and show it with the password masked.
 */
import pg from 'pg';
import { VigilError } from '../../../src/pfs/errors.js';
import { parseIncidentId } from '../../../src/contract/incident-id.js';
import { maskedUrl } from '../secrets.js';
import { LEDGER_URL_SECRET, type Ledger, type LedgerEntry } from './ledger.js';

const TABLE = 'vigil_alert_ledger';

const TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  scope text NOT NULL,
  key text NOT NULL,
  source text,
  value jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
)`;

/** An incident id's UTC day (`YYYYMMDD`, what follows its last `-` up to the `T`); the query must say it the same way to use the index. */
const DAY_OF_SCOPE = `substring(scope from '-([0-9]{8})T[^-]*$')`;

const INDEX_SQL = `CREATE INDEX IF NOT EXISTS ${TABLE}_device_day ON ${TABLE} (source, (${DAY_OF_SCOPE}))`;

const SCHEMA = [TABLE_SQL, INDEX_SQL];

/** One device-day's incident scopes ($1 the source, $2 the day), read through the index. */
export const INCIDENTS_OF_DAY_SQL = `SELECT scope FROM ${TABLE} WHERE source = $1 AND ${DAY_OF_SCOPE} = $2 GROUP BY scope ORDER BY scope COLLATE "C"`;

export class PostgresLedger implements Ledger {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly shown: string,
  ) {}

  static async open(url: string): Promise<PostgresLedger> {
    const shown = maskedUrl(url);
    let pool: pg.Pool;
    try {
      pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
    } catch (e) {
      throw new VigilError(`${LEDGER_URL_SECRET} (${shown}) is not a PostgreSQL URL: ${safeMessage(e, url)}`);
    }
    pool.on('error', () => {}); // an idle client's lost connection: the next query reports it
    const ledger = new PostgresLedger(pool, url, shown);
    for (const statement of SCHEMA) await ledger.query(statement, []);
    return ledger;
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (e) {
      if ((e as { code?: string }).code === '42P07' || (e as { code?: string }).code === '23505') {
        // Two workers creating the table or index at once: the other one made it.
        if (SCHEMA.includes(text)) return this.pool.query<R>('SELECT 1', []);
      }
      throw new VigilError(`alert ledger at ${LEDGER_URL_SECRET} (${this.shown}): ${safeMessage(e, this.url)}`);
    }
  }

  async get<T>(scope: string, key: string): Promise<T | undefined> {
    const { rows } = await this.query<{ value: T }>(`SELECT value FROM ${TABLE} WHERE scope = $1 AND key = $2`, [scope, key]);
    return rows[0]?.value;
  }

  async record<T>(scope: string, key: string, value: T): Promise<T> {
    const source = parseIncidentId(scope)?.source ?? null;
    await this.query(`INSERT INTO ${TABLE} (scope, key, source, value) VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING`, [
      scope,
      key,
      source,
      JSON.stringify(value),
    ]);
    return (await this.get<T>(scope, key))!;
  }

  async incidentsOf(source: string, day: string): Promise<string[]> {
    const { rows } = await this.query<{ scope: string }>(INCIDENTS_OF_DAY_SQL, [source, day]);
    return rows.map((r) => r.scope);
  }

  async entriesOf(scope: string): Promise<LedgerEntry[]> {
    const { rows } = await this.query<LedgerEntry>(`SELECT scope, key, value FROM ${TABLE} WHERE scope = $1 ORDER BY key COLLATE "C"`, [
      scope,
    ]);
    return rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** An error's message with any copy of the URL's password masked. */
function safeMessage(e: unknown, url: string): string {
  const message = e instanceof Error ? e.message : String(e);
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.split(password).join('****') : message;
  } catch {
    return message;
  }
}
