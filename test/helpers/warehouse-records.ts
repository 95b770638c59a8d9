import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { vigilOk } from './cli.js';
import type { Alert, Delivery, Detection, FiredRule, Match, Rejection } from '../../specs/index.js';

/**
 * A small, known day of records as the upstream stages write them, for the warehouse and report
 * tests. The expected numbers of every view are worked out by hand in the tests from these.
 */

/** The record each repo the warehouse reads holds. */
interface RepoRecords {
  detections: Detection;
  matches: Match;
  alerts: Alert;
  validated: Rejection;
}

/** A record file of one repo (the warehouse union's input of the same name), typed by repo. */
export type RepoFile<R extends keyof RepoRecords = keyof RepoRecords> = { [K in R]: { repo: K; path: string; record: RepoRecords[K] } }[R];

const hash = (s: string): string => createHash('sha256').update(s).digest('hex');

const MODEL = { name: 'centernet', commit: 'm0001', weightsSha256: hash('weights'), backend: 'wasm' };
const RULES = { repo: 'rules', commit: 'r0001', rulesSha256: hash('rules.yaml'), subscriptionsSha256: hash('subscriptions.yaml') };
const TARGETS = { email: ['sec@example.com'], webhook: ['https://hooks.example.com/vigil'] };

type Obj = [label: string, score: number];

/** `20261126T041500Z` → `2026-11-26T04:15:00.000Z`. */
function iso(ts: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z$/.exec(ts)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7] ?? '000'}Z`;
}

function frameRef(source: string, ts: string) {
  return { repo: 'validated', commit: 'v0001', path: `/valid/${source}/${ts}.jpg`, sha256: hash(`frame ${source} ${ts}`), size: 1000 };
}

export function detection(source: string, ts: string, objects: Obj[], error?: string): RepoFile<'detections'> {
  const [user, device] = source.split('-');
  const record: Detection = {
    user,
    device,
    capturedAt: iso(ts),
    frame: frameRef(source, ts),
    frameSize: { width: 640, height: 480 },
    model: MODEL,
    objects: objects.map(([label, score], i) => ({
      label,
      classId: label === 'person' ? 0 : 16,
      score,
      box: { x: 0.1 * i, y: 0.2, w: 0.3, h: 0.4 },
    })),
    inferenceMs: 50,
    ...(error ? { error } : {}),
  };
  return { repo: 'detections', path: `/${source}/${ts}.json`, record };
}

function fired(ruleId: number, name: string, severity: FiredRule['severity'], objects: Obj[], zone?: string): FiredRule {
  return {
    ruleId,
    name,
    severity,
    cooldownSeconds: 300,
    targets: TARGETS,
    objects: objects.map(([label, score]) => ({
      label,
      score,
      box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 },
      ...(zone ? { zone } : {}),
    })) as FiredRule['objects'],
  };
}

export function match(source: string, ts: string, rules: Match['fired']): RepoFile<'matches'> {
  const [user, device] = source.split('-');
  const record: Match = {
    user,
    device,
    capturedAt: iso(ts),
    localTime: iso(ts).replace('Z', '+00:00'),
    timezone: 'UTC',
    frame: frameRef(source, ts),
    detection: { repo: 'detections', commit: 'd0001', path: `/${source}/${ts}.json`, sha256: hash(`detection ${source} ${ts}`) },
    model: MODEL,
    rules: RULES,
    fired: rules,
  };
  return { repo: 'matches', path: `/${source}/${ts}.json`, record };
}

export function rejection(source: string | null, ts: string | null, codes: Array<Rejection['reasons'][0]['code']>): RepoFile<'validated'> {
  const name = source && ts ? `${source}/${ts}` : `_unparsed/${hash('bad name')}`;
  const [user, device] = source ? source.split('-') : [];
  const record: Rejection = {
    ...(user ? { user, device } : {}),
    ...(ts ? { capturedAt: iso(ts) } : {}),
    input: {
      repo: 'raw',
      commit: 'w0001',
      path: source && ts ? `/${source}/${ts}.jpg` : '/bad name.jpg',
      sha256: hash(`raw ${name}`),
      size: 2000,
    },
    reasons: codes.map((code) => ({
      code,
      message: `refused: ${code}`,
      ...(code === 'resolution' ? { measured: '320x200', limit: '640x480' } : {}),
      ...(code === 'contrast' ? { measured: 3.5, limit: 10 } : {}),
    })) as Rejection['reasons'],
    configVersion: hash('validate config'),
  };
  return { repo: 'validated', path: `/rejected/${name}.json`, record };
}

/** A delivery whose last attempt (the accepted one when sent) was `afterSeconds` after the first frame. */
export function delivery(channel: Delivery['channel'], status: Delivery['status'], firstFrameTs: string, afterSeconds: number): Delivery {
  const attempts = status === 'failed' ? 3 : 1;
  const at = (seconds: number) => new Date(Date.parse(iso(firstFrameTs)) + seconds * 1000).toISOString();
  return {
    channel,
    target: `${channel}-t1`,
    recipient: channel === 'email' ? 's******y@example.com' : 'target',
    status,
    attempts,
    response: {
      status: status === 'sent' ? 202 : 500,
      body: status === 'sent' ? 'accepted' : 'server error',
      messageId: `<${channel}-${firstFrameTs}>`,
    },
    firstAttemptAt: at(afterSeconds - (attempts - 1) * 10),
    lastAttemptAt: at(afterSeconds),
  };
}

export function alert(
  source: string,
  ruleId: number,
  severity: FiredRule['severity'],
  firstTs: string,
  lastTs: string,
  frameCount: number,
  deliveries: Delivery[],
): RepoFile<'alerts'> {
  const [user, device] = source.split('-');
  const id = `${source}-r${ruleId}-${firstTs}`;
  const frame = (ts: string) => ({
    capturedAt: iso(ts),
    localTime: iso(ts).replace('Z', '+00:00'),
    frame: frameRef(source, ts),
    match: { repo: 'matches', commit: 'x0001', path: `/${source}/${ts}.json`, sha256: hash(`match ${source} ${ts}`) },
  });
  const record: Alert = {
    id,
    user,
    device,
    timezone: 'UTC',
    rule: { id: ruleId, name: `rule ${ruleId}`, severity, cooldownSeconds: 300 },
    first: frame(firstTs),
    last: frame(lastTs),
    frameCount,
    objects: [{ label: 'person', score: 0.9, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 } }],
    matches: [frame(firstTs).match],
    deliveries,
  };
  return { repo: 'alerts', path: `/${source}/${id}.json`, record };
}

const night = (objects: Obj[]) => fired(200, 'person at night', 'critical', objects, 'yard');

/**
 * Two UTC days of three cameras (u1-cam1, u1-cam2, u2-door): detections, the rules that fired,
 * refused frames (one whose name could not be parsed) and incidents with their deliveries.
 */
export function sampleRecords(): RepoFile[] {
  return [
    detection('u1-cam1', '20261126T041500Z', [
      ['person', 0.91],
      ['person', 0.8],
    ]),
    detection('u1-cam1', '20261126T041600Z', [['person', 0.85]]),
    detection('u1-cam1', '20261126T042000Z', []),
    detection('u1-cam1', '20261126T130500Z', [['car', 0.7]]),
    detection('u1-cam2', '20261126T044000Z', [
      ['person', 0.95],
      ['dog', 0.6],
    ]),
    detection('u2-door', '20261126T221000Z', [['person', 0.88]]),
    detection('u2-door', '20261126T221230.500Z', [], 'decode failed: truncated'),
    detection('u1-cam1', '20261127T010000Z', [['person', 0.9]]),

    match('u1-cam1', '20261126T041500Z', [
      night([
        ['person', 0.91],
        ['person', 0.8],
      ]),
      fired(300, 'any person', 'info', [['person', 0.91]]),
    ]),
    match('u1-cam1', '20261126T041600Z', [night([['person', 0.85]])]),
    match('u1-cam2', '20261126T044000Z', [night([['person', 0.95]]), fired(310, 'animal', 'warning', [['dog', 0.6]])]),
    match('u2-door', '20261126T221000Z', [fired(400, 'visitor', 'warning', [['person', 0.88]])]),
    match('u1-cam1', '20261127T010000Z', [night([['person', 0.9]])]),

    rejection('u1-cam1', '20261126T050000Z', ['resolution', 'contrast']),
    rejection('u1-cam1', '20261126T051000Z', ['contrast']),
    rejection('u2-door', '20261126T230000Z', ['decode']),
    rejection(null, null, ['name']),

    alert('u1-cam1', 200, 'critical', '20261126T041500Z', '20261126T041600Z', 2, [
      delivery('email', 'sent', '20261126T041500Z', 40),
      delivery('pagerduty', 'failed', '20261126T041500Z', 90),
      delivery('webhook', 'sent', '20261126T041500Z', 120),
    ]),
    alert('u1-cam2', 200, 'critical', '20261126T044000Z', '20261126T044000Z', 1, [
      delivery('email', 'sent', '20261126T044000Z', 60),
      delivery('webhook', 'sent', '20261126T044000Z', 10),
    ]),
    alert('u1-cam2', 310, 'warning', '20261126T044000Z', '20261126T044000Z', 1, [delivery('email', 'sent', '20261126T044000Z', 20)]),
    alert('u2-door', 400, 'warning', '20261126T221000Z', '20261126T221000Z', 1, []),
    alert('u1-cam1', 200, 'critical', '20261127T010000Z', '20261127T010000Z', 1, [delivery('email', 'sent', '20261127T010000Z', 120)]),
  ];
}

/** Writes `files` under `pfsRoot` as the engine lays the warehouse's inputs: `<root>/<repo><path>`. */
export async function layInputs(pfsRoot: string, files: RepoFile[]): Promise<void> {
  for (const f of files) {
    const file = join(pfsRoot, f.repo, f.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(f.record, null, 2)}\n`);
  }
}

/** The warehouse union's datums over `files`: one per input and device folder, as globs `/*` and `/rejected/*` give. */
export function warehouseDatums(pfsRoot: string, files: RepoFile[]): Array<{ input: string; path: string }> {
  const folders = new Set(
    files.map(
      (f) =>
        `${f.repo}${f.path
          .split('/')
          .slice(0, f.repo === 'validated' ? 3 : 2)
          .join('/')}`,
    ),
  );
  return [...folders].sort().map((folder) => ({ input: folder.split('/')[0], path: join(pfsRoot, folder) }));
}

/** Runs `vigil step warehouse` once per datum of `files` laid under `pfsRoot`, as the engine would; outputs land in `<pfsRoot>/out`. */
export async function runWarehouseStep(pfsRoot: string, files: RepoFile[], commit = 'c0001'): Promise<void> {
  for (const d of warehouseDatums(pfsRoot, files)) {
    await vigilOk(['step', 'warehouse'], {
      root: join(pfsRoot, 'store'),
      env: { PFS_ROOT: pfsRoot, [d.input]: d.path, [`${d.input}_COMMIT`]: commit },
    });
  }
}
