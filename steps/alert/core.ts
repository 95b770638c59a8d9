/**
 * Incident grouping, pure: the matches of one rule on one device form one incident while each
 * is less than the rule's cooldown after the previous one. No I/O; main.ts feeds it one datum
 * (one device, one UTC day) of match records.
 */
import type { AlertTargets, CameraName, FileRef, IncidentFrame, IncidentRule, Match, MatchedObject } from '../../specs/index.js';
import { incidentId } from '../../src/contract/incident-id.js';

/** A match record with the lineage of the file it was read from. */
export interface MatchInput {
  match: Match;
  ref: FileRef;
}

/** An incident before any notification: everything the Alert record holds except `deliveries`. */
export interface Incident {
  id: string;
  user: string;
  device: string;
  timezone: string;
  /** The camera's name and site from subscriptions.yaml (the first match's). */
  camera: CameraName;
  rule: IncidentRule;
  /** The first match's targets: a notification goes out once, to whoever was subscribed then. */
  targets: AlertTargets;
  first: IncidentFrame;
  last: IncidentFrame;
  frameCount: number;
  objects: MatchedObject[];
  matches: FileRef[];
  /** The first match record itself, the body of a webhook notification. */
  firstMatch: Match;
}

function frameOf(input: MatchInput): IncidentFrame {
  const { match, ref } = input;
  return { capturedAt: match.capturedAt, localTime: match.localTime, frame: match.frame, match: ref };
}

/**
 * Groups matches into incidents, whatever order they arrive in: sorted by capture time (then
 * path, so equal times stay deterministic), a match joins the open incident of its rule on its
 * device when it is less than that rule's cooldown after the incident's latest match. Incidents
 * come out ordered by first frame, then rule id.
 */
export function groupIncidents(inputs: MatchInput[]): Incident[] {
  const ordered = [...inputs].sort(
    (a, b) => Date.parse(a.match.capturedAt) - Date.parse(b.match.capturedAt) || a.ref.path.localeCompare(b.ref.path),
  );
  const open = new Map<string, { incident: Incident; lastAt: number }>();
  const incidents: Incident[] = [];
  for (const input of ordered) {
    const { match } = input;
    const at = Date.parse(match.capturedAt);
    for (const fired of match.fired) {
      const key = `${match.user}-${match.device}-${fired.ruleId}`;
      const current = open.get(key);
      if (current && at - current.lastAt < fired.cooldownSeconds * 1000) {
        current.incident.last = frameOf(input);
        current.incident.frameCount += 1;
        current.incident.matches.push(input.ref);
        current.lastAt = at;
        continue;
      }
      const incident: Incident = {
        id: incidentId(match.user, match.device, fired.ruleId, new Date(at)),
        user: match.user,
        device: match.device,
        timezone: match.timezone,
        camera: match.camera ?? {},
        rule: { id: fired.ruleId, name: fired.name, severity: fired.severity, cooldownSeconds: fired.cooldownSeconds },
        targets: fired.targets,
        first: frameOf(input),
        last: frameOf(input),
        frameCount: 1,
        objects: fired.objects,
        matches: [input.ref],
        firstMatch: match,
      };
      open.set(key, { incident, lastAt: at });
      incidents.push(incident);
    }
  }
  return incidents.sort((a, b) => Date.parse(a.first.capturedAt) - Date.parse(b.first.capturedAt) || a.rule.id - b.rule.id);
}
