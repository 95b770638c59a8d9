import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { makeDatums } from '../../src/engine/datum/create.js';
import { readPipelineSpecs } from '../../src/engine/pps/spec.js';
import { NextDatumServer } from '../../src/engine/worker/next-datum-server.js';
import type { FileEntry } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import type { Alert, Delivery, Detection, FiredRule, IncidentDeliveries, Match, Rejection } from '../../specs/index.js';

/**
 * A small, known day of records as the upstream stages write them, for the warehouse and report
 * tests. The expected numbers of every view are worked out by hand in the tests from these.
 */

/** The record each repo the warehouse reads holds. */
interface RepoRecords {
  detections: Detection;
  matches: Match;
  alerts: Alert;
  deliveries: IncidentDeliveries;
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

/**
 * The deliveries record of a notified incident, as the deliveries pipeline writes it from the
 * ledger: its summary and its deliveries; `withdrawn` with a reason when alerts no longer holds it.
 */
export function deliveriesOf(file: RepoFile<'alerts'>, withdrawn?: { at: string; reason: string }): RepoFile<'deliveries'> {
  const a = file.record;
  const record: IncidentDeliveries = {
    incident: {
      id: a.id,
      user: a.user,
      device: a.device,
      timezone: a.timezone,
      rule: a.rule,
      firstCapturedAt: a.first.capturedAt,
      localTime: a.first.localTime,
      frame: a.first.frame,
      match: a.first.match,
      model: MODEL,
      rules: RULES,
    },
    state: withdrawn ? 'withdrawn' : 'active',
    ...(withdrawn ? { withdrawn } : {}),
    deliveries: a.deliveries,
    resolves: [],
  };
  return { repo: 'deliveries', path: file.path, record };
}

/** Rule 200, person at night in the yard: critical. */
export const night = (objects: Obj[]): FiredRule => fired(200, 'person at night', 'critical', objects, 'yard');

/**
 * Two UTC days of four cameras (u1-cam1, u1-cam2, u2-door, and u007-cam01 whose numeric-looking
 * names a reader must keep as text): detections, the rules that fired, refused frames (one whose
 * name could not be parsed) and incidents with their deliveries (in alerts, and in deliveries
 * for each incident that was notified). u007-cam01 has frames either side of midnight, so each of
 * its days holds exactly its own.
 */
export function sampleRecords(): RepoFile[] {
  const files = sampleUpstream();
  return [...files, ...files.flatMap((f) => (f.repo === 'alerts' && f.record.deliveries.length > 0 ? [deliveriesOf(f)] : []))];
}

function sampleUpstream(): RepoFile[] {
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

    detection('u007-cam01', '20261126T235930Z', [['person', 0.9]]),
    detection('u007-cam01', '20261127T000030Z', [
      ['person', 0.92],
      ['dog', 0.7],
    ]),
    match('u007-cam01', '20261126T235930Z', [night([['person', 0.9]])]),
    match('u007-cam01', '20261127T000030Z', [night([['person', 0.92]]), fired(310, 'animal', 'warning', [['dog', 0.7]])]),
    rejection('u007-cam01', '20261127T000100Z', ['size']),
    alert('u007-cam01', 200, 'critical', '20261126T235930Z', '20261126T235930Z', 1, [delivery('email', 'sent', '20261126T235930Z', 30)]),
    alert('u007-cam01', 200, 'critical', '20261127T000030Z', '20261127T000030Z', 1, [delivery('email', 'sent', '20261127T000030Z', 45)]),
    alert('u007-cam01', 310, 'warning', '20261127T000030Z', '20261127T000030Z', 1, [delivery('webhook', 'failed', '20261127T000030Z', 60)]),
  ];
}

/** A file given by its bytes: one that is not a record of its repo (broken JSON, a stray name), or a pipeline's output. */
export interface StrayFile {
  repo: string;
  path: string;
  text: string | Uint8Array;
}

export type InputFile = RepoFile | StrayFile;

/**
 * The rules repo the reports pipeline crosses each day with: subscriptions naming every camera of
 * sampleRecords, and u9's (the camera with a history in warehouse-engine.test.ts).
 */
export function sampleRules(): StrayFile[] {
  const subscriptions = {
    users: [
      { id: 'u1', devices: [{ id: '*', rules: [] }] },
      { id: 'u2', devices: [{ id: 'door', rules: [] }] },
      { id: 'u007', devices: [{ id: 'cam01', rules: [] }] },
      { id: 'u9', devices: [{ id: '*', rules: [] }] },
    ],
  };
  return [{ repo: 'rules', path: '/subscriptions.yaml', text: JSON.stringify(subscriptions) }];
}

/** Every file under `dir`, as files of `repo` at the same paths (a step's output, as the next step's input). */
export async function repoFiles(repo: string, dir: string): Promise<InputFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => ({
        repo,
        path: `/${relative(dir, join(e.parentPath, e.name))}`,
        text: await readFile(join(e.parentPath, e.name)),
      })),
  );
}

const fileText = (f: InputFile): string | Uint8Array => ('text' in f ? f.text : `${JSON.stringify(f.record, null, 2)}\n`);

/** Writes `files` under `pfsRoot` as the engine lays the warehouse's inputs: `<root>/<repo><path>`. */
export async function layInputs(pfsRoot: string, files: InputFile[]): Promise<void> {
  for (const f of files) {
    const file = join(pfsRoot, f.repo, f.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, fileText(f));
  }
}

/** The datums the engine makes of the files with the pipeline spec `pipelines/<spec>`, each as its inputs' files. */
export async function pipelineDatums(
  spec: string,
  files: Array<{ repo: string; path: string }>,
): Promise<Array<Array<{ name: string; path: string }>>> {
  const [pipeline] = await readPipelineSpecs(join(packageRoot(), 'pipelines', spec));
  const trees = new Map<string, FileEntry[]>();
  for (const f of files) trees.set(f.repo, [...(trees.get(f.repo) ?? []), { path: f.path, sha256: hash(f.path), size: 1 }]);
  const datums = makeDatums(pipeline.input, (repo) => ({ commit: 'c0001', files: trees.get(repo) ?? [] }), 'salt');
  return datums.map((d) => d.inputs.flatMap((input) => input.files.map((file) => ({ name: input.name, path: file.path }))));
}

/**
 * Runs `vigil step <step>` on every datum the engine would make of `files` with
 * `pipelines/<spec>`, as the engine does: one step process served the datums over NextDatum,
 * each datum in a PFS_ROOT of its own holding only that datum's files (`<dir>/datums/<n>/`).
 * Every datum's output is gathered into `<dir>/out`. Returns how many datums ran.
 */
export async function runStepPerDatum(step: string, spec: string, dir: string, files: InputFile[], commit = 'c0001'): Promise<number> {
  const datums = await pipelineDatums(spec, files);
  const byKey = new Map(files.map((f) => [`${f.repo}:${f.path}`, f]));
  const envs: Array<Record<string, string>> = [];
  for (const [n, inputs] of datums.entries()) {
    const root = join(dir, 'datums', String(n));
    await layInputs(
      root,
      inputs.map((i) => byKey.get(`${i.name}:${i.path}`)!),
    );
    const names = [...new Set(inputs.map((i) => i.name))];
    envs.push({
      PFS_ROOT: root,
      PACH_DATUM_ID: String(n),
      ...Object.fromEntries(
        names.flatMap((name) => [
          [name, join(root, name)],
          [`${name}_COMMIT`, commit],
        ]),
      ),
    });
  }
  await serveDatums(step, envs, join(dir, 'store'));
  for (const env of envs) await cp(join(env.PFS_ROOT, 'out'), join(dir, 'out'), { recursive: true, force: false, errorOnExist: true });
  return datums.length;
}

/** One `vigil step <step>` process, served `envs` one datum at a time over NextDatum; fails on any datum's error. */
async function serveDatums(step: string, envs: Array<Record<string, string>>, storeRoot: string): Promise<void> {
  let next = 0;
  const errors: string[] = [];
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const server = await NextDatumServer.start(async (error) => {
    if (next > 0 && error) errors.push(`datum ${next - 1}: ${error}`);
    if (next >= envs.length) {
      finished();
      return null;
    }
    return Object.entries(envs[next++]).map(([k, v]) => `${k}=${v}`);
  });
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'step', step], {
    env: { ...process.env, VIGIL_ROOT: storeRoot, PPS_WORKER_GRPC_PORT: String(server.port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise<void>((_, reject) =>
    child.on('close', (code) => reject(new Error(`vigil step ${step} exited ${code} after ${next} datums\n${stderr}`))),
  );
  const deadline = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    await Promise.race([done, exited]);
  } finally {
    clearTimeout(deadline);
    child.kill('SIGKILL');
    server.close();
  }
  if (errors.length > 0) throw new Error(`vigil step ${step}: ${errors.join('\n')}`);
}

/** Runs `vigil step warehouse` on `files` as the warehouse pipeline would; the partitions land in `<dir>/out/parquet`. */
export function runWarehouseStep(dir: string, files: InputFile[], commit = 'c0001'): Promise<number> {
  return runStepPerDatum('warehouse', 'warehouse.yaml', dir, files, commit);
}
