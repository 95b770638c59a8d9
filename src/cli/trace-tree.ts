import { hopName, type Hop, type HopKind, type Trace } from '../lineage/trace.js';
import { REPOS } from '../contract/repos.js';

/** How `vigil trace` prints a trace for people: one hop per node, its checks below it, problems marked ✗. */

const LABEL: Record<HopKind, string> = {
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

/** The hop's own lines: what and where it is, then how it checked out. */
function hopLines(hop: Hop): string[] {
  const hashOk = hop.actualSha256 !== null && hop.actualSha256 === hop.sha256;
  const lines = [`${LABEL[hop.kind]} ${hopName(hop)}`, `sha256 ${hop.sha256 ?? '(unknown)'} ${hashOk ? '✓ the stored bytes match' : '✗'}`];
  if (hop.job) {
    const { datum } = hop.job;
    const made =
      datum?.state === 'SKIPPED' ? `, carried over by datum ${datum.id} (skipped: unchanged input)` : datum ? `, datum ${datum.id}` : '';
    lines.push(`job ${hop.job.id} of pipeline ${hop.job.pipeline}, spec version ${hop.job.pipelineVersion}${made}`);
  }
  if (hop.model)
    lines.push(
      `model ${hop.model.name} at ${REPOS.models}@${hop.model.commit}, weights ${hop.model.weightsSha256}, ${hop.model.backend} backend`,
    );
  if (hop.rules) {
    lines.push(
      `rules ${hop.rules.repo}@${hop.rules.commit}: rules.yaml ${hop.rules.rulesSha256}, subscriptions.yaml ${hop.rules.subscriptionsSha256}`,
    );
  }
  if (hop.summary) lines.push(hop.summary);
  for (const d of hop.deliveries ?? []) lines.push(`${d.channel} to ${d.recipient}: ${d.status} (${plural(d.attempts, 'attempt')})`);
  for (const d of hop.resolves ?? []) lines.push(`${d.channel} resolve to ${d.recipient}: ${d.status} (${plural(d.attempts, 'attempt')})`);
  for (const problem of hop.problems) lines.push(`✗ ${problem}`);
  return lines;
}

/** The hop, then its children drawn below it as `tree` draws folders. */
function renderHop(hop: Hop, out: string[], first: string, rest: string): void {
  const [head, ...body] = hopLines(hop);
  out.push(first + head);
  const bar = hop.next.length > 0 ? '│  ' : '   ';
  for (const line of body) out.push(`${rest}${bar}${line}`);
  hop.next.forEach((child, i) => {
    const last = i === hop.next.length - 1;
    renderHop(child, out, rest + (last ? '└─ ' : '├─ '), rest + (last ? '   ' : '│  '));
  });
}

export function renderTrace(trace: Trace): string {
  const out: string[] = [];
  renderHop(trace.root, out, '', '');
  const files = plural(trace.hops, 'file');
  const what = trace.direction === 'back' ? `${plural(trace.frames.length, 'camera frame')}, ${files}` : files;
  const verdict =
    trace.problems.length === 0
      ? 'every sha256 matches the stored bytes, every commit is there'
      : `${plural(trace.problems.length, 'problem')} (✗)`;
  out.push('', `${what}: ${verdict}`);
  return `${out.join('\n')}\n`;
}
