/**
 * The warehouse and reports pipelines through the embedded engine, from their real specs: the
 * upstream repos are filled with known records, `vigil run` builds the warehouse, and one new
 * frame on one camera rewrites only that camera's partitions (the datum counts and the
 * partitions' hashes say so) while the reports follow.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { alert, delivery, detection, layInputs, match, sampleRecords, type RepoFile } from '../helpers/warehouse-records.js';

const INPUT_REPOS = ['detections', 'matches', 'alerts', 'validated'] as const;

interface JobInfo {
  job: { pipeline: { name: string }; id: string };
  state: string;
  dataProcessed: number;
  dataSkipped: number;
  dataTotal: number;
}

let root: string;
let staging: string;

/** Puts `files` into their repos, one commit per repo, as the upstream pipelines would. */
async function putRecords(files: RepoFile[]): Promise<void> {
  const dir = join(staging, String(Date.now()));
  await layInputs(dir, files);
  for (const repo of new Set(files.map((f) => f.repo))) {
    await vigilOk(['put', 'file', `${repo}@master:/`, '-r', '-f', join(dir, repo)], { root });
  }
}

async function latestJob(pipeline: string): Promise<JobInfo> {
  const jobs = (await vigilOk(['list', 'job', '--raw'], { root }))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JobInfo);
  const job = jobs.find((j) => j.job.pipeline.name === pipeline);
  assert.ok(job, `no ${pipeline} job`);
  return job;
}

/** The warehouse's files at the head of master, path to sha256. */
async function warehouseFiles(): Promise<Map<string, string>> {
  const store = await Store.open(root);
  const head = await store.headCommit('warehouse');
  assert.ok(head);
  return new Map((await store.listFiles('warehouse', head.id)).map((f) => [f.path, f.sha256]));
}

let before1: Map<string, string>;

before(async () => {
  root = join(await tempDir('vigil-warehouse-engine-'), 'store');
  staging = await tempDir('vigil-warehouse-staging-');
  for (const repo of INPUT_REPOS) await vigilOk(['create', 'repo', repo], { root });
  await putRecords(sampleRecords());
  for (const spec of ['warehouse.yaml', 'reports.yaml']) {
    await vigilOk(['create', 'pipeline', '-f', join(packageRoot(), 'pipelines', spec)], { root });
  }
  await vigilOk(['run'], { root });
  before1 = await warehouseFiles();
});

test('the first run processes one datum per camera and kind, and the reports once', async () => {
  const warehouse = await latestJob('warehouse');
  assert.deepEqual([warehouse.state, warehouse.dataProcessed, warehouse.dataSkipped, warehouse.dataTotal], ['JOB_SUCCESS', 12, 0, 12]);
  const reports = await latestJob('reports');
  assert.deepEqual([reports.state, reports.dataProcessed, reports.dataTotal], ['JOB_SUCCESS', 1, 1]);
  assert.equal([...before1.keys()].filter((p) => p.endsWith('/part.parquet')).length, 12);
  const threats = JSON.parse(await vigilOk(['sql', '--json', 'SELECT sum(threats) AS n FROM daily_threats'], { root }));
  assert.deepEqual(threats, [{ n: 7 }]);
});

test("a run after one new frame rewrites only that camera's partitions", async () => {
  // A person at u2-door's: the frame's detection, the rule that fired, and its incident.
  const ts = '20261126T223000Z';
  await putRecords([
    detection('u2-door', ts, [['person', 0.93]]),
    match('u2-door', ts, [
      {
        ruleId: 400,
        name: 'visitor',
        severity: 'warning',
        cooldownSeconds: 300,
        targets: {},
        objects: [{ label: 'person', score: 0.93, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 } }],
      },
    ]),
    alert('u2-door', 400, 'warning', ts, ts, 1, [delivery('email', 'sent', ts, 30)]),
  ]);
  await vigilOk(['run'], { root });

  const warehouse = await latestJob('warehouse');
  assert.deepEqual([warehouse.state, warehouse.dataProcessed, warehouse.dataSkipped, warehouse.dataTotal], ['JOB_SUCCESS', 3, 9, 12]);
  const after = await warehouseFiles();
  const changed = [...after]
    .filter(([path, sha]) => before1.get(path) !== sha)
    .map(([path]) => path)
    .sort();
  assert.deepEqual(changed, [
    '/parquet/alerts/device=u2-door/part.parquet',
    '/parquet/detections/device=u2-door/part.parquet',
    '/parquet/matches/device=u2-door/part.parquet',
  ]);
  assert.deepEqual([...after.keys()].sort(), [...before1.keys()].sort());

  const reports = await latestJob('reports');
  assert.deepEqual([reports.state, reports.dataProcessed], ['JOB_SUCCESS', 1]);
  const rows = JSON.parse(
    await vigilOk(['sql', '--json', `SELECT threats FROM daily_threats WHERE device = 'door' AND rule_id = 400`], { root }),
  );
  assert.deepEqual(rows, [{ threats: 2 }]);
  const summary = await vigilOk(['report', 'daily', '--date', '2026-11-26', '--out', join(staging, 'day.html')], { root });
  assert.match(summary, /threats 7 · users 2 · devices 3 · incidents 5 · alerts sent 6, failed 1\n/);
});
