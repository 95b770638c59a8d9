/**
 * A customer's version of each daily report: the report step writes /daily/<day>/<user>.json and
 * .html beside the day's report, the same queries over that customer's cameras only. The
 * versions of a day add up to the day's report, and none names another customer's camera.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { assertValid, type DailyReport } from '../../specs/index.js';
import { tempDir } from '../helpers/cli.js';
import { repoFiles, runStepPerDatum, runWarehouseStep, sampleRecords, sampleRules } from '../helpers/warehouse-records.js';

let out: string;

before(async () => {
  const warehouse = await tempDir('vigil-report-customer-');
  await runWarehouseStep(warehouse, sampleRecords());
  // The report step on each day's partitions, as the reports pipeline groups them.
  const reports = await tempDir('vigil-report-customer-out-');
  await runStepPerDatum(
    'report',
    'reports.yaml',
    reports,
    [...(await repoFiles('warehouse', join(warehouse, 'out'))), ...sampleRules()],
    'w0001',
  );
  out = join(reports, 'out', 'daily');
});

async function report(file: string): Promise<DailyReport> {
  return assertValid('daily-report', JSON.parse(await readFile(join(out, file), 'utf8')), file);
}

test("each customer's version counts only that customer's cameras, and the versions add up to the day", async () => {
  const day = await report('2026-11-26.json');
  assert.deepEqual((await readdir(join(out, '2026-11-26'))).sort(), ['u007.html', 'u007.json', 'u1.html', 'u1.json', 'u2.html', 'u2.json']);
  const versions = await Promise.all(['u007', 'u1', 'u2'].map((user) => report(`2026-11-26/${user}.json`)));
  const [u007, u1, u2] = versions;
  assert.equal(day.user, undefined);
  assert.deepEqual(
    versions.map((v) => v.user),
    ['u007', 'u1', 'u2'],
  );
  assert.deepEqual(
    u1!.topDevices.map((d) => `${d.user}-${d.device}`),
    ['u1-cam1', 'u1-cam2'],
  );
  assert.deepEqual(
    u2!.topDevices.map((d) => `${d.user}-${d.device}`),
    ['u2-door'],
  );
  assert.deepEqual(
    u007!.topDevices.map((d) => `${d.user}-${d.device}`),
    ['u007-cam01'],
    'a numeric-looking name stays text',
  );
  assert.deepEqual(
    u1!.threatsByUser.map((u) => u.user),
    ['u1'],
  );
  assert.equal(u1!.totals.usersWithThreats, 1);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  for (const key of Object.keys(day.totals) as Array<keyof DailyReport['totals']>) {
    if (key === 'usersWithThreats') continue;
    assert.equal(sum(versions.map((v) => v.totals[key])), day.totals[key], `totals.${key}`);
  }
  const hours = (r: DailyReport) => r.threatsByHour.map((h) => h.threats);
  assert.deepEqual(
    hours(day).map((_, i) => sum(versions.map((v) => hours(v)[i]!))),
    hours(day),
  );
  assert.equal(u1!.source.commit, 'w0001');
});

test("a customer's page names the customer and no other customer's camera", async () => {
  const page = await readFile(join(out, '2026-11-26', 'u2.html'), 'utf8');
  assert.match(page, /<h1>Daily threat report: 2026-11-26 · u2<\/h1>/);
  assert.match(page, /only the cameras of u2/);
  assert.ok(page.includes('u2-door'));
  assert.ok(!page.includes('u1-cam'), 'u2 sees a camera of u1');
});

test('a customer with no record that day has no version of it', async () => {
  await assert.rejects(readFile(join(out, '2026-11-27', 'u2.json')), { code: 'ENOENT' });
  const threats = async (file: string) => (await report(file)).totals.threats;
  assert.equal((await threats('2026-11-27/u1.json')) + (await threats('2026-11-27/u007.json')), await threats('2026-11-27.json'));
});
