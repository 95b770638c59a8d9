/**
 * A customer's version of each daily report: the report step writes /daily/<day>/<user>.json and
 * .html beside the day's report, the same queries over that customer's cameras only. The
 * versions of a day add up to the day's report, and none names another customer's camera.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { assertValid, type DailyReport } from '../../specs/index.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { layInputs, runWarehouseStep, sampleRecords } from '../helpers/warehouse-records.js';

let out: string;

before(async () => {
  const pfs = await tempDir('vigil-report-customer-');
  const files = sampleRecords();
  await layInputs(pfs, files);
  await runWarehouseStep(pfs, files);
  const reportPfs = await tempDir('vigil-report-customer-pfs-');
  await vigilOk(['step', 'report'], {
    root: join(reportPfs, 'store'),
    env: { PFS_ROOT: reportPfs, warehouse: join(pfs, 'out'), warehouse_COMMIT: 'w0001' },
  });
  out = join(reportPfs, 'out', 'daily');
});

async function report(file: string): Promise<DailyReport> {
  return assertValid('daily-report', JSON.parse(await readFile(join(out, file), 'utf8')), file);
}

test("each customer's version counts only that customer's cameras, and the versions add up to the day", async () => {
  const day = await report('2026-11-26.json');
  const u1 = await report('2026-11-26/u1.json');
  const u2 = await report('2026-11-26/u2.json');
  assert.equal(day.user, undefined);
  assert.deepEqual([u1.user, u2.user], ['u1', 'u2']);
  assert.deepEqual(
    u1.topDevices.map((d) => `${d.user}-${d.device}`),
    ['u1-cam1', 'u1-cam2'],
  );
  assert.deepEqual(
    u2.topDevices.map((d) => `${d.user}-${d.device}`),
    ['u2-door'],
  );
  assert.deepEqual(
    u1.threatsByUser.map((u) => u.user),
    ['u1'],
  );
  assert.equal(u1.totals.usersWithThreats, 1);
  for (const key of Object.keys(day.totals) as Array<keyof DailyReport['totals']>) {
    if (key === 'usersWithThreats') continue;
    assert.equal(u1.totals[key] + u2.totals[key], day.totals[key], `totals.${key}`);
  }
  const hours = (r: DailyReport) => r.threatsByHour.map((h) => h.threats);
  assert.deepEqual(
    hours(u1).map((n, i) => n + hours(u2)[i]!),
    hours(day),
  );
  assert.equal(u1.source.commit, 'w0001');
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
  assert.equal((await report('2026-11-27/u1.json')).totals.threats, (await report('2026-11-27.json')).totals.threats);
});
