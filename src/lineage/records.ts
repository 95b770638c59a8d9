/**
 * The readers of the pipeline's JSON records: how a deliveries record, an alert, a match, a
 * detection and a rejection each name the files they were made from, and what of them a trace
 * shows in one line. A deliveries record outlives its alert record (a withdrawn incident's is
 * gone from alerts@master), so it names the incident's first match, at the commit that still holds it.
 */
import type { Match, SchemaName, SchemaTypes } from '../../specs/index.js';
import { describeErrors, validatorFor } from '../../specs/index.js';
import type { Hop } from './hop.js';
import type { StoreView } from './store-view.js';
import type { VersionChecks } from './versions.js';
import { expiredRecord, type Read, type Reader } from './walk.js';

/** A record kind: its schema (specs/<schema>.schema.json) and how a valid record reads. */
interface RecordKind<K extends SchemaName> {
  schema: K;
  read(record: SchemaTypes[K], hop: Hop, versions: VersionChecks): Read | Promise<Read>;
}

const formatScore = (n: number): string => n.toFixed(2);

const ALERT: RecordKind<'alert'> = {
  schema: 'alert',
  read(a, hop) {
    const frames = `${a.frameCount} frame${a.frameCount === 1 ? '' : 's'}`;
    hop.summary = `incident ${a.id}: rule ${a.rule.id} "${a.rule.name}" (${a.rule.severity}), ${frames} from ${a.first.capturedAt} to ${a.last.capturedAt}`;
    hop.deliveries = a.deliveries.map(({ channel, recipient, status, attempts }) => ({ channel, recipient, status, attempts }));
    return { sources: a.matches.map((ref) => ({ ref, kinds: ['match'] })) };
  },
};

const DELIVERIES: RecordKind<'deliveries'> = {
  schema: 'deliveries',
  read(d, hop) {
    const { incident } = d;
    const state = d.withdrawn ? `withdrawn ${d.withdrawn.at}: ${d.withdrawn.reason}` : 'active';
    hop.summary = `incident ${incident.id}: rule ${incident.rule.id} "${incident.rule.name}" (${incident.rule.severity}) from ${incident.firstCapturedAt}, ${state}`;
    hop.deliveries = d.deliveries.map(({ channel, recipient, status, attempts }) => ({ channel, recipient, status, attempts }));
    hop.resolves = d.resolves.map(({ channel, recipient, status, attempts }) => ({ channel, recipient, status, attempts }));
    return { sources: [{ ref: incident.match, kinds: ['match'] }] };
  },
};

const MATCH: RecordKind<'match'> = {
  schema: 'match',
  async read(m, hop, versions) {
    hop.summary = m.fired
      .map(
        (f) =>
          `rule ${f.ruleId} "${f.name}" (${f.severity}) fired on ${f.objects.map((o) => `${o.label} ${formatScore(o.score)}`).join(', ')}`,
      )
      .join('; ');
    hop.rules = m.rules;
    const problems = await versions.rulesProblems(m.rules);
    hop.problems.push(...problems);
    hop.versionVerified = problems.length === 0;
    return { sources: [{ ref: m.detection, kinds: ['detection'] }], checkSources: () => checkMatchAgainstDetection(hop, m) };
  },
};

const DETECTION: RecordKind<'detection'> = {
  schema: 'detection',
  async read(d, hop, versions) {
    hop.summary = d.error
      ? `the frame could not be read: ${d.error}`
      : d.objects.length === 0
        ? 'no objects found'
        : `found ${d.objects.map((o) => `${o.label} ${formatScore(o.score)}`).join(', ')}`;
    hop.model = d.model;
    const problems = await versions.modelProblems(d.model);
    hop.problems.push(...problems);
    hop.versionVerified = problems.length === 0;
    return { sources: [{ ref: d.frame, kinds: ['validated'] }] };
  },
};

const REJECTION: RecordKind<'rejection'> = {
  schema: 'rejection',
  read(r, hop) {
    hop.summary = `rejected: ${r.reasons.map((reason) => reason.message).join(' ')}`;
    return { sources: [{ ref: r.input, kinds: ['raw'] }] };
  },
};

/** A match copies its detection's frame and model: both must be the detection's own. */
function checkMatchAgainstDetection(hop: Hop, match: Match): void {
  const detectionHop = hop.next[0];
  if (!detectionHop?.model) return;
  const frame = detectionHop.next[0];
  if (frame && (frame.path !== match.frame.path || frame.sha256 !== match.frame.sha256)) {
    hop.problems.push(
      `names the frame ${match.frame.path} (${match.frame.sha256}), but its detection was made from ${frame.path} (${frame.sha256})`,
    );
  }
  const m = detectionHop.model;
  if (m.name !== match.model.name || m.commit !== match.model.commit || m.weightsSha256 !== match.model.weightsSha256) {
    hop.problems.push(`names the model ${match.model.name}@${match.model.commit}, but its detection was made by ${m.name}@${m.commit}`);
  }
}

/** Reads the stored record and checks it against its schema before `kind` reads it; a bad record is a problem of its hop. */
function recordReader<K extends SchemaName>(kind: RecordKind<K>, view: StoreView, versions: VersionChecks): Reader {
  return async ({ hop, entry }) => {
    if (hop.expired) return expiredRecord(hop);
    let record: unknown;
    try {
      record = JSON.parse((await view.readObject(entry.sha256, `${hop.repo}@${hop.commit}:${hop.path}`)).toString('utf8'));
    } catch (e) {
      hop.problems.push(`not a ${kind.schema} record: ${(e as Error).message}`);
      return { sources: [] };
    }
    const validate = validatorFor(kind.schema);
    if (!validate(record)) {
      hop.problems.push(`not a ${kind.schema} record: ${describeErrors(hop.path, validate.errors).join('; ')}`);
      return { sources: [] };
    }
    return kind.read(record, hop, versions);
  };
}

export function recordReaders(
  view: StoreView,
  versions: VersionChecks,
): Record<'deliveries' | 'alert' | 'match' | 'detection' | 'rejection', Reader> {
  return {
    deliveries: recordReader(DELIVERIES, view, versions),
    alert: recordReader(ALERT, view, versions),
    match: recordReader(MATCH, view, versions),
    detection: recordReader(DETECTION, view, versions),
    rejection: recordReader(REJECTION, view, versions),
  };
}
