/**
 * The warehouse and reports pipelines through the embedded engine, from their real specs: the
 * upstream repos are filled with known records and a camera with 40 days of history, `vigil run`
 * builds the warehouse and the daily reports, and one new frame on that camera's last day
 * re-runs one warehouse datum per table it touches and one reports datum (the job records' datum
 * counts and the files' hashes say so), while `vigil sql` and `vigil report daily` follow.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { int64, parseRaw } from '../helpers/engine.js';
import {
  alert,
  deliveriesOf,
  delivery,
  detection,
  layInputs,
  match,
  night,
  sampleRecords,
  sampleRules,
  type InputFile,
  type RepoFile,
} from '../helpers/warehouse-records.js';

const INPUT_REPOS = ['detections', 'matches', 'alerts', 'deliveries', 'validated', 'rules'] as const;
const HISTORY_DAYS = 40;

/** JobInfo as `vigil list job --raw` prints it (pachctl's protojson: 64-bit counts as strings, 0 left out). */
interface JobInfo {
  job: { pipeline: { name: string }; id: string };
  state: string;
  data_processed?: string;
  data_skipped?: string;
  data_total?: string;
}

let root: string;
let staging: string;

/** 40 UTC days of camera u9-gate (2026-10-01 to 11-09): a frame an hour, a person every sixth hour, one incident a day. */
function history(): RepoFile[] {
  const files: RepoFile[] = [];
  for (let d = 0; d < HISTORY_DAYS; d++) {
    const date = new Date(Date.UTC(2026, 9, 1 + d)).toISOString().slice(0, 10).replaceAll('-', '');
    for (let hour = 0; hour < 24; hour++) {
      const ts = `${date}T${String(hour).padStart(2, '0')}0000Z`;
      const person = hour % 6 === 0;
      files.push(detection('u9-gate', ts, person ? [['person', 0.9]] : []));
      if (person) files.push(match('u9-gate', ts, [night([['person', 0.9]])]));
    }
    const incident = alert('u9-gate', 200, 'critical', `${date}T000000Z`, `${date}T180000Z`, 4, [
      delivery('email', 'sent', `${date}T000000Z`, 20),
    ]);
    files.push(incident, deliveriesOf(incident));
  }
  return files;
}

/** Puts `files` into their repos, one commit per repo, as the upstream pipelines would. */
async function putRecords(files: InputFile[]): Promise<void> {
  const dir = join(staging, String(Date.now()));
  await layInputs(dir, files);
  for (const repo of new Set(files.map((f) => f.repo))) {
    await vigilOk(['put', 'file', `${repo}@master:/`, '-r', '-f', join(dir, repo)], { root });
  }
}

async function latestJob(pipeline: string): Promise<JobInfo> {
  const jobs = parseRaw<JobInfo>(await vigilOk(['list', 'job', '--raw'], { root }));
  const job = jobs.find((j) => j.job.pipeline.name === pipeline);
  assert.ok(job, `no ${pipeline} job`);
  return job;
}

/** A repo's files at the head of master, path to sha256. */
async function headFiles(repo: string): Promise<Map<string, string>> {
  const store = await Store.open(root);
  const head = await store.headCommit(repo);
  assert.ok(head);
  return new Map((await store.listFiles(repo, head.id)).map((f) => [f.path, f.sha256]));
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after]
    .filter(([path, sha]) => before.get(path) !== sha)
    .map(([path]) => path)
    .sort();
}

const sql = async (query: string) => JSON.parse(await vigilOk(['sql', '--json', query], { root }));

let warehouseBefore: Map<string, string>;
let reportsBefore: Map<string, string>;

before(async () => {
  root = join(await tempDir('vigil-warehouse-engine-'), 'store');
  staging = await tempDir('vigil-warehouse-staging-');
  for (const repo of INPUT_REPOS) await vigilOk(['create', 'repo', repo], { root });
  await putRecords([...sampleRecords(), ...history(), ...sampleRules()]);
  for (const spec of ['warehouse.yaml', 'reports.yaml']) {
    await vigilOk(['create', 'pipeline', '-f', join(packageRoot(), 'pipelines', spec)], { root });
  }
  await vigilOk(['run'], { root });
  warehouseBefore = await headFiles('warehouse');
  reportsBefore = await headFiles('reports');
});

test('the first run processes one datum per table, camera and day, and one report per day', async () => {
  const warehouse = await latestJob('warehouse');
  // The sample's 27 (three tables of six camera-days, deliveries of five, rejections of three and
  // the unparsed one), and 40 days of four tables.
  assert.deepEqual(
    [warehouse.state, int64(warehouse.data_processed), int64(warehouse.data_skipped), int64(warehouse.data_total)],
    ['JOB_SUCCESS', 187, 0, 187],
  );
  const reports = await latestJob('reports');
  assert.deepEqual([reports.state, int64(reports.data_processed), int64(reports.data_total)], ['JOB_SUCCESS', 42, 42]);
  const dayReports = [...reportsBefore.keys()].filter((p) => /^\/daily\/\d{4}-\d{2}-\d{2}\.json$/.test(p));
  assert.equal(dayReports.length, 42);
  // Each customer's version of each day it has records: u9 on its 40 days, the sample's three customers on theirs.
  const customerReports = [...reportsBefore.keys()].filter((p) => /^\/daily\/\d{4}-\d{2}-\d{2}\/[^/]+\.json$/.test(p));
  assert.equal(customerReports.filter((p) => p.endsWith('/u9.json')).length, HISTORY_DAYS);
  assert.ok(!reportsBefore.has('/warehouse.duckdb'));
  assert.deepEqual(await sql('SELECT sum(threats)::INTEGER AS n FROM daily_threats'), [{ n: 10 + HISTORY_DAYS * 4 }]);
});

test("a new frame on a camera with 40 days of history re-runs one datum per table it touches and its day's report", async () => {
  // A person at u9-gate late on its last day: the frame's detection, the rule that fired, and the day's incident, now of 5 frames.
  const ts = '20261109T233000Z';
  await putRecords([
    detection('u9-gate', ts, [['person', 0.93]]),
    match('u9-gate', ts, [night([['person', 0.93]])]),
    alert('u9-gate', 200, 'critical', '20261109T000000Z', ts, 5, [delivery('email', 'sent', '20261109T000000Z', 20)]),
  ]);
  await vigilOk(['run'], { root });

  const warehouse = await latestJob('warehouse');
  assert.deepEqual(
    [warehouse.state, int64(warehouse.data_processed), int64(warehouse.data_skipped), int64(warehouse.data_total)],
    ['JOB_SUCCESS', 3, 184, 187],
  );
  const warehouseAfter = await headFiles('warehouse');
  assert.deepEqual(changed(warehouseBefore, warehouseAfter), [
    '/parquet/alerts/day=2026-11-09/camera=u9-gate/part.parquet',
    '/parquet/detections/day=2026-11-09/camera=u9-gate/part.parquet',
    '/parquet/matches/day=2026-11-09/camera=u9-gate/part.parquet',
  ]);
  assert.deepEqual([...warehouseAfter.keys()].sort(), [...warehouseBefore.keys()].sort());

  const reports = await latestJob('reports');
  assert.deepEqual([reports.state, int64(reports.data_processed), int64(reports.data_skipped)], ['JOB_SUCCESS', 1, 41]);
  assert.deepEqual(changed(reportsBefore, await headFiles('reports')), [
    '/daily/2026-11-09.html',
    '/daily/2026-11-09.json',
    '/daily/2026-11-09/u9.html',
    '/daily/2026-11-09/u9.json',
  ]);

  // vigil sql's cache took the changed partitions: the day has one more threat and frame, the other days are as they were.
  assert.deepEqual(
    await sql(
      `SELECT strftime(day, '%Y-%m-%d') AS day, threats FROM daily_threats WHERE device = 'gate' AND day >= '2026-11-08' ORDER BY day`,
    ),
    [
      { day: '2026-11-08', threats: 4 },
      { day: '2026-11-09', threats: 5 },
    ],
  );
  assert.deepEqual(
    await sql(
      `SELECT count(*)::INTEGER AS frames, max(frame_count)::INTEGER AS longest FROM frames_analysed, alerts WHERE frames_analysed.device = 'gate' AND alerts.device = 'gate' AND frames_analysed.day = '2026-11-09' AND alerts.day = '2026-11-09'`,
    ),
    [{ frames: 25, longest: 5 }],
  );
  assert.deepEqual(await sql('SELECT sum(threats)::INTEGER AS n FROM daily_threats'), [{ n: 10 + HISTORY_DAYS * 4 + 1 }]);
  const summary = await vigilOk(['report', 'daily', '--date', '2026-11-09', '--out', join(staging, 'day.html')], { root });
  assert.match(
    summary,
    /threats 5 · users 1 · devices 1 · incidents 1 · alerts sent 1, failed 0\nframes analysed 25 \(20 with no threat\)/,
  );
});
