import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listJobs } from '../../src/engine/pps/job-records.js';
import { listPipelines } from '../../src/engine/pps/pipelines.js';
import { Store } from '../../src/engine/store/store.js';
import { UserDirectory } from '../../src/portal/users.js';
import type { Alert, Match } from '../../specs/index.js';
import { tempDir, vigilOk } from '../helpers/cli.js';

/** The summary's `label: value` lines. */
function summaryLines(out: string): Map<string, string> {
  const after = out.slice(out.lastIndexOf('frames in raw:'));
  return new Map(
    after
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]),
  );
}

async function records<T>(store: Store, repo: string): Promise<Array<{ path: string; record: T }>> {
  const head = await store.headCommit(repo);
  // Records only: alerts keeps each incident's snapshot (.jpg) beside its record.
  const files = (head ? await store.listFiles(repo, head.id) : []).filter((f) => f.path.endsWith('.json'));
  return Promise.all(
    files.map(async (f) => ({ path: f.path, record: JSON.parse(await readFile(store.objectPath(f.sha256), 'utf8')) as T })),
  );
}

test('the demo runs every pipeline on the sample frames, and its summary agrees with the repos', async () => {
  const root = await tempDir('vigil-demo-');
  const env = { VIGIL_PD_KEY_U1: '', VIGIL_OUTBOX: '' };
  const first = await vigilOk(['demo', '--root', root], { root, env });
  const summary = summaryLines(first);
  const store = await Store.open(root);

  const raw = await store.listFiles('raw', (await store.headCommit('raw'))!.id);
  const validated = await store.listFiles('validated', (await store.headCommit('validated'))!.id);
  const valid = validated.filter((f) => f.path.startsWith('/valid/'));
  const rejected = validated.filter((f) => f.path.startsWith('/rejected/'));
  assert.equal(summary.get('frames in raw'), String(raw.length));
  assert.ok(raw.length >= 8 && new Set(raw.map((f) => f.path.split('/')[1])).size >= 3, 'frames from at least three user-devices');
  assert.match(summary.get('validated')!, new RegExp(`^${valid.length} valid, ${rejected.length} rejected \\(reasons: decode: 1\\)$`));
  assert.deepEqual(
    rejected.map((f) => f.path),
    ['/rejected/u1-cam1/20261125T180000Z.json'],
    'the truncated upload is the one rejection',
  );

  const matches = await records<Match>(store, 'matches');
  const byRule = new Map<string, number>();
  for (const { record } of matches)
    for (const r of record.fired) byRule.set(`${r.ruleId} ${r.name}`, (byRule.get(`${r.ruleId} ${r.name}`) ?? 0) + 1);
  assert.equal(
    summary.get('matches by rule'),
    [...byRule]
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join(', '),
  );
  assert.equal(byRule.get('200 Person after hours'), 2, 'both night-time frames of a person in the shop');

  const alerts = await records<Alert>(store, 'alerts');
  assert.equal(summary.get('incidents'), String(alerts.length));
  // The two person frames two minutes apart are one incident under a 5-minute cooldown.
  const shop = alerts.find((a) => a.path.startsWith('/u1-cam1/'))!.record;
  assert.equal(shop.frameCount, 2);
  const deliveries = alerts.flatMap((a) => a.record.deliveries);
  const emailsSent = deliveries.filter((d) => d.channel === 'email' && d.status === 'sent').length;
  assert.ok(summary.get('alerts')!.includes(`email sent: ${emailsSent}`));
  assert.ok(summary.get('alerts')!.includes('pagerduty skipped: 1'), 'no PagerDuty routing key in the demo: skipped, not failed');
  const eml = (await readdir(join(root, 'outbox'))).filter((f) => f.endsWith('.eml'));
  assert.equal(eml.length, emailsSent);
  assert.equal(summary.get('emails in the outbox'), `${eml.length} in ${join(root, 'outbox')}`);

  const reports = (await store.listFiles('reports', (await store.headCommit('reports'))!.id)).filter((f) => f.path.endsWith('.html'));
  assert.ok(reports.length > 0);
  assert.ok(first.includes(`reports@master:${reports[0].path}`));
  const trace = /vigil trace (\S+) --verify/.exec(first)?.[1];
  assert.ok(trace, 'the summary offers a trace command');
  assert.match(await vigilOk(['trace', trace, '--verify'], { root }), /every sha256 matches/);
  // The portal: how to start it, and a sign-in that works.
  assert.match(
    summary.get('portal')!,
    new RegExp(`^npx vigil serve --root ${root} +then open http://127\\.0\\.0\\.1:8080/\\?day=2026-11-26$`),
  );
  const [user, password] = summary
    .get('sign in')!
    .split(/\s+/)
    .filter((w) => w !== '/');
  assert.equal(user, 'demo');
  assert.ok(await new UserDirectory(root).signIn(user!, password!), 'the printed sign-in signs in');

  // A second run finds everything up to date: no new commit anywhere, no datum processed. No
  // pipeline ticks but digests, at five past each hour: a tick that falls due between the runs
  // is new input, and then its job is the only one.
  const pipelines = (await listPipelines(store)).map((p) => p.name);
  const jobsBefore = new Set((await listJobs(root, pipelines)).map((j) => j.id));
  const second = await vigilOk(['demo', '--root', root], { root, env });
  assert.match(second, /rules: unchanged; frames: no new frames/);
  const newJobs = (await listJobs(root, pipelines)).filter((j) => !jobsBefore.has(j.id));
  if (newJobs.length === 0) assert.match(second, /nothing new to process: every pipeline is up to date/);
  else
    assert.deepEqual(
      newJobs.map((j) => [j.pipeline, j.dataTotal]),
      [['digests', 1]],
      'only a digests tick that fell due',
    );
  assert.deepEqual(summaryLines(second), summary);
});
