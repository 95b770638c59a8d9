/**
 * What a candidate model would change for customers: the threats (rules fired on frames) of the
 * live matches against those of the shadow matches, frame by frame. Pure: match records in,
 * changes per rule and customer out.
 */
import type { FiredRule, Match } from '../../specs/index.js';

/** One frame of the shadow window: what fired on it now and with the candidate (null: nothing). */
export interface FrameThreats {
  /** `/<user>-<device>/<ts>.json`, the frame's record path in detections and matches. */
  path: string;
  current: Match | null;
  candidate: Match | null;
}

/** A frame where a rule's verdict changes, and the objects that made it fire. */
export interface ThreatExample {
  path: string;
  /** `cat 0.85, dog 0.52`: the objects that satisfied the rule. */
  objects: string;
}

/** The changes of one rule for one customer (user). */
export interface ThreatChange {
  ruleId: number;
  rule: string;
  user: string;
  gained: ThreatExample[];
  lost: ThreatExample[];
}

export interface ThreatDiff {
  frames: number;
  /** Rules fired on the frames, now and with the candidate. */
  currentThreats: number;
  candidateThreats: number;
  changes: ThreatChange[];
}

const fired = (m: Match | null): Map<number, FiredRule> => new Map((m?.fired ?? []).map((f) => [f.ruleId, f]));
const describe = (f: FiredRule): string => f.objects.map((o) => `${o.label} ${o.score.toFixed(2)}`).join(', ');

export function diffThreats(frames: readonly FrameThreats[]): ThreatDiff {
  const changes = new Map<string, ThreatChange>();
  const changeOf = (f: FiredRule, user: string): ThreatChange => {
    const key = `${f.ruleId}\n${user}`;
    let change = changes.get(key);
    if (!change) {
      change = { ruleId: f.ruleId, rule: f.name, user, gained: [], lost: [] };
      changes.set(key, change);
    }
    return change;
  };
  let currentThreats = 0;
  let candidateThreats = 0;
  for (const frame of [...frames].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const now = fired(frame.current);
    const then = fired(frame.candidate);
    currentThreats += now.size;
    candidateThreats += then.size;
    const user = (frame.current ?? frame.candidate)?.user ?? '';
    for (const [id, f] of then) if (!now.has(id)) changeOf(f, user).gained.push({ path: frame.path, objects: describe(f) });
    for (const [id, f] of now) if (!then.has(id)) changeOf(f, user).lost.push({ path: frame.path, objects: describe(f) });
  }
  return {
    frames: frames.length,
    currentThreats,
    candidateThreats,
    changes: [...changes.values()].sort((a, b) => a.ruleId - b.ruleId || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0)),
  };
}
