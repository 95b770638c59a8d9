/** A hop of a trace in words, for people: what and where it is, then how it checked out. The CLI prints it; the portal shows it. */
import { REPOS } from '../contract/repos.js';
import { hopName, type Hop, type HopKind } from './hop.js';

export const HOP_LABEL: Record<HopKind, string> = {
  deliveries: 'deliveries of incident',
  alert: 'incident',
  snapshot: 'snapshot',
  match: 'match',
  detection: 'detection',
  validated: 'validated frame',
  rejection: 'rejection',
  raw: 'camera frame',
  warehouse: 'warehouse partition',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Whether the bytes the store holds hash to what the referring record says. */
export function hashChecks(hop: Hop): boolean {
  return hop.actualSha256 !== null && hop.actualSha256 === hop.sha256;
}

/** The hop's lines: its label and name, its sha256 and check, the job, model and rules, the summary, deliveries, and each problem (✗). */
export function hopLines(hop: Hop): string[] {
  const lines = [
    `${HOP_LABEL[hop.kind]} ${hopName(hop)}`,
    `sha256 ${hop.sha256 ?? '(unknown)'} ${hashChecks(hop) ? '✓ the stored bytes match' : hop.expired ? `— ${hop.expired}: the bytes are gone, the path and sha256 stay` : '✗'}`,
  ];
  if (hop.job) {
    const { datum } = hop.job;
    const made =
      datum?.state === 'SKIPPED' ? `, carried over by datum ${datum.id} (skipped: unchanged input)` : datum ? `, datum ${datum.id}` : '';
    lines.push(`job ${hop.job.id} of pipeline ${hop.job.pipeline}, spec version ${hop.job.pipelineVersion}${made}`);
  }
  const verified = hop.versionVerified ? ' ✓' : ' ✗';
  if (hop.model)
    lines.push(
      `model ${hop.model.name} at ${REPOS.models}@${hop.model.commit}, weights ${hop.model.weightsSha256}, ${hop.model.backend} backend${verified}`,
    );
  if (hop.rules) {
    lines.push(
      `rules ${hop.rules.repo}@${hop.rules.commit}: rules.yaml ${hop.rules.rulesSha256}, subscriptions.yaml ${hop.rules.subscriptionsSha256}${verified}`,
    );
  }
  if (hop.summary) lines.push(hop.summary);
  for (const d of hop.deliveries ?? []) lines.push(`${d.channel} to ${d.recipient}: ${d.status} (${plural(d.attempts, 'attempt')})`);
  for (const d of hop.resolves ?? []) lines.push(`${d.channel} resolve to ${d.recipient}: ${d.status} (${plural(d.attempts, 'attempt')})`);
  for (const problem of hop.problems) lines.push(`✗ ${problem}`);
  return lines;
}

/** The trace's last line: how many frames and files, and whether everything checked out. */
export function traceVerdict(trace: {
  direction: 'back' | 'forward';
  hops: number;
  frames: unknown[];
  problems: unknown[];
  expired?: number;
}): string {
  const files = plural(trace.hops, 'file');
  const what = trace.direction === 'back' ? `${plural(trace.frames.length, 'camera frame')}, ${files}` : files;
  const verdict =
    trace.problems.length === 0
      ? `every sha256 matches the stored bytes${expiredCount(trace) ? ` (but ${plural(expiredCount(trace), 'expired file')}, as expected)` : ''}, every commit is there`
      : `${plural(trace.problems.length, 'problem')} (✗)`;
  return `${what}: ${verdict}`;
}

function expiredCount(trace: { expired?: number }): number {
  return trace.expired ?? 0;
}
