/**
 * The threat detector's pure core: a compiled policy and a detection in, the rules that fired
 * out. No I/O; everything costly (parsing, schedules, polygons, the device index) is done once
 * per rules version by rules.ts, so a frame costs one Map lookup and a pass over its objects.
 */
import type {
  AlertTargets,
  CameraName,
  DetectedObject,
  Detection,
  FileRef,
  FiredRule,
  Match,
  MatchedObject,
  RulesVersion,
} from '../../specs/index.js';
import { governingEntry } from '../../src/contract/policy-files.js';
import type { ZoneClock } from '../../src/contract/zone-clock.js';
import { scheduleContains, type Schedule } from './schedule.js';
import { anchorPoint, zoneContains, type Zone } from './zones.js';

export type Severity = FiredRule['severity'];

/** A rule of rules.yaml with its defaults applied and its schedule compiled. */
export interface CompiledRule {
  id: number;
  name: string;
  classes: ReadonlySet<string>;
  minScore: number;
  minArea: number;
  maxArea: number;
  /** Zone names as rules.yaml gives them; each device resolves them to its own polygons. */
  zones: readonly string[];
  excludeZones: readonly string[];
  minCount: number;
  /** null: always active. */
  schedule: Schedule | null;
  severity: Severity;
  cooldownSeconds: number;
}

/** A rule as one device uses it: its zone names resolved to that device's polygons. */
export interface DeviceRule {
  rule: CompiledRule;
  zones: readonly Zone[];
  excludeZones: readonly Zone[];
}

/** One device entry of subscriptions.yaml, ready to match. */
export interface DevicePolicy {
  user: string;
  /** The device id, or "*" for the user's devices without an entry of their own. */
  device: string;
  /** The wall clock of the device's time zone. */
  clock: ZoneClock;
  rules: readonly DeviceRule[];
  targets: AlertTargets;
  /** The entry's `name` and `site`: what alerts call the camera. */
  camera: CameraName;
  /** Whether a rule has a schedule, so matching needs the frame's local time. */
  scheduled: boolean;
}

export interface Policy {
  /** Device entries by user, then by device id ("*" for the user's other devices). */
  users: ReadonlyMap<string, ReadonlyMap<string, DevicePolicy>>;
  ruleCount: number;
  deviceCount: number;
}

/** The subscription that governs a device: its own entry, else its user's "*" entry. */
export function findDevice(policy: Policy, user: string, device: string): DevicePolicy | undefined {
  return governingEntry(policy.users.get(user), device);
}

/** What matching made of one frame. */
export type FrameOutcome =
  | { kind: 'unsubscribed' }
  | { kind: 'quiet' }
  | { kind: 'fired'; device: DevicePolicy; fired: [FiredRule, ...FiredRule[]]; localTime: string };

/** The objects of a frame that satisfy a rule's per-object conditions, with the zone each is in. */
function qualifyingObjects({ rule, zones, excludeZones }: DeviceRule, objects: readonly DetectedObject[]): MatchedObject[] {
  const found: MatchedObject[] = [];
  for (const { label, score, box } of objects) {
    if (score < rule.minScore || !rule.classes.has(label)) continue;
    const area = box.w * box.h;
    if (area < rule.minArea || area > rule.maxArea) continue;
    if (zones.length === 0 && excludeZones.length === 0) {
      found.push({ label, score, box });
      continue;
    }
    const { x, y } = anchorPoint(box);
    if (excludeZones.some((z) => zoneContains(z, x, y))) continue;
    if (zones.length === 0) {
      found.push({ label, score, box });
      continue;
    }
    const zone = zones.find((z) => zoneContains(z, x, y));
    if (zone) found.push({ label, score, box, zone: zone.name });
  }
  return found;
}

/** Every rule of `device` that fires on these objects at this instant, in subscription order. */
export function fireRules(device: DevicePolicy, capturedAt: Date, objects: readonly DetectedObject[]): FiredRule[] {
  const minuteOfWeek = device.scheduled ? device.clock.local(capturedAt).minuteOfWeek : 0;
  const fired: FiredRule[] = [];
  for (const deviceRule of device.rules) {
    const { rule } = deviceRule;
    if (rule.schedule && !scheduleContains(rule.schedule, minuteOfWeek)) continue;
    const matched = qualifyingObjects(deviceRule, objects);
    if (matched.length === 0 || matched.length < rule.minCount) continue;
    fired.push({
      ruleId: rule.id,
      name: rule.name,
      severity: rule.severity,
      cooldownSeconds: rule.cooldownSeconds,
      objects: matched as FiredRule['objects'],
      targets: device.targets,
    });
  }
  return fired;
}

/** Matches one detection record against the policy. */
export function matchFrame(policy: Policy, detection: Pick<Detection, 'user' | 'device' | 'capturedAt' | 'objects'>): FrameOutcome {
  const device = findDevice(policy, detection.user, detection.device);
  if (!device) return { kind: 'unsubscribed' };
  const capturedAt = new Date(detection.capturedAt);
  const fired = fireRules(device, capturedAt, detection.objects);
  if (fired.length === 0) return { kind: 'quiet' };
  return { kind: 'fired', device, fired: fired as [FiredRule, ...FiredRule[]], localTime: device.clock.local(capturedAt).iso };
}

/** The match record of a frame on which rules fired: enough on its own for the alert stage. */
export function matchRecord(
  detection: Detection,
  outcome: Extract<FrameOutcome, { kind: 'fired' }>,
  lineage: { detection: FileRef; rules: RulesVersion },
): Match {
  return {
    user: detection.user,
    device: detection.device,
    capturedAt: detection.capturedAt,
    localTime: outcome.localTime,
    timezone: outcome.device.clock.timeZone,
    ...(outcome.device.camera.name || outcome.device.camera.site ? { camera: outcome.device.camera } : {}),
    frame: detection.frame,
    detection: lineage.detection,
    model: detection.model,
    rules: lineage.rules,
    fired: outcome.fired,
  };
}
