/**
 * The deliveries record as the pipelines read it: the deliveries pipeline's datums (one per
 * device and UTC day, from validated frames, alert records and digest marks, never a snapshot),
 * and the warehouse's deliveries table (withdrawn incidents, resolves and digests included).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordPartition } from '../../src/contract/warehouse-partitions.js';
import { deliveryRows, fileRows, type Lineage } from '../../steps/warehouse/core.js';
import { alert, deliveriesOf, delivery, pipelineDatums } from '../helpers/warehouse-records.js';

const SRC: Lineage = { repo: 'deliveries', path: '/u1-cam1/u1-cam1-r200-20261126T041500Z.json', sha256: 'a'.repeat(64), commit: 'c1' };

test('the deliveries pipeline makes one datum per device and UTC day, whatever names the camera has', async () => {
  // A device whose name looks like a date and a `T`: the date is the one before the incident's last `T`.
  const odd = 'u1-20261125Tcam';
  const datums = await pipelineDatums('deliveries.yaml', [
    { repo: 'validated', path: '/valid/u1-cam1/20261126T041500Z.jpg' },
    { repo: 'validated', path: '/valid/u1-cam1/20261126T235959Z.jpg' },
    { repo: 'validated', path: '/valid/u1-cam1/20261127T000000Z.jpg' },
    { repo: 'validated', path: '/rejected/u1-cam1/20261126T050000Z.json' },
    { repo: 'alerts', path: '/u1-cam1/u1-cam1-r200-20261126T041500Z.json' },
    { repo: 'alerts', path: '/u1-cam1/u1-cam1-r200-20261126T041500Z.jpg' },
    { repo: 'digests', path: '/u1-cam1/u1-cam1-r-5-20261127T000000Z.json' },
    { repo: 'validated', path: `/valid/${odd}/20261126T041500Z.jpg` },
    { repo: 'alerts', path: `/${odd}/${odd}-r200-20261126T041500Z.json` },
    { repo: 'models', path: '/centernet/model.json' },
    { repo: 'rules', path: '/rules.yaml' },
  ]);
  const shown = datums.map((inputs) =>
    inputs
      .filter((i) => i.name !== 'models' && i.name !== 'rules')
      .map((i) => `${i.name}:${i.path}`)
      .sort(),
  );
  assert.deepEqual(shown.sort(), [
    ['alerts:/u1-20261125Tcam/u1-20261125Tcam-r200-20261126T041500Z.json', 'validated:/valid/u1-20261125Tcam/20261126T041500Z.jpg'],
    [
      'alerts:/u1-cam1/u1-cam1-r200-20261126T041500Z.json',
      'validated:/valid/u1-cam1/20261126T041500Z.jpg',
      'validated:/valid/u1-cam1/20261126T235959Z.jpg',
    ],
    ['digests:/u1-cam1/u1-cam1-r-5-20261127T000000Z.json', 'validated:/valid/u1-cam1/20261127T000000Z.jpg'],
  ]);
  assert.ok(
    datums.every((inputs) => inputs.some((i) => i.name === 'models') && inputs.some((i) => i.name === 'rules')),
    'models and rules for their commits',
  );
});

test('a deliveries record becomes one row per notification, resolve and sent digest; a withdrawn one keeps its reason', () => {
  const file = alert('u1-cam1', 200, 'critical', '20261126T041500Z', '20261126T041600Z', 2, [
    delivery('email', 'held', '20261126T041500Z', 40),
    delivery('pagerduty', 'sent', '20261126T041500Z', 90),
  ]);
  const withdrawn = deliveriesOf(file, { at: '2026-11-27T08:00:00.000Z', reason: 'new model commit m2 (was m1)' }).record;
  withdrawn.resolves = [delivery('pagerduty', 'sent', '20261126T041500Z', 3600)];
  withdrawn.digests = [
    { target: 'email-t1', digest: 'digest-u1-2026112604', delivery: delivery('email', 'sent', '20261126T041500Z', 3900) },
    { target: 'webhook-t1', digest: 'digest-u1-2026112604' },
  ];
  const rows = deliveryRows(withdrawn, SRC);
  assert.deepEqual(
    rows.map((r) => [r.kind, r.channel, r.status, r.digest, r.state]),
    [
      ['notification', 'email', 'held', null, 'withdrawn'],
      ['notification', 'pagerduty', 'sent', null, 'withdrawn'],
      ['resolve', 'pagerduty', 'sent', null, 'withdrawn'],
      ['digest', 'email', 'sent', 'digest-u1-2026112604', 'withdrawn'],
    ],
  );
  assert.equal(rows[0]!.withdrawn_reason, 'new model commit m2 (was m1)');
  assert.equal(rows[0]!.withdrawn_at!.toISOString(), '2026-11-27T08:00:00.000Z');
  assert.equal(rows[3]!.last_attempt_at!.toISOString(), '2026-11-26T05:20:00.000Z');

  const silent = deliveryRows({ ...deliveriesOf(file).record, deliveries: [] }, SRC);
  assert.deepEqual(
    silent.map((r) => [r.kind, r.channel, r.state, r.withdrawn_at]),
    [[null, null, 'active', null]],
  );

  // Partitioned by the incident's camera and first frame's UTC day, as alerts are.
  assert.deepEqual(recordPartition('deliveries', SRC.path), { day: '2026-11-26', camera: 'u1-cam1' });
  const checked = fileRows('deliveries', { day: '2026-11-26', camera: 'u1-cam1' }, SRC, JSON.stringify(withdrawn));
  assert.ok('rows' in checked && checked.rows.length === 4);
});
