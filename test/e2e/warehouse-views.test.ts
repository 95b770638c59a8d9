/**
 * The analysts' views added for people (warehouse/views.sql): objects on frames where no rule
 * fired, by label; the delivery history; latencies rounded to the millisecond, also in vigil
 * sql's table, on the sample records the report tests use.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { runWarehouseStep, sampleRecords } from '../helpers/warehouse-records.js';

let store: string;

before(async () => {
  const warehouse = await tempDir('vigil-views-warehouse-');
  await runWarehouseStep(warehouse, sampleRecords());
  store = join(warehouse, 'store');
  await vigilOk(['create', 'repo', 'warehouse'], { root: store });
  await vigilOk(['put', 'file', 'warehouse@master:/', '-r', '-f', join(warehouse, 'out')], { root: store });
});

const sql = async (query: string): Promise<Record<string, unknown>[]> =>
  JSON.parse(await vigilOk(['sql', '--json', query], { root: store }));

test('unmatched_objects: the objects on frames where no rule fired, per day, camera and label', async () => {
  // Of u1-cam1's frames of the 26th, the car at 13:05 fired no rule (the persons did; the empty frame has no object).
  assert.deepEqual(await sql(`SELECT strftime(day, '%Y-%m-%d') AS day, * EXCLUDE (day) FROM unmatched_objects ORDER BY ALL`), [
    { day: '2026-11-26', user: 'u1', device: 'cam1', label: 'car', objects: 1, frames: 1, mean_score: 0.7, max_score: 0.7 },
  ]);
  const [{ objects }] = await sql('SELECT sum(unmatched_objects)::INTEGER AS objects FROM unmatched_daily');
  assert.equal(objects, 1, 'the same objects unmatched_daily counts');
});

test('delivery_history: one row per delivery of the deliveries table, with its latency rounded', async () => {
  const rows = await sql(`SELECT * FROM delivery_history ORDER BY incident_id, channel, kind`);
  const [{ n }] = await sql('SELECT count(*)::INTEGER AS n FROM deliveries');
  assert.equal(rows.length, n);
  const first = rows.find((r) => r.incident_id === 'u007-cam01-r200-20261126T235930Z' && r.channel === 'email')!;
  assert.deepEqual(
    [
      first.first_captured_at,
      first.rule,
      first.state,
      first.kind,
      first.recipient,
      first.status,
      first.attempts,
      first.last_attempt_at,
      first.latency_seconds,
    ],
    ['2026-11-26 23:59:30', 'rule 200', 'active', 'notification', 's******y@example.com', 'sent', 1, '2026-11-27 00:00:00', 30],
  );
  // The sent notifications' latencies are delivery_latency's.
  const sent = await sql(
    `SELECT incident_id, channel, latency_seconds FROM delivery_history WHERE kind = 'notification' AND status = 'sent' ORDER BY ALL`,
  );
  assert.deepEqual(sent, await sql('SELECT incident_id, channel, latency_seconds FROM delivery_latency ORDER BY ALL'));
  assert.ok(sent.length > 0);
});

test("vigil sql's table shows floating-point numbers to the millisecond; --json keeps every digit", async () => {
  const query = 'SELECT incident_id, latency_seconds + 0.27500009537 AS latency FROM delivery_latency ORDER BY ALL LIMIT 1';
  const table = await vigilOk(['sql', query], { root: store });
  assert.match(table, /^incident_id\s+latency\n\S+\s+\d+\.275\n\(1 row\)\n$/);
  const [row] = JSON.parse(await vigilOk(['sql', '--json', query], { root: store }));
  assert.match(String(row.latency), /\.27500009537/);
});
