/**
 * Issue 20, "Silence": frames from a camera no subscription names are said in the daily report,
 * not only in the match step's log. Through the real pipelines (`vigil init`, the sample rules,
 * `vigil run`): u1-cam1 is subscribed and fires nothing that day (so it has detections and no
 * matches), u1-cam2 is a camera of a subscribed user without an entry of its own or a "*", u9-cam3
 * belongs to a user with no subscription at all. The day's report (JSON and HTML), and each
 * customer's version, name the two unsubscribed cameras with their frames and not u1-cam1; a
 * rules commit that subscribes u9 re-runs the report, which then names u1-cam2 only; an
 * unreadable subscriptions.yaml fails the reports job once and leaves the reports as they were.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertValid, type DailyReport } from '../../specs/index.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { listJobs } from '../helpers/engine.js';

const FIXTURES = join(packageRoot(), 'test', 'fixtures');
// 18:00 UTC is 13:00 in New York, a Thursday: rule 200 (persons out of hours) is not active on u1-cam1.
const FRAMES = [
  '/u1-cam1/20261126T180000Z.png',
  '/u1-cam2/20261126T180000Z.png',
  '/u9-cam3/20261126T180000Z.png',
  '/u9-cam3/20261126T180500Z.png',
];
const DAY = '2026-11-26';

describe('the daily report names the cameras no subscription names', { timeout: 400_000 }, () => {
  it('in its JSON and HTML, per customer too, with their frame counts; a subscribed camera without matches is not named', async () => {
    const root = await tempDir('vigil-report-unsubscribed-');
    const ok = (args: string[]) => vigilOk(args, { root });
    await ok(['init']);
    await ok(['put', 'file', 'rules@master:/', '-r', '-f', join(FIXTURES, 'rules')]);
    const upload = join(root, 'upload');
    for (const frame of FRAMES) {
      await mkdir(join(upload, frame, '..'), { recursive: true });
      await copyFile(join(FIXTURES, 'astronaut.png'), join(upload, frame));
    }
    await ok(['put', 'file', 'raw@master:/', '-r', '-f', upload]);

    const run = await vigil(['run'], { root });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^warning: 2 frame\(s\) from camera u9-cam3, which no subscription in rules@master names/m);

    const report = async (path: string): Promise<DailyReport> =>
      assertValid('daily-report', JSON.parse(await ok(['get', 'file', `reports@master:${path}`])), path);
    const warning = async (path: string): Promise<string> => {
      const page = await ok(['get', 'file', `reports@master:${path}`]);
      return /<section class="card warning" id="unsubscribed">[\s\S]*?<\/section>/.exec(page)?.[0] ?? '';
    };

    const day = await report(`/daily/${DAY}.json`);
    assert.equal(day.totals.framesAnalysed, 4);
    assert.equal(day.totals.threats, 0, 'nothing fired on u1-cam1: it has detections and no matches that day');
    assert.deepEqual(day.unsubscribedCameras, [
      { user: 'u9', device: 'cam3', frames: 2 },
      { user: 'u1', device: 'cam2', frames: 1 },
    ]);
    assert.equal(day.subscriptions.repo, 'rules');
    assert.equal(day.subscriptions.path, '/subscriptions.yaml');
    const committed = await readFile(join(FIXTURES, 'rules', 'subscriptions.yaml'));
    assert.equal(day.subscriptions.sha256, createHash('sha256').update(committed).digest('hex'));

    const page = await warning(`/daily/${DAY}.html`);
    assert.match(page, /<h2>Cameras no subscription names<\/h2>/);
    assert.match(page, /3 frame\(s\) from 2 camera\(s\) were analysed/);
    assert.match(page, /Add each camera to subscriptions\.yaml in the rules repo/);
    assert.match(page, /<tr><td>u9-cam3<\/td><td class="n">2<\/td><\/tr>/);
    assert.match(page, /<tr><td>u1-cam2<\/td><td class="n">1<\/td><\/tr>/);
    assert.doesNotMatch(page, /u1-cam1/);

    assert.match(
      await ok(['report', 'daily', '--date', DAY, '--out', join(root, 'day.html')]),
      /^warning: 2 frame\(s\) from camera u9-cam3, which no subscription names: no rule could fire for them \(add it to subscriptions\.yaml\)\nwarning: 1 frame\(s\) from camera u1-cam2, /m,
    );

    // Each customer's version names that customer's cameras only.
    assert.deepEqual((await report(`/daily/${DAY}/u1.json`)).unsubscribedCameras, [{ user: 'u1', device: 'cam2', frames: 1 }]);
    assert.deepEqual((await report(`/daily/${DAY}/u9.json`)).unsubscribedCameras, [{ user: 'u9', device: 'cam3', frames: 2 }]);
    assert.doesNotMatch(await warning(`/daily/${DAY}/u1.html`), /u9-cam3|u1-cam1/);

    // Subscribing u9's cameras: the rules commit re-runs the day's report, which names u1-cam2 only.
    const subscriptions = join(root, 'subscriptions.yaml');
    await writeFile(
      subscriptions,
      `${committed.toString('utf8').trimEnd()}\n  - id: u9\n    devices:\n      - id: "*"\n        rules: [100]\n`,
    );
    await ok(['put', 'file', 'rules@master:/subscriptions.yaml', '-f', subscriptions]);
    const again = await vigil(['run'], { root });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((await report(`/daily/${DAY}.json`)).unsubscribedCameras, [{ user: 'u1', device: 'cam2', frames: 1 }]);
    const after = await warning(`/daily/${DAY}.html`);
    assert.match(after, /<tr><td>u1-cam2<\/td><td class="n">1<\/td><\/tr>/);
    assert.doesNotMatch(after, /u9-cam3/);
    assert.deepEqual((await report(`/daily/${DAY}/u9.json`)).unsubscribedCameras, []);
    assert.doesNotMatch(await ok(['get', 'file', `reports@master:/daily/${DAY}/u9.html`]), /id="unsubscribed"/);

    // A subscriptions.yaml that cannot be read fails the reports job once, with what is wrong; the reports stay.
    await writeFile(subscriptions, 'users:\n  - id: u1\n');
    await ok(['put', 'file', 'rules@master:/subscriptions.yaml', '-f', subscriptions]);
    const bad = await vigil(['run'], { root });
    assert.equal(bad.code, 1);
    const [job] = await listJobs(root, 'reports');
    assert.equal(job.state, 'JOB_FAILURE');
    assert.match(
      job.reason,
      /^no daily report can say which cameras no subscription names: rules@[0-9a-f]{32}: subscriptions\.yaml: users\[0\]: .*devices/,
    );
    assert.doesNotMatch(await ok(['logs', 'reports']), /^\s+at /m, 'no stack');
    assert.deepEqual((await report(`/daily/${DAY}.json`)).unsubscribedCameras, [{ user: 'u1', device: 'cam2', frames: 1 }]);
  });
});
