/**
 * The pages' questions to the index (index-db.ts), each one query or a few: a day's overview,
 * the incidents list and one incident's row, the cameras with their last frames and silence,
 * one camera's days. Every query takes the viewer's customer scope and adds it to its filter,
 * so a customer's page can only ever count that customer's rows.
 */
import { SEVERITIES } from '../render/colors.js';
import { isSilent, silentAfterMs, type FeedbackState } from './core.js';
import type { IndexDb, Row } from './index-db.js';

type Severity = (typeof SEVERITIES)[number];

/** Where an incident stands: what the marks say, else open while its cooldown has not passed since its last frame, else ended. */
export type IncidentState = FeedbackState | 'ended';

/** The state of incident `i` joined with its feedback `f` at `$now` (ms): the one definition of "open". */
const STATE = `CASE WHEN f.state IN ('closed', 'false_positive') THEN f.state
  WHEN epoch_ms(i.last_at) + i.cooldown_ms < $now THEN 'ended'
  WHEN f.state = 'acknowledged' THEN 'acknowledged'
  ELSE 'open' END`;

/** A query's filter built from the conditions that apply, each with its own named parameters. */
class Where {
  private readonly conditions: string[] = [];
  readonly params: Record<string, string | number> = {};

  add(condition: string, params: Record<string, string | number> = {}): this {
    this.conditions.push(condition);
    Object.assign(this.params, params);
    return this;
  }

  toString(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}

/** A filter on the viewer's customer (none for an operator) over a table aliased `alias`. */
function scoped(scope: string | null, alias: string): Where {
  const where = new Where();
  if (scope !== null) where.add(`${alias}.user = $scope`, { scope });
  return where;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export interface IncidentRow {
  id: string;
  user: string;
  device: string;
  cameraName: string;
  ruleId: number;
  ruleName: string;
  severity: Severity;
  firstMs: number;
  lastMs: number;
  frameCount: number;
  state: IncidentState;
  /** The last mark: who and when. */
  markedBy: string;
  markedMs: number;
  /** The alert record: alerts@commit:path, its sha256, and the snapshot beside it. */
  commit: string;
  path: string;
  sha256: string;
  snapshot: string;
  sent: number;
  failed: number;
}

const INCIDENT_COLUMNS = `i.id, i.user, i.device, i.camera_name, i.rule_id, i.rule_name, i.severity,
  epoch_ms(i.first_at)::DOUBLE AS first_ms, epoch_ms(i.last_at)::DOUBLE AS last_ms, i.frame_count,
  ${STATE} AS state, f.marked_by, epoch_ms(f.marked_at)::DOUBLE AS marked_ms, i.commit, i.path, i.sha256, i.snapshot`;

function incidentRow(r: Row): IncidentRow {
  return {
    id: text(r.id),
    user: text(r.user),
    device: text(r.device),
    cameraName: text(r.camera_name),
    ruleId: num(r.rule_id),
    ruleName: text(r.rule_name),
    severity: text(r.severity) as Severity,
    firstMs: num(r.first_ms),
    lastMs: num(r.last_ms),
    frameCount: num(r.frame_count),
    state: text(r.state) as IncidentState,
    markedBy: text(r.marked_by),
    markedMs: num(r.marked_ms),
    commit: text(r.commit),
    path: text(r.path),
    sha256: text(r.sha256),
    snapshot: text(r.snapshot),
    sent: num(r.sent),
    failed: num(r.failed),
  };
}

/** The incidents of one query, with their deliveries sent and failed. */
async function incidentRows(db: IndexDb, where: Where, tail: string, now: number): Promise<IncidentRow[]> {
  const rows = await db.query(
    `WITH page AS (
       SELECT ${INCIDENT_COLUMNS} FROM incidents i LEFT JOIN feedback f ON f.incident_id = i.id ${where} ${tail}
     )
     SELECT page.*, count(d.status) FILTER (WHERE d.status = 'sent')::INTEGER AS sent,
            count(d.status) FILTER (WHERE d.status = 'failed')::INTEGER AS failed
     FROM page LEFT JOIN deliveries d ON d.incident_id = page.id
     GROUP BY ALL ORDER BY page.first_ms DESC, page.id`,
    { ...where.params, now },
  );
  return rows.map(incidentRow);
}

export interface SeverityCounts {
  /** A customer (operator's view) or a camera (a customer's view). */
  group: string;
  counts: Record<Severity, number>;
}

export interface Overview {
  day: string;
  threats: number;
  /** Threats per customer (per camera, for a customer), by severity, most first. */
  byGroup: SeverityCounts[];
  /** The day's 24 UTC hours. */
  byHour: number[];
  framesAnalysed: number;
  framesRejected: number;
  incidents: number;
  openIncidents: IncidentRow[];
  alertsSent: number;
  alertsFailed: number;
}

/** The day's numbers (`day` YYYY-MM-DD, UTC) for the viewer's scope; open incidents are open at `now`. */
export async function overview(db: IndexDb, scope: string | null, day: string, now: number): Promise<Overview> {
  const inDay = (column: string) => `${column} >= $day::TIMESTAMP AND ${column} < $day::TIMESTAMP + INTERVAL 1 DAY`;
  const threats = scoped(scope, 't').add(inDay('t.captured_at'), { day });
  const group = scope === null ? 't.user' : `t.user || '-' || t.device`;
  const [severities, hours, counts, alerts] = await Promise.all([
    db.query(`SELECT ${group} AS grp, t.severity, count(*)::INTEGER AS n FROM threats t ${threats} GROUP BY ALL`, threats.params),
    db.query(`SELECT hour(t.captured_at)::INTEGER AS h, count(*)::INTEGER AS n FROM threats t ${threats} GROUP BY ALL`, threats.params),
    (() => {
      const frames = scoped(scope, 'x').add(inDay('x.captured_at'), { day });
      const incidents = scoped(scope, 'x').add(inDay('x.first_at'), { day });
      return db.query(
        `SELECT (SELECT count(*) FROM frames x ${frames})::INTEGER AS analysed,
                (SELECT count(DISTINCT x.path) FROM rejections x ${frames})::INTEGER AS rejected,
                (SELECT count(*) FROM incidents x ${incidents})::INTEGER AS incidents`,
        { ...frames.params, ...incidents.params },
      );
    })(),
    (() => {
      const days = scoped(scope, 'i').add(inDay('i.first_at'), { day });
      return db.query(
        `SELECT count(*) FILTER (WHERE d.status = 'sent')::INTEGER AS sent, count(*) FILTER (WHERE d.status = 'failed')::INTEGER AS failed
         FROM deliveries d JOIN incidents i ON i.id = d.incident_id ${days}`,
        days.params,
      );
    })(),
  ]);
  const groups = new Map<string, Record<Severity, number>>();
  for (const r of severities) {
    const g = groups.get(text(r.grp)) ?? { critical: 0, error: 0, warning: 0, info: 0 };
    g[text(r.severity) as Severity] = (g[text(r.severity) as Severity] ?? 0) + num(r.n);
    groups.set(text(r.grp), g);
  }
  const total = (c: Record<Severity, number>) => SEVERITIES.reduce((s, k) => s + c[k], 0);
  const byGroup = [...groups]
    .map(([g, c]) => ({ group: g, counts: c }))
    .sort((a, b) => total(b.counts) - total(a.counts) || a.group.localeCompare(b.group));
  const byHour = Array.from({ length: 24 }, () => 0);
  for (const r of hours) byHour[num(r.h)] = num(r.n);
  const open = scoped(scope, 'i')
    .add(`epoch_ms(i.last_at) + i.cooldown_ms >= $now`)
    .add(`coalesce(f.state, 'open') IN ('open', 'acknowledged')`);
  return {
    day,
    threats: byHour.reduce((s, n) => s + n, 0),
    byGroup,
    byHour,
    framesAnalysed: num(counts[0]?.analysed),
    framesRejected: num(counts[0]?.rejected),
    incidents: num(counts[0]?.incidents),
    openIncidents: await incidentRows(db, open, 'ORDER BY i.first_at DESC LIMIT 50', now),
    alertsSent: num(alerts[0]?.sent),
    alertsFailed: num(alerts[0]?.failed),
  };
}

export interface IncidentFilter {
  customer?: string;
  camera?: string;
  rule?: number;
  severity?: string;
  /** The UTC day of the first frame, YYYY-MM-DD. */
  day?: string;
  state?: IncidentState;
}

export const PAGE_SIZE = 50;

/** A page of the incidents matching `filter` in the viewer's scope, newest first, and how many match in all. */
export async function listIncidents(
  db: IndexDb,
  scope: string | null,
  filter: IncidentFilter,
  offset: number,
  now: number,
): Promise<{ rows: IncidentRow[]; total: number }> {
  const where = scoped(scope, 'i');
  if (filter.customer) where.add('i.user = $customer', { customer: filter.customer });
  if (filter.camera) where.add(`i.user || '-' || i.device = $camera`, { camera: filter.camera });
  if (filter.rule !== undefined) where.add('i.rule_id = $rule', { rule: filter.rule });
  if (filter.severity) where.add('i.severity = $severity', { severity: filter.severity });
  if (filter.day) where.add('i.first_at >= $day::TIMESTAMP AND i.first_at < $day::TIMESTAMP + INTERVAL 1 DAY', { day: filter.day });
  if (filter.state) where.add(`${STATE} = $state`, { state: filter.state });
  const [rows, count] = await Promise.all([
    incidentRows(db, where, `ORDER BY i.first_at DESC, i.id LIMIT ${PAGE_SIZE} OFFSET ${Math.max(0, Math.floor(offset))}`, now),
    db.query(`SELECT count(*)::INTEGER AS n FROM incidents i LEFT JOIN feedback f ON f.incident_id = i.id ${where}`, {
      ...where.params,
      now,
    }),
  ]);
  return { rows, total: num(count[0]?.n) };
}

/** The choices of the incidents list's filters, within the viewer's scope. */
export async function incidentChoices(
  db: IndexDb,
  scope: string | null,
): Promise<{ customers: string[]; cameras: string[]; rules: Array<{ id: number; name: string }> }> {
  const where = scoped(scope, 'i');
  const rows = await db.query(`SELECT DISTINCT i.user, i.device, i.rule_id, i.rule_name FROM incidents i ${where}`, where.params);
  const rules = new Map(rows.map((r) => [num(r.rule_id), text(r.rule_name)]));
  return {
    customers: [...new Set(rows.map((r) => text(r.user)))].sort(),
    cameras: [...new Set(rows.map((r) => `${text(r.user)}-${text(r.device)}`))].sort(),
    rules: [...rules].map(([id, name]) => ({ id, name })).sort((a, b) => a.id - b.id),
  };
}

/** One incident in the viewer's scope, or null (none by that id, or another customer's: the same answer). */
export async function findIncident(db: IndexDb, scope: string | null, id: string, now: number): Promise<IncidentRow | null> {
  const rows = await incidentRows(db, scoped(scope, 'i').add('i.id = $id', { id }), '', now);
  return rows[0] ?? null;
}

export interface CameraRow {
  user: string;
  device: string;
  lastMs: number;
  /** Median interval between frames over the day before the last frame; null with fewer than two frames. */
  medianIntervalMs: number | null;
  silentAfterMs: number;
  framesToday: number;
  rejectedToday: number;
}

/** Whether the camera went silent at `now`. */
export function cameraSilent(camera: CameraRow, now: number): boolean {
  return isSilent(camera.lastMs, camera.medianIntervalMs, now);
}

/** A camera's frames (analysed or refused), one row per frame. */
const CAMERA_FRAMES = `(SELECT user, device, captured_at FROM frames WHERE user IS NOT NULL
   UNION SELECT user, device, captured_at FROM rejections WHERE user IS NOT NULL AND captured_at IS NOT NULL)`;

/** Every camera with a frame in the warehouse, in the viewer's scope: its last frame, its rhythm, and its frames `today`. */
export async function listCameras(db: IndexDb, scope: string | null, today: string): Promise<CameraRow[]> {
  const where = scoped(scope, 'c');
  const rows = await db.query(
    `WITH c AS (SELECT * FROM ${CAMERA_FRAMES} c ${where}),
     last AS (SELECT user, device, max(captured_at) AS last_at FROM c GROUP BY ALL),
     gaps AS (
       SELECT c.user, c.device,
              epoch_ms(c.captured_at) - epoch_ms(lag(c.captured_at) OVER (PARTITION BY c.user, c.device ORDER BY c.captured_at)) AS gap
       FROM c JOIN last USING (user, device) WHERE c.captured_at >= last.last_at - INTERVAL 1 DAY
     ),
     rhythm AS (SELECT user, device, median(gap)::DOUBLE AS median_gap FROM gaps GROUP BY ALL),
     today AS (
       SELECT user, device, count(*)::INTEGER AS n FROM frames
       WHERE captured_at >= $today::TIMESTAMP AND captured_at < $today::TIMESTAMP + INTERVAL 1 DAY GROUP BY ALL
     ),
     refused AS (
       SELECT user, device, count(DISTINCT path)::INTEGER AS n FROM rejections
       WHERE captured_at >= $today::TIMESTAMP AND captured_at < $today::TIMESTAMP + INTERVAL 1 DAY GROUP BY ALL
     )
     SELECT last.user, last.device, epoch_ms(last.last_at)::DOUBLE AS last_ms, rhythm.median_gap,
            coalesce(today.n, 0) AS frames_today, coalesce(refused.n, 0) AS rejected_today
     FROM last LEFT JOIN rhythm USING (user, device) LEFT JOIN today USING (user, device) LEFT JOIN refused USING (user, device)
     ORDER BY last.user, last.device`,
    { ...where.params, today },
  );
  return rows.map((r) => {
    const median = r.median_gap === null ? null : num(r.median_gap);
    return {
      user: text(r.user),
      device: text(r.device),
      lastMs: num(r.last_ms),
      medianIntervalMs: median,
      silentAfterMs: silentAfterMs(median),
      framesToday: num(r.frames_today),
      rejectedToday: num(r.rejected_today),
    };
  });
}

export interface CameraDay {
  day: string;
  frames: number;
  objects: number;
  threats: number;
  rejected: number;
  /** Frames refused per reason (a frame refused for two reasons counts under both). */
  reasons: Record<string, number>;
}

/** One camera's last `days` UTC days that have frames: frames analysed, threats, frames refused and why. */
export async function cameraDays(db: IndexDb, user: string, device: string, days: number): Promise<CameraDay[]> {
  const params = { user, device };
  const [frames, threats, reasons, rejected] = await Promise.all([
    db.query(
      `SELECT strftime(captured_at, '%Y-%m-%d') AS day, count(*)::INTEGER AS n, sum(objects)::INTEGER AS objects
       FROM frames WHERE user = $user AND device = $device GROUP BY ALL`,
      params,
    ),
    db.query(
      `SELECT strftime(captured_at, '%Y-%m-%d') AS day, count(*)::INTEGER AS n FROM threats WHERE user = $user AND device = $device GROUP BY ALL`,
      params,
    ),
    db.query(
      `SELECT strftime(captured_at, '%Y-%m-%d') AS day, code, count(DISTINCT path)::INTEGER AS n
       FROM rejections WHERE user = $user AND device = $device GROUP BY ALL`,
      params,
    ),
    db.query(
      `SELECT strftime(captured_at, '%Y-%m-%d') AS day, count(DISTINCT path)::INTEGER AS n
       FROM rejections WHERE user = $user AND device = $device GROUP BY ALL`,
      params,
    ),
  ]);
  const byDay = new Map<string, CameraDay>();
  const at = (day: string) => {
    const d = byDay.get(day) ?? { day, frames: 0, objects: 0, threats: 0, rejected: 0, reasons: {} };
    byDay.set(day, d);
    return d;
  };
  for (const r of frames) Object.assign(at(text(r.day)), { frames: num(r.n), objects: num(r.objects) });
  for (const r of threats) at(text(r.day)).threats = num(r.n);
  for (const r of reasons) at(text(r.day)).reasons[text(r.code)] = num(r.n);
  for (const r of rejected) at(text(r.day)).rejected = num(r.n);
  return [...byDay.values()].sort((a, b) => b.day.localeCompare(a.day)).slice(0, days);
}
