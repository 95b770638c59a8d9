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
  WHEN i.open_until < $now THEN 'ended'
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
  ${STATE} AS state, f.marked_by, epoch_ms(f.marked_at)::DOUBLE AS marked_ms, i.commit, i.path, i.sha256, i.snapshot, i.sent, i.failed`;

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

/** The incidents of one query (`tail`: its ORDER BY and LIMIT). */
async function incidentRows(db: IndexDb, where: Where, tail: string, now: number): Promise<IncidentRow[]> {
  const rows = await db.query(`SELECT ${INCIDENT_COLUMNS} FROM incidents i LEFT JOIN feedback f ON f.incident_id = i.id ${where} ${tail}`, {
    ...where.params,
    now,
  });
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
  const days = scoped(scope, 'x').add('x.day = $day::DATE', { day });
  const incidents = scoped(scope, 'x').add('x.first_at >= $day::TIMESTAMP AND x.first_at < $day::TIMESTAMP + INTERVAL 1 DAY', { day });
  const group = scope === null ? 'x.user' : `x.user || '-' || x.device`;
  // One statement, one row per number: (what, group, severity, n).
  const rows = await db.query(
    `SELECT 'severity' AS what, ${group} AS grp, x.severity, sum(x.threats)::INTEGER AS n FROM threat_days x ${days} GROUP BY ALL
     UNION ALL SELECT 'hour', x.hour::VARCHAR, NULL, sum(x.threats)::INTEGER FROM threat_hours x ${days} GROUP BY ALL
     UNION ALL SELECT 'analysed', NULL, NULL, sum(x.frames)::INTEGER FROM frame_days x ${days}
     UNION ALL SELECT 'rejected', NULL, NULL, sum(x.frames)::INTEGER FROM rejection_days x ${days} AND x.code IS NULL
     UNION ALL SELECT 'incidents', NULL, NULL, count(*)::INTEGER FROM incidents x ${incidents}
     UNION ALL SELECT 'sent', NULL, NULL, sum(x.sent)::INTEGER FROM incidents x ${incidents}
     UNION ALL SELECT 'failed', NULL, NULL, sum(x.failed)::INTEGER FROM incidents x ${incidents}`,
    { ...days.params, ...incidents.params },
  );
  const count = (what: string) => num(rows.find((r) => r.what === what)?.n);
  const severities = rows.filter((r) => r.what === 'severity');
  const hours = rows.filter((r) => r.what === 'hour').map((r) => ({ h: r.grp, n: r.n }));
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
  const open = scoped(scope, 'i').add('i.open_until >= $now').add(`coalesce(f.state, 'open') IN ('open', 'acknowledged')`);
  return {
    day,
    threats: byHour.reduce((s, n) => s + n, 0),
    byGroup,
    byHour,
    framesAnalysed: count('analysed'),
    framesRejected: count('rejected'),
    incidents: count('incidents'),
    openIncidents: await incidentRows(db, open, 'ORDER BY i.first_at DESC LIMIT 50', now),
    alertsSent: count('sent'),
    alertsFailed: count('failed'),
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

/** A camera's rhythm: its last frame, and the median interval between its frames over the day before that. */
export interface CameraRhythm {
  user: string;
  device: string;
  lastMs: number;
  /** Null with fewer than two frames in that day. */
  medianIntervalMs: number | null;
}

export interface CameraRow extends CameraRhythm {
  silentAfterMs: number;
  framesToday: number;
  rejectedToday: number;
}

/** Whether the camera went silent at `now`. */
export function cameraSilent(camera: CameraRhythm, now: number): boolean {
  return isSilent(camera.lastMs, camera.medianIntervalMs, now);
}

/**
 * Every camera with a frame (analysed or refused) in the warehouse, and its rhythm: one pass
 * over every frame, so the index runs it when the warehouse moves, not for each page.
 */
export async function cameraRhythms(db: IndexDb): Promise<CameraRhythm[]> {
  const rows = await db.query(
    `WITH c AS (SELECT user, device, captured_at FROM frames WHERE user IS NOT NULL
                UNION SELECT user, device, captured_at FROM rejections WHERE user IS NOT NULL AND captured_at IS NOT NULL),
     last AS (SELECT user, device, max(captured_at) AS last_at FROM c GROUP BY ALL),
     gaps AS (
       SELECT c.user, c.device,
              epoch_ms(c.captured_at) - epoch_ms(lag(c.captured_at) OVER (PARTITION BY c.user, c.device ORDER BY c.captured_at)) AS gap
       FROM c JOIN last USING (user, device) WHERE c.captured_at >= last.last_at - INTERVAL 1 DAY
     )
     SELECT last.user, last.device, epoch_ms(last.last_at)::DOUBLE AS last_ms, median(gaps.gap)::DOUBLE AS median_gap
     FROM last LEFT JOIN gaps USING (user, device) GROUP BY ALL ORDER BY last.user, last.device`,
  );
  return rows.map((r) => ({
    user: text(r.user),
    device: text(r.device),
    lastMs: num(r.last_ms),
    medianIntervalMs: r.median_gap === null ? null : num(r.median_gap),
  }));
}

/** The cameras of `rhythms` in the viewer's scope, with their frames analysed and refused on `today`. */
export async function listCameras(db: IndexDb, rhythms: CameraRhythm[], scope: string | null, today: string): Promise<CameraRow[]> {
  const where = scoped(scope, 'x').add('x.day = $today::DATE', { today });
  const rows = await db.query(
    `SELECT 'frames' AS what, x.user, x.device, sum(x.frames)::INTEGER AS n FROM frame_days x ${where} GROUP BY ALL
     UNION ALL SELECT 'rejected', x.user, x.device, sum(x.frames)::INTEGER FROM rejection_days x ${where} AND x.code IS NULL GROUP BY ALL`,
    where.params,
  );
  const counts = new Map(rows.map((r) => [`${r.what} ${text(r.user)}-${text(r.device)}`, num(r.n)]));
  return rhythms
    .filter((r) => scope === null || r.user === scope)
    .map((r) => ({
      ...r,
      silentAfterMs: silentAfterMs(r.medianIntervalMs),
      framesToday: counts.get(`frames ${r.user}-${r.device}`) ?? 0,
      rejectedToday: counts.get(`rejected ${r.user}-${r.device}`) ?? 0,
    }));
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
  const rows = await db.query(
    `SELECT 'frames' AS what, strftime(day, '%Y-%m-%d') AS day, NULL AS code, sum(frames)::INTEGER AS n, sum(objects)::INTEGER AS objects
     FROM frame_days WHERE user = $user AND device = $device GROUP BY ALL
     UNION ALL SELECT 'threats', strftime(day, '%Y-%m-%d'), NULL, sum(threats)::INTEGER, NULL
     FROM threat_days WHERE user = $user AND device = $device GROUP BY ALL
     UNION ALL SELECT 'rejected', strftime(day, '%Y-%m-%d'), code, sum(frames)::INTEGER, NULL
     FROM rejection_days WHERE user = $user AND device = $device GROUP BY ALL`,
    { user, device },
  );
  const byDay = new Map<string, CameraDay>();
  const at = (day: string) => {
    const d = byDay.get(day) ?? { day, frames: 0, objects: 0, threats: 0, rejected: 0, reasons: {} };
    byDay.set(day, d);
    return d;
  };
  for (const r of rows) {
    const d = at(text(r.day));
    if (r.what === 'frames') Object.assign(d, { frames: num(r.n), objects: num(r.objects) });
    else if (r.what === 'threats') d.threats = num(r.n);
    else if (r.code === null) d.rejected = num(r.n);
    else d.reasons[text(r.code)] = num(r.n);
  }
  return [...byDay.values()].sort((a, b) => b.day.localeCompare(a.day)).slice(0, days);
}
