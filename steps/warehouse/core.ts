import type {
  Alert,
  AlertTargets,
  Delivery,
  Detection,
  FileRef,
  IncidentDeliveries,
  Match,
  Rejection,
  SchemaTypes,
} from '../../specs/index.js';
import { describeErrors, validatorFor } from '../../specs/index.js';
import { REPOS } from '../../src/contract/repos.js';
import { sha256 } from '../../src/pfs/files.js';
import {
  NULL_PARTITION,
  isNullPartition,
  partitionFolder,
  recordPartition,
  samePartition,
  utcDay,
  type Partition,
} from '../../src/contract/warehouse-partitions.js';

/**
 * The warehouse's rows from the pipeline's records. Each input of the `warehouse` union fills
 * one table of warehouse/tables.sql; the row types below have exactly that table's columns
 * (the Parquet writer checks it). A datum is one input's records of one camera and UTC day,
 * written as that table's partition (src/contract/warehouse-partitions.ts).
 */

/** A cell: a Date is a UTC TIMESTAMP, a string[] a VARCHAR[]. */
export type Cell = string | number | Date | string[] | null;
export type Row = Record<string, Cell>;

/** The record file a row was read from: the lineage columns every table ends with. */
export type Lineage = { repo: string; path: string; sha256: string; commit: string | null };

/** The lineage columns of a record file. */
export function lineageColumns(ref: FileRef): Lineage {
  return { repo: ref.repo, path: ref.path, sha256: ref.sha256, commit: ref.commit ?? null };
}

export type DetectionRow = Lineage & {
  user: string;
  device: string;
  captured_at: Date;
  object_index: number | null;
  label: string | null;
  class_id: number | null;
  score: number | null;
  box_x: number | null;
  box_y: number | null;
  box_w: number | null;
  box_h: number | null;
  frame_width: number;
  frame_height: number;
  inference_ms: number;
  error: string | null;
  model_name: string;
  model_commit: string;
  model_weights_sha256: string;
  model_backend: string;
  frame_repo: string;
  frame_path: string;
  frame_sha256: string;
};

export type MatchRow = Lineage & {
  user: string;
  device: string;
  captured_at: Date;
  local_time: string;
  timezone: string;
  rule_id: number;
  rule_name: string;
  severity: string;
  cooldown_seconds: number;
  objects: number;
  labels: string[];
  zones: string[];
  max_score: number;
  channels: string[];
  frame_repo: string;
  frame_path: string;
  frame_sha256: string;
  detection_path: string;
  detection_sha256: string;
  model_name: string;
  model_weights_sha256: string;
  rules_commit: string;
  rules_sha256: string;
  subscriptions_sha256: string;
};

export type RejectionRow = Lineage & {
  user: string | null;
  device: string | null;
  captured_at: Date | null;
  reason_index: number;
  code: string;
  message: string;
  measured: string | null;
  limit_value: string | null;
  input_repo: string;
  input_path: string;
  input_sha256: string;
  input_size: number | null;
  config_version: string;
};

/** The columns that name an incident, in the alerts and deliveries tables alike. */
type IncidentColumns = {
  incident_id: string;
  user: string;
  device: string;
  timezone: string;
  rule_id: number;
  rule_name: string;
  severity: string;
  first_captured_at: Date;
  first_frame_path: string;
  first_frame_sha256: string;
  first_match_path: string;
};

export type AlertRow = Lineage &
  IncidentColumns &
  DeliveryColumns & {
    last_captured_at: Date;
    frame_count: number;
    delivered_as: string | null;
  };

/** The columns a delivery outcome fills in the alerts and deliveries tables. */
type DeliveryColumns = {
  channel: string | null;
  target: string | null;
  recipient: string | null;
  status: string | null;
  attempts: number | null;
  response_status: number | null;
  response_body: string | null;
  response_message_id: string | null;
  error: string | null;
  first_attempt_at: Date | null;
  last_attempt_at: Date | null;
};

export type DeliveryRow = Lineage &
  IncidentColumns &
  DeliveryColumns & {
    state: string;
    withdrawn_at: Date | null;
    withdrawn_reason: string | null;
    kind: string | null;
    digest: string | null;
    model_commit: string;
    rules_commit: string;
  };

export type LoadErrorRow = Lineage & { table_name: string; reason: string };

/**
 * The inputs of the `warehouse` union, each with the table it fills, its records' schema and
 * the column whose UTC day is the row's partition day (with user and device, its camera).
 */
export const INPUTS = {
  [REPOS.detections]: { table: 'detections', schema: 'detection', time: 'captured_at' },
  [REPOS.matches]: { table: 'matches', schema: 'match', time: 'captured_at' },
  [REPOS.alerts]: { table: 'alerts', schema: 'alert', time: 'first_captured_at' },
  [REPOS.deliveries]: { table: 'deliveries', schema: 'deliveries', time: 'first_captured_at' },
  [REPOS.validated]: { table: 'frames_rejected', schema: 'rejection', time: 'captured_at' },
} as const;
export type InputName = keyof typeof INPUTS;
export type TableName = (typeof INPUTS)[InputName]['table'];

/**
 * Which union branch a datum belongs to: in a union datum only that branch's input variable is
 * set (Pachyderm's rule), e.g. `matches=/pfs/matches/u1-cam1`.
 */
export function unionBranch(env: Record<string, string | undefined>): InputName {
  const present = (Object.keys(INPUTS) as InputName[]).filter((name) => env[name]);
  if (present.length !== 1) {
    throw new Error(
      `warehouse: a datum names exactly one of ${Object.keys(INPUTS).join(', ')}; this one names ${present.join(', ') || 'none'}`,
    );
  }
  return present[0];
}

const date = (iso: string): Date => new Date(iso);
const sortedUnique = (values: Array<string | undefined>): string[] =>
  [...new Set(values.filter((v): v is string => v !== undefined))].sort();

export function detectionRows(d: Detection, src: Lineage): DetectionRow[] {
  const common = {
    user: d.user,
    device: d.device,
    captured_at: date(d.capturedAt),
    frame_width: d.frameSize.width,
    frame_height: d.frameSize.height,
    inference_ms: d.inferenceMs,
    error: d.error ?? null,
    model_name: d.model.name,
    model_commit: d.model.commit,
    model_weights_sha256: d.model.weightsSha256,
    model_backend: d.model.backend,
    frame_repo: d.frame.repo,
    frame_path: d.frame.path,
    frame_sha256: d.frame.sha256,
    ...src,
  };
  const noObject = { object_index: null, label: null, class_id: null, score: null, box_x: null, box_y: null, box_w: null, box_h: null };
  if (d.objects.length === 0) return [{ ...common, ...noObject }];
  return d.objects.map((o, i) => ({
    ...common,
    object_index: i,
    label: o.label,
    class_id: o.classId,
    score: o.score,
    box_x: o.box.x,
    box_y: o.box.y,
    box_w: o.box.w,
    box_h: o.box.h,
  }));
}

export function matchRows(m: Match, src: Lineage): MatchRow[] {
  return m.fired.map((rule) => ({
    user: m.user,
    device: m.device,
    captured_at: date(m.capturedAt),
    local_time: m.localTime,
    timezone: m.timezone,
    rule_id: rule.ruleId,
    rule_name: rule.name,
    severity: rule.severity,
    cooldown_seconds: rule.cooldownSeconds,
    objects: rule.objects.length,
    labels: sortedUnique(rule.objects.map((o) => o.label)),
    zones: sortedUnique(rule.objects.map((o) => o.zone)),
    max_score: Math.max(...rule.objects.map((o) => o.score)),
    channels: targetChannels(rule.targets),
    frame_repo: m.frame.repo,
    frame_path: m.frame.path,
    frame_sha256: m.frame.sha256,
    detection_path: m.detection.path,
    detection_sha256: m.detection.sha256,
    model_name: m.model.name,
    model_weights_sha256: m.model.weightsSha256,
    rules_commit: m.rules.commit,
    rules_sha256: m.rules.rulesSha256,
    subscriptions_sha256: m.rules.subscriptionsSha256,
    ...src,
  }));
}

/** The channels a user's alert targets name (in a fixed order). */
function targetChannels(t: AlertTargets): string[] {
  return [
    (t.email?.length ?? 0) > 0 ? 'email' : undefined,
    t.pagerduty ? 'pagerduty' : undefined,
    (t.webhook?.length ?? 0) > 0 ? 'webhook' : undefined,
  ].filter((c): c is string => c !== undefined);
}

export function rejectionRows(r: Rejection, src: Lineage): RejectionRow[] {
  return r.reasons.map((reason, i) => ({
    user: r.user ?? null,
    device: r.device ?? null,
    captured_at: r.capturedAt ? date(r.capturedAt) : null,
    reason_index: i,
    code: reason.code,
    message: reason.message,
    measured: reason.measured === undefined ? null : String(reason.measured),
    limit_value: reason.limit === undefined ? null : String(reason.limit),
    input_repo: r.input.repo,
    input_path: r.input.path,
    input_sha256: r.input.sha256,
    input_size: r.input.size ?? null,
    config_version: r.configVersion,
    ...src,
  }));
}

export function alertRows(a: Alert, src: Lineage): AlertRow[] {
  const incident = {
    incident_id: a.id,
    user: a.user,
    device: a.device,
    timezone: a.timezone,
    rule_id: a.rule.id,
    rule_name: a.rule.name,
    severity: a.rule.severity,
    first_captured_at: date(a.first.capturedAt),
    last_captured_at: date(a.last.capturedAt),
    frame_count: a.frameCount,
    first_frame_path: a.first.frame.path,
    first_frame_sha256: a.first.frame.sha256,
    first_match_path: a.first.match.path,
    ...src,
  };
  if (a.deliveries.length === 0) return [{ ...incident, ...NO_DELIVERY, delivered_as: null }];
  return a.deliveries.map((d) => ({ ...incident, ...deliveryColumns(d), delivered_as: d.deliveredAs ?? null }));
}

const NO_DELIVERY: DeliveryColumns = {
  channel: null,
  target: null,
  recipient: null,
  status: null,
  attempts: null,
  response_status: null,
  response_body: null,
  response_message_id: null,
  error: null,
  first_attempt_at: null,
  last_attempt_at: null,
};

function deliveryColumns(d: Delivery): DeliveryColumns {
  return {
    channel: d.channel,
    target: d.target,
    recipient: d.recipient,
    status: d.status,
    attempts: d.attempts,
    response_status: d.response?.status ?? null,
    response_body: d.response?.body ?? null,
    response_message_id: d.response?.messageId ?? null,
    error: d.error ?? null,
    first_attempt_at: d.firstAttemptAt ? date(d.firstAttemptAt) : null,
    last_attempt_at: d.lastAttemptAt ? date(d.lastAttemptAt) : null,
  };
}

/** A deliveries record: one row per notification, resolve and sent digest; one with NULL kind when it has none. */
export function deliveryRows(r: IncidentDeliveries, src: Lineage): DeliveryRow[] {
  const { incident: i } = r;
  const incident = {
    incident_id: i.id,
    user: i.user,
    device: i.device,
    timezone: i.timezone,
    rule_id: i.rule.id,
    rule_name: i.rule.name,
    severity: i.rule.severity,
    first_captured_at: date(i.firstCapturedAt),
    state: r.state,
    withdrawn_at: r.withdrawn ? date(r.withdrawn.at) : null,
    withdrawn_reason: r.withdrawn?.reason ?? null,
    first_frame_path: i.frame.path,
    first_frame_sha256: i.frame.sha256,
    first_match_path: i.match.path,
    model_commit: i.model.commit,
    rules_commit: i.rules.commit,
    ...src,
  };
  const rows: DeliveryRow[] = [
    ...r.deliveries.map((d) => ({ ...incident, kind: 'notification', digest: null, ...deliveryColumns(d) })),
    ...r.resolves.map((d) => ({ ...incident, kind: 'resolve', digest: null, ...deliveryColumns(d) })),
    ...(r.digests ?? []).flatMap((g) =>
      g.delivery ? [{ ...incident, kind: 'digest', digest: g.digest, ...deliveryColumns(g.delivery) }] : [],
    ),
  ];
  return rows.length > 0 ? rows : [{ ...incident, kind: null, digest: null, ...NO_DELIVERY }];
}

type SchemaOf<I extends InputName> = (typeof INPUTS)[I]['schema'];
type RecordOf<I extends InputName> = SchemaTypes[SchemaOf<I>];

/** Each input's rows, from a record its schema accepted. */
const ROWS_OF: { [I in InputName]: (record: RecordOf<I>, src: Lineage) => Row[] } = {
  detections: detectionRows,
  matches: matchRows,
  alerts: alertRows,
  deliveries: deliveryRows,
  validated: rejectionRows,
};

/** The rows of one record file of `input`, or why it cannot be loaded (not JSON, or not its repo's schema). */
export function recordRows<I extends InputName>(input: I, text: string, src: Lineage): { rows: Row[] } | { error: string } {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  // Typed per input, so that the validator narrows the record to the type ROWS_OF[input] takes.
  const schema: SchemaOf<I> = INPUTS[input].schema;
  const validate = validatorFor(schema);
  if (!validate(record)) return { error: describeErrors(src.path, validate.errors).join('; ') };
  return { rows: ROWS_OF[input](record, src) };
}

/** The partition a row of `input` belongs to, by its own columns: the UTC day of its time, and its camera. */
export function rowPartition(input: InputName, row: Row): Partition {
  const time = row[INPUTS[input].time];
  const { user, device } = row;
  return {
    day: time instanceof Date ? utcDay(time) : null,
    camera: typeof user === 'string' && typeof device === 'string' ? `${user}-${device}` : null,
  };
}

const describePartition = (p: Partition): string => (isNullPartition(p) ? 'no camera and no day' : `camera ${p.camera}, day ${p.day}`);

/**
 * The partition of a datum, from its files' repo paths: the one camera and day they name, or
 * the NULL partition when none names one (rejections under /rejected/_unparsed/). Files that
 * name two partitions mean the pipeline's grouping does not match the layout: an Error.
 */
export function datumPartition(input: InputName, paths: string[]): Partition {
  let found: Partition | null = null;
  for (const path of paths) {
    const p = recordPartition(input, path);
    if (!p || (found && samePartition(found, p))) continue;
    if (found) {
      throw new Error(
        `warehouse: one datum of ${input} holds files of two partitions (${describePartition(found)}; ${describePartition(p)}): its input must group files by camera and UTC day`,
      );
    }
    found = p;
  }
  return found ?? NULL_PARTITION;
}

/**
 * The rows of one record file of a datum whose partition is `partition`, or why it cannot be
 * loaded: not JSON, not its repo's schema, not a .json file, or rows of another camera or day
 * than its path names (which would put them in the wrong partition).
 */
export function fileRows(input: InputName, partition: Partition, src: Lineage, text: string): { rows: Row[] } | { error: string } {
  if (!src.path.endsWith('.json')) return { error: 'not a .json record file' };
  const result = recordRows(input, text, src);
  if ('error' in result) return result;
  const stray = result.rows.map((row) => rowPartition(input, row)).find((p) => !samePartition(p, partition));
  if (stray) return { error: `the record is of ${describePartition(stray)} but its path names ${describePartition(partition)}` };
  return result;
}

/** A load_errors row for a record file of `input`. */
export function loadError(input: InputName, src: Lineage, reason: string): LoadErrorRow {
  return { table_name: INPUTS[input].table, reason, ...src };
}

/**
 * Where a datum's rows and load errors go. A partition named by a camera and day holds one file
 * per table (`part.parquet`, and `<table>.parquet` under load_errors); the NULL partition is
 * shared by many datums, so there each datum's files carry an id of its own, from the path of
 * its first file (which no other datum holds).
 */
export function outputPaths(input: InputName, partition: Partition, firstPath: string): { rows: string; loadErrors: string } {
  const table = INPUTS[input].table;
  const suffix = isNullPartition(partition) ? `-${sha256(firstPath).slice(0, 16)}` : '';
  return {
    rows: `${partitionFolder(table, partition)}/part${suffix}.parquet`,
    loadErrors: `${partitionFolder('load_errors', partition)}/${table}${suffix}.parquet`,
  };
}
