import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Alert, Detection, Match, ModelEvaluation, Rejection } from '../../specs/index.js';
import { REPOS, inValidatedFolder } from '../contract/repos.js';
import type { FileEntry, Store } from '../engine/store/store.js';

/** What the demo reports, every number read back from the store's repos (not from the run). */
export interface DemoSummary {
  frames: number;
  valid: number;
  rejected: Record<string, number>;
  /** Objects the detector is at least this sure of, by label. */
  minScore: number;
  detectionsByLabel: Record<string, number>;
  matchesByRule: Record<string, number>;
  incidents: string[];
  alerts: Record<string, number>;
  outbox: string;
  emails: number;
  reports: string[];
  /** Each model's evaluation on the labelled set, as model-eval holds it. */
  evaluations: Array<{ model: string; ap: number | null; ap50: number | null }>;
}

/** Detections below this are kept in the records (rules apply their own thresholds) but not worth a summary line. */
const SUMMARY_MIN_SCORE = 0.5;

async function headFiles(store: Store, repo: string): Promise<FileEntry[]> {
  const head = await store.headCommit(repo).catch(() => null);
  return head ? store.listFiles(repo, head.id) : [];
}

async function readRecords<T>(
  store: Store,
  repo: string,
  filter: (path: string) => boolean = (p) => p.endsWith('.json'),
): Promise<Array<{ path: string; record: T }>> {
  const files = (await headFiles(store, repo)).filter((f) => filter(f.path));
  return Promise.all(
    files.map(async (f) => ({ path: f.path, record: JSON.parse(await readFile(store.objectPath(f.sha256), 'utf8')) as T })),
  );
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

export async function summarise(store: Store, outbox: string): Promise<DemoSummary> {
  const validated = await headFiles(store, REPOS.validated);
  const rejected: Record<string, number> = {};
  for (const { record } of await readRecords<Rejection>(store, REPOS.validated, (p) => inValidatedFolder('rejected', p))) {
    for (const reason of record.reasons) count(rejected, reason.code);
  }
  const detectionsByLabel: Record<string, number> = {};
  for (const { record } of await readRecords<Detection>(store, REPOS.detections)) {
    for (const o of record.objects) if (o.score >= SUMMARY_MIN_SCORE) count(detectionsByLabel, o.label);
  }
  const matchesByRule: Record<string, number> = {};
  for (const { record } of await readRecords<Match>(store, REPOS.matches)) {
    for (const rule of record.fired) count(matchesByRule, `${rule.ruleId} ${rule.name}`);
  }
  const alerts: Record<string, number> = {};
  const incidents: string[] = [];
  for (const { path, record } of await readRecords<Alert>(store, REPOS.alerts)) {
    incidents.push(path);
    for (const d of record.deliveries) count(alerts, `${d.channel} ${d.status}`);
  }
  const emails = (await readdir(outbox).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).length;
  return {
    frames: (await headFiles(store, REPOS.raw)).length,
    valid: validated.filter((f) => inValidatedFolder('valid', f.path)).length,
    rejected,
    minScore: SUMMARY_MIN_SCORE,
    detectionsByLabel,
    matchesByRule,
    incidents: incidents.sort(),
    alerts,
    outbox,
    emails,
    reports: (await headFiles(store, REPOS.reports)).map((f) => f.path).filter((p) => /^\/daily\/\d{4}-\d{2}-\d{2}\.html$/.test(p)),
    evaluations: (await readRecords<ModelEvaluation>(store, REPOS.modelEval)).map(({ record }) => ({
      model: record.model.name,
      ap: record.ap,
      ap50: record.ap50,
    })),
  };
}

function list(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([k, n]) => `${k}: ${n}`).join(', ') : 'none';
}

/** The summary as printed, ending with how to open the portal: the server's command, its address and a sign-in. */
export function formatSummary(s: DemoSummary, root: string, signIn: { user: string; password: string }): string {
  const rows: Array<[string, string]> = [
    ['frames in raw', String(s.frames)],
    [
      'validated',
      `${s.valid} valid, ${s.frames - s.valid} rejected${Object.keys(s.rejected).length ? ` (reasons: ${list(s.rejected)})` : ''}`,
    ],
    [`detections ≥ ${s.minScore}`, list(s.detectionsByLabel)],
    ['matches by rule', list(s.matchesByRule)],
    ['incidents', String(s.incidents.length)],
    ['alerts', list(s.alerts)],
    ['emails in the outbox', `${s.emails} in ${s.outbox}`],
  ];
  // In a clone `vigil` is this package's bin: npx finds it.
  for (const report of s.reports) {
    const date = report.replace(/^\/daily\/|\.html$/g, '');
    rows.push([
      'daily report',
      `${REPOS.reports}@master:${report}  (open it: npx vigil report daily --date ${date} --open --root ${root})`,
    ]);
  }
  const fixed = (x: number | null) => (x === null ? '-' : x.toFixed(3));
  for (const e of s.evaluations) {
    rows.push([
      'model evaluation',
      `${e.model}: AP@[.5:.95] ${fixed(e.ap)}, AP@0.5 ${fixed(e.ap50)} on the labelled set  (per class: npx vigil model eval --root ${root})`,
    ]);
  }
  if (s.evaluations.length)
    rows.push(['rule thresholds', `npx vigil rules check demo/rules --root ${root}  (warns where the model cannot reach a minScore)`]);
  if (s.incidents[0]) rows.push(['trace an alert', `npx vigil trace ${REPOS.alerts}@master:${s.incidents[0]} --verify --root ${root}`]);
  const lastDay = s.reports.at(-1)?.replace(/^\/daily\/|\.html$/g, '');
  rows.push(['portal', `npx vigil serve --root ${root}   then open http://127.0.0.1:8080/${lastDay ? `?day=${lastDay}` : ''}`]);
  rows.push([
    'sign in',
    `${signIn.user} / ${signIn.password}   (an operator; a customer: npx vigil user add NAME --customer u1 --root ${root})`,
  ]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`);
  return lines.join('\n');
}

export function defaultOutbox(root: string): string {
  return process.env.VIGIL_OUTBOX || join(root, 'outbox');
}
