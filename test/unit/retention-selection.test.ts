/**
 * Which stored files retention and erasure select (src/cli/retention.ts): whose each file of each
 * repo is and which capture times it covers, frames apart from records, a warehouse partition
 * only once its whole day is past; and a records period shorter than the frames period refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Retention, SubscriptionsFile } from '../../specs/index.js';
import { customerRetention, type FileSelection, ownedFile, selects } from '../../src/cli/retention.js';
import { VigilError } from '../../src/pfs/errors.js';

const T = '20261001T120000Z';
const NOON = new Date('2026-10-01T12:00:00Z');
const INCIDENT = `u1-cam1-r200-${T}`;

test('each repo of the data contract: frames, records, or no customer file', () => {
  const frame = { kind: 'frames', user: 'u1', device: 'cam1', first: NOON, last: NOON };
  const record = { ...frame, kind: 'records' };
  assert.deepEqual(ownedFile('raw', `/u1-cam1/${T}.png`), frame);
  assert.deepEqual(ownedFile('validated', `/valid/u1-cam1/${T}.jpg`), frame);
  assert.deepEqual(ownedFile('alerts', `/u1-cam1/${INCIDENT}.jpg`), frame);
  assert.deepEqual(ownedFile('alerts', `/u1-cam1/${INCIDENT}.json`), record);
  for (const repo of ['detections', 'matches', 'detections-shadow', 'matches-shadow']) {
    assert.deepEqual(ownedFile(repo, `/u1-cam1/${T}.json`), record, repo);
  }
  assert.deepEqual(ownedFile('matches', '/u1-cam1/20261001T120000.250Z.json'), {
    ...record,
    first: new Date('2026-10-01T12:00:00.250Z'),
    last: new Date('2026-10-01T12:00:00.250Z'),
  });
  assert.deepEqual(ownedFile('validated', `/rejected/u1-cam1/${T}.json`), record);
  assert.deepEqual(ownedFile('validated', `/rejected/u1-cam1/${T}/png.json`), record, "a duplicate's rejection");
  assert.deepEqual(ownedFile('deliveries', `/u1-cam1/${INCIDENT}.json`), record);
  assert.deepEqual(ownedFile('digests', `/u1-cam1/${INCIDENT}.json`), record);
  assert.deepEqual(ownedFile('warehouse', '/parquet/matches/day=2026-10-01/camera=u1-cam1/part.parquet'), {
    kind: 'records',
    user: 'u1',
    device: 'cam1',
    first: new Date('2026-10-01T00:00:00Z'),
    last: new Date('2026-10-01T23:59:59.999Z'),
  });
  assert.equal(ownedFile('warehouse', '/parquet/load_errors/day=2026-10-01/camera=u1-cam1/matches.parquet')?.kind, 'records');
  for (const [repo, path] of [
    ['validated', '/rejected/_unparsed/ab.json'],
    ['warehouse', '/parquet/frames_rejected/day=__HIVE_DEFAULT_PARTITION__/camera=__HIVE_DEFAULT_PARTITION__/part.parquet'],
    ['rules', '/subscriptions.yaml'],
    ['models', '/centernet/model.json'],
    ['reports', '/daily/2026-10-01.json'],
    ['feedback', `/u1-cam1/${INCIDENT}.json`],
    ['detections', '/u1-cam1/notatime.json'],
    ['raw', '/loose.jpg'],
  ]) {
    assert.equal(ownedFile(repo!, path!), null, `${repo}:${path}`);
  }
});

test('a selection names a kind, a customer, a camera and times; a partition only when its whole day lies before', () => {
  const partition = ownedFile('warehouse', '/parquet/detections/day=2026-10-01/camera=u1-cam1/part.parquet')!;
  const detection = ownedFile('detections', `/u1-cam1/${T}.json`)!;
  const frame = ownedFile('raw', `/u1-cam1/${T}.jpg`)!;
  const records = (s: Partial<FileSelection>): FileSelection[] => [{ kind: 'records', customer: 'u1', ...s }];
  assert.equal(selects(records({ before: new Date('2026-10-01T12:00:01Z') }), detection), true);
  assert.equal(selects(records({ before: NOON }), detection), false, 'before is exclusive');
  assert.equal(selects(records({ before: new Date('2026-10-01T12:00:01Z') }), partition), false, 'half of its day is not past');
  assert.equal(selects(records({ before: new Date('2026-10-02T00:00:00Z') }), partition), true);
  assert.equal(selects(records({ before: new Date('2027-01-01') }), frame), false, 'records never select frames');
  assert.equal(selects([{ kind: 'frames', customer: 'u1', before: new Date('2027-01-01') }], detection), false);
  assert.equal(selects(records({ customer: 'u2' }), detection), false);
  assert.equal(selects(records({ camera: 'cam2' }), detection), false);
  assert.equal(selects(records({ camera: 'cam1', from: new Date('2026-10-01'), to: new Date('2026-10-02') }), partition), true);
  assert.equal(selects(records({ from: new Date('2026-10-01T06:00:00Z') }), partition), false);
});

test('retention periods per customer; records kept shorter than the frames they are made from is a problem', () => {
  const doc = (retention: Retention): SubscriptionsFile => ({
    users: [{ id: 'u1', retention, devices: [{ id: 'cam1', rules: [] }] }],
  });
  const [ok] = customerRetention(doc({ frames: '30d', records: '2y' }), 'subscriptions.yaml');
  assert.deepEqual(ok, { user: 'u1', frames: { text: '30d', ms: 30 * 86_400_000 }, records: { text: '2y', ms: 730 * 86_400_000 } });
  assert.deepEqual(customerRetention(doc({}), 'subscriptions.yaml'), []);
  assert.equal(
    customerRetention(doc({ records: '1d' }), 'subscriptions.yaml')[0]!.problem,
    undefined,
    'no frames period: nothing to compare',
  );
  assert.equal(
    customerRetention(doc({ frames: '6w', records: '30d' }), 'subscriptions.yaml')[0]!.problem,
    'subscriptions.yaml, user u1: retention.records 30d is shorter than retention.frames 6w: records are made from frames, so they must be kept at least as long',
  );
  assert.throws(
    () => customerRetention(doc({ frames: '30d', records: '2 years' }), 'subscriptions.yaml'),
    (e: unknown) => e instanceof VigilError && /user u1, retention\.records: "2 years" is not a period/.test(e.message),
  );
});
