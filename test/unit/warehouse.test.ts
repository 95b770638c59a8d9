/**
 * The `warehouse` stage's pure parts: records to rows, the partition of a datum and of each
 * row, where a datum's files go, the datums the real specs make of known records, and the specs
 * themselves. The step as a process is test/e2e/warehouse-step.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePipelineSpecs, readPipelineSpecs } from '../../src/engine/pps/spec.js';
import { PARTITION_KEYS, parsePartitionFile, partitionFolder, recordPartition } from '../../src/contract/warehouse-partitions.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { warehouseTables } from '../../steps/report/warehouse-db.js';
import {
  alertRows,
  datumPartition,
  detectionRows,
  fileRows,
  matchRows,
  outputPaths,
  rejectionRows,
  unionBranch,
  type Lineage,
} from '../../steps/warehouse/core.js';
import {
  alert,
  delivery,
  detection,
  match,
  night,
  pipelineDatums,
  rejection,
  sampleRecords,
  sampleRules,
} from '../helpers/warehouse-records.js';

const SRC: Lineage = { repo: 'detections', path: '/u1-cam1/20261126T041500Z.json', sha256: 'a'.repeat(64), commit: 'c1' };

test('a detection becomes one row per object, each with the frame, model and record lineage', () => {
  const d = detection('u1-cam1', '20261126T041500Z', [
    ['person', 0.91],
    ['dog', 0.5],
  ]).record;
  const rows = detectionRows(d, SRC);
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((r) => [r.object_index, r.label, r.class_id, r.score]),
    [
      [0, 'person', 0, 0.91],
      [1, 'dog', 16, 0.5],
    ],
  );
  assert.equal(rows[0].captured_at.toISOString(), '2026-11-26T04:15:00.000Z');
  assert.equal(rows[1].box_x, 0.1);
  assert.equal(rows[0].frame_path, '/valid/u1-cam1/20261126T041500Z.jpg');
  assert.equal(rows[0].model_name, 'centernet');
  assert.deepEqual([rows[1].repo, rows[1].path, rows[1].sha256, rows[1].commit], [SRC.repo, SRC.path, SRC.sha256, SRC.commit]);
});

test('a frame with no object (or an unreadable one) is kept as one row with a null label', () => {
  const d = detection('u2-door', '20261126T221230.500Z', [], 'decode failed').record;
  const [row, ...rest] = detectionRows(d, SRC);
  assert.equal(rest.length, 0);
  assert.equal(row.label, null);
  assert.equal(row.object_index, null);
  assert.equal(row.error, 'decode failed');
  assert.equal(row.captured_at.toISOString(), '2026-11-26T22:12:30.500Z');
});

test('a match becomes one row per fired rule, with its labels, zones and alert channels', () => {
  const m = sampleRecords().find((f) => f.repo === 'matches')!.record;
  const rows = matchRows(m, { ...SRC, repo: 'matches' });
  assert.deepEqual(
    rows.map((r) => [r.rule_id, r.rule_name, r.severity, r.objects]),
    [
      [200, 'person at night', 'critical', 2],
      [300, 'any person', 'info', 1],
    ],
  );
  assert.deepEqual(rows[0].labels, ['person']);
  assert.deepEqual(rows[0].zones, ['yard']);
  assert.deepEqual(rows[1].zones, []);
  assert.equal(rows[0].max_score, 0.91);
  assert.deepEqual(rows[0].channels, ['email', 'webhook']);
  assert.equal(rows[0].detection_path, '/u1-cam1/20261126T041500Z.json');
});

test('a rejection becomes one row per reason; an unparsable name keeps null user and time', () => {
  const r = rejection('u1-cam1', '20261126T050000Z', ['resolution', 'contrast']).record;
  const rows = rejectionRows(r, SRC);
  assert.deepEqual(
    rows.map((x) => [x.reason_index, x.code, x.measured, x.limit_value]),
    [
      [0, 'resolution', '320x200', '640x480'],
      [1, 'contrast', '3.5', '10'],
    ],
  );
  const unparsed = rejectionRows(rejection(null, null, ['name']).record, SRC);
  assert.deepEqual([unparsed[0].user, unparsed[0].device, unparsed[0].captured_at, unparsed[0].code], [null, null, null, 'name']);
});

test('an alert becomes one row per delivery outcome; an incident with no target still has one row', () => {
  const a = alert('u1-cam1', 200, 'critical', '20261126T041500Z', '20261126T041600Z', 2, [
    delivery('email', 'sent', '20261126T041500Z', 40),
    delivery('pagerduty', 'failed', '20261126T041500Z', 90),
  ]).record;
  const rows = alertRows(a, SRC);
  assert.deepEqual(
    rows.map((r) => [r.channel, r.status, r.attempts, r.response_status]),
    [
      ['email', 'sent', 1, 202],
      ['pagerduty', 'failed', 3, 500],
    ],
  );
  assert.equal(rows[0].last_attempt_at!.toISOString(), '2026-11-26T04:15:40.000Z');
  assert.equal(rows[1].first_attempt_at!.toISOString(), '2026-11-26T04:16:10.000Z');
  assert.equal(rows[0].incident_id, 'u1-cam1-r200-20261126T041500Z');
  const none = alertRows({ ...a, deliveries: [] }, SRC);
  assert.equal(none.length, 1);
  assert.deepEqual([none[0].channel, none[0].status, none[0].frame_count], [null, null, 2]);
});

const U1_CAM1_26 = { day: '2026-11-26', camera: 'u1-cam1' };

test('bad record files are load errors naming the file and the problem', () => {
  const good = sampleRecords().find((f) => f.repo === 'detections')!;
  const rows = fileRows('detections', U1_CAM1_26, { ...SRC, path: good.path }, JSON.stringify(good.record));
  assert.ok('rows' in rows && rows.rows.length === 2);
  const error = (path: string, text: string) => {
    const r = fileRows('detections', U1_CAM1_26, { ...SRC, path }, text);
    return 'error' in r ? r.error : null;
  };
  assert.match(error('/u1-cam1/broken.json', '{"user": ')!, /^not JSON/);
  assert.match(error('/u1-cam1/other.json', JSON.stringify({ user: 'u1' }))!, /\/u1-cam1\/other\.json: missing field "device"/);
  assert.equal(error('/u1-cam1/notes.txt', 'hello'), 'not a .json record file');
});

test('a record of another camera or day than its path names is a load error, never a row in the wrong partition', () => {
  const late = detection('u1-cam1', '20261127T000500Z', [['person', 0.9]]);
  assert.equal(
    (
      fileRows('detections', U1_CAM1_26, { ...SRC, path: '/u1-cam1/20261126T235959Z.json' }, JSON.stringify(late.record)) as {
        error: string;
      }
    ).error,
    'the record is of camera u1-cam1, day 2026-11-27 but its path names camera u1-cam1, day 2026-11-26',
  );
  const other = detection('u1-cam2', '20261126T041500Z', []);
  assert.match(
    (fileRows('detections', U1_CAM1_26, SRC, JSON.stringify(other.record)) as { error: string }).error,
    /is of camera u1-cam2, day 2026-11-26 but its path names camera u1-cam1/,
  );
  // A rejection that names no camera belongs in the NULL partition only.
  const unparsed = rejection(null, null, ['name']);
  const src = { ...SRC, repo: 'validated', path: unparsed.path };
  assert.ok('rows' in fileRows('validated', { day: null, camera: null }, src, JSON.stringify(unparsed.record)));
  assert.match(
    (fileRows('validated', U1_CAM1_26, src, JSON.stringify(unparsed.record)) as { error: string }).error,
    /is of no camera and no day but its path names camera u1-cam1/,
  );
});

test("a record file's partition comes from its path: the frame's camera and UTC day, an incident's first frame", () => {
  assert.deepEqual(recordPartition('detections', '/u1-cam1/20261126T235959.900Z.json'), U1_CAM1_26);
  assert.deepEqual(recordPartition('matches', '/u007-cam01/20261127T000000Z.json'), { day: '2026-11-27', camera: 'u007-cam01' });
  assert.deepEqual(recordPartition('validated', '/rejected/u1-cam1/20261126T050000Z.json'), U1_CAM1_26);
  assert.deepEqual(recordPartition('alerts', '/u1-cam1/u1-cam1-r-5-20261126T041500Z.json'), U1_CAM1_26);
  assert.equal(recordPartition('alerts', '/u1-cam2/u1-cam1-r200-20261126T041500Z.json'), null);
  assert.equal(recordPartition('validated', `/rejected/_unparsed/${'a'.repeat(64)}.json`), null);
  assert.equal(recordPartition('detections', '/u1-cam1/notes.json'), null);
  assert.equal(recordPartition('detections', '/u1-cam1/20260230T000000Z.json'), null);
});

test('a datum is one partition; its files go to part.parquet, or to files of their own in the NULL partition', () => {
  assert.deepEqual(datumPartition('detections', ['/u1-cam1/20261126T041500Z.json', '/u1-cam1/notes.json']), U1_CAM1_26);
  assert.deepEqual(datumPartition('validated', [`/rejected/_unparsed/${'a'.repeat(64)}.json`]), { day: null, camera: null });
  assert.throws(
    () => datumPartition('matches', ['/u1-cam1/20261126T041500Z.json', '/u1-cam1/20261127T041500Z.json']),
    /one datum of matches holds files of two partitions \(camera u1-cam1, day 2026-11-26; camera u1-cam1, day 2026-11-27\)/,
  );
  assert.deepEqual(outputPaths('matches', U1_CAM1_26, '/u1-cam1/20261126T041500Z.json'), {
    rows: '/parquet/matches/day=2026-11-26/camera=u1-cam1/part.parquet',
    loadErrors: '/parquet/load_errors/day=2026-11-26/camera=u1-cam1/matches.parquet',
  });
  const nulls = outputPaths('validated', { day: null, camera: null }, `/rejected/_unparsed/${'a'.repeat(64)}.json`);
  assert.match(
    nulls.rows,
    /^\/parquet\/frames_rejected\/day=__HIVE_DEFAULT_PARTITION__\/camera=__HIVE_DEFAULT_PARTITION__\/part-[0-9a-f]{16}\.parquet$/,
  );
  assert.notEqual(nulls.rows, outputPaths('validated', { day: null, camera: null }, `/rejected/_unparsed/${'b'.repeat(64)}.json`).rows);
  assert.deepEqual(parsePartitionFile(nulls.rows)?.partition, { day: null, camera: null });
  assert.deepEqual(parsePartitionFile('/parquet/alerts/day=2026-11-26/camera=u007-cam01/part.parquet'), {
    table: 'alerts',
    partition: { day: '2026-11-26', camera: 'u007-cam01' },
    file: 'part.parquet',
  });
  assert.equal(parsePartitionFile('/parquet/alerts/device=u1-cam1/part.parquet'), null);
  assert.equal(partitionFolder('detections', U1_CAM1_26), '/parquet/detections/day=2026-11-26/camera=u1-cam1');
});

test('the partition keys never name a column of a table, so a reader that adds them changes no value', async () => {
  const keys: string[] = PARTITION_KEYS.map((k) => k.name);
  for (const table of await warehouseTables()) {
    const own = table.columns.slice(0, -keys.length).map((c) => c.name);
    assert.deepEqual(
      own.filter((c) => keys.includes(c)),
      [],
      table.name,
    );
    assert.deepEqual(
      table.columns.slice(-keys.length).map((c) => c.name),
      keys,
    );
    assert.ok(table.comment, `${table.name} has a comment`);
    assert.deepEqual(
      table.columns.filter((c) => !c.comment).map((c) => c.name),
      [],
      `every column of ${table.name} has a comment`,
    );
  }
});

test("a datum's union branch is the one input variable set", () => {
  assert.equal(unionBranch({ PFS_ROOT: '/pfs', matches: '/pfs/matches/u1-cam1', matches_COMMIT: 'abc' }), 'matches');
  assert.equal(unionBranch({ validated: '/pfs/validated/rejected/u1-cam1' }), 'validated');
  assert.throws(
    () => unionBranch({ PFS_ROOT: '/pfs' }),
    /names exactly one of detections, matches, alerts, deliveries, validated; this one names none/,
  );
  assert.throws(() => unionBranch({ alerts: '/a', matches: '/m' }), /this one names matches, alerts/);
});

test('the real specs make one warehouse datum per kind of record, camera and UTC day, and one reports datum per day', async () => {
  const files = sampleRecords();
  const datums = await pipelineDatums('warehouse.yaml', files);
  const describe = (inputs: Array<{ name: string; path: string }>) => `${inputs[0].name} ${inputs.map((i) => i.path).join(' ')}`;
  // 37 record files: detections, matches and alerts of 6 camera-days each, deliveries of the 5
  // camera-days with a notified incident, rejections of 3 plus the unparsed one.
  assert.equal(datums.length, 27);
  assert.ok(
    datums
      .map(describe)
      .includes(
        'detections /u1-cam1/20261126T041500Z.json /u1-cam1/20261126T041600Z.json /u1-cam1/20261126T042000Z.json /u1-cam1/20261126T130500Z.json',
      ),
  );
  assert.ok(
    datums
      .map(describe)
      .includes('alerts /u007-cam01/u007-cam01-r200-20261127T000030Z.json /u007-cam01/u007-cam01-r310-20261127T000030Z.json'),
  );
  for (const inputs of datums) {
    const partitions = new Set(inputs.map((i) => JSON.stringify(recordPartition(i.name, i.path))));
    assert.equal(partitions.size, 1, describe(inputs));
  }

  // Each day's partition folders of every table make one reports datum, with the rules repo; the NULL partition none.
  const parquet = [
    'parquet/detections/day=2026-11-26/camera=u1-cam1/part.parquet',
    'parquet/matches/day=2026-11-26/camera=u2-door/part.parquet',
    'parquet/detections/day=2026-11-27/camera=u1-cam1/part.parquet',
    'parquet/load_errors/day=2026-11-27/camera=u1-cam1/detections.parquet',
    'parquet/frames_rejected/day=__HIVE_DEFAULT_PARTITION__/camera=__HIVE_DEFAULT_PARTITION__/part-0123456789abcdef.parquet',
  ].map((path) => ({ repo: 'warehouse', path: `/${path}` }));
  const days = await pipelineDatums('reports.yaml', [...parquet, ...sampleRules()]);
  const of = (inputs: Array<{ name: string; path: string }>, name: string) =>
    inputs
      .filter((i) => i.name === name)
      .map((i) => i.path)
      .sort();
  assert.deepEqual(days.map((inputs) => of(inputs, 'warehouse')).sort(), [
    ['/parquet/detections/day=2026-11-26/camera=u1-cam1/part.parquet', '/parquet/matches/day=2026-11-26/camera=u2-door/part.parquet'],
    [
      '/parquet/detections/day=2026-11-27/camera=u1-cam1/part.parquet',
      '/parquet/load_errors/day=2026-11-27/camera=u1-cam1/detections.parquet',
    ],
  ]);
  for (const inputs of days) assert.deepEqual(of(inputs, 'rules'), ['/subscriptions.yaml']);
});

test('a new frame on a camera with a long history changes one warehouse datum per table it touches', async () => {
  // 30 days of u1-cam1, a frame an hour with a match every fourth frame.
  const history = [];
  for (let day = 1; day <= 30; day++) {
    for (let hour = 0; hour < 24; hour++) {
      const ts = `202611${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}0000Z`;
      history.push(detection('u1-cam1', ts, [['person', 0.9]]));
      if (hour % 4 === 0) history.push(match('u1-cam1', ts, [night([['person', 0.9]])]));
    }
  }
  const ts = '20261130T233000Z';
  const frame = [detection('u1-cam1', ts, [['person', 0.93]]), match('u1-cam1', ts, [night([['person', 0.93]])])];
  const key = (inputs: Array<{ name: string; path: string }>) => JSON.stringify(inputs);
  const before = new Set((await pipelineDatums('warehouse.yaml', history)).map(key));
  const after = await pipelineDatums('warehouse.yaml', [...history, ...frame]);
  assert.equal(before.size, 60);
  assert.equal(after.length, 60);
  assert.deepEqual(
    after
      .filter((inputs) => !before.has(key(inputs)))
      .map((inputs) => [inputs[0].name, inputs.length])
      .sort(),
    [
      ['detections', 25],
      ['matches', 7],
    ],
  );
});

test("the pipeline specs pass Pachyderm's CreatePipelineRequest schema and wire the stages as documented", async () => {
  const [warehouse] = await readPipelineSpecs(join(packageRoot(), 'pipelines', 'warehouse.yaml'));
  assert.equal(warehouse.name, 'warehouse');
  assert.deepEqual(warehouse.transform.cmd, ['vigil', 'step', 'warehouse']);
  assert.equal(warehouse.transform.image, 'vigil/vigil:0.1.0');
  assert.equal(warehouse.transform.datumBatching, true);
  assert.ok('union' in warehouse.input);
  assert.deepEqual(
    warehouse.input.union.map((i) =>
      'group' in i && 'pfs' in i.group[0] ? [i.group[0].pfs.name, i.group[0].pfs.repo, i.group[0].pfs.glob, i.group[0].pfs.groupBy] : null,
    ),
    [
      ['detections', 'detections', '/(*)/(????)(??)(??)*', '$1-$2$3$4'],
      ['matches', 'matches', '/(*)/(????)(??)(??)*', '$1-$2$3$4'],
      ['alerts', 'alerts', '/(*)/*-(????)(??)(??)T*.json', '$1-$2$3$4'],
      ['deliveries', 'deliveries', '/(*)/*-(????)(??)(??)T*.json', '$1-$2$3$4'],
      ['validated', 'validated', '/rejected/(*)/(????)(??)(??)*', '$1-$2$3$4'],
    ],
  );
  // The same check rejects a misspelt field: the schema is really applied.
  const text = await readFile(join(packageRoot(), 'pipelines', 'warehouse.yaml'), 'utf8');
  assert.throws(() => parsePipelineSpecs(text.replace('datumBatching', 'datumBatchin'), 'warehouse.yaml'), /unknown field/);
  const [reports] = await readPipelineSpecs(join(packageRoot(), 'pipelines', 'reports.yaml'));
  assert.equal(reports.name, 'reports');
  assert.deepEqual(reports.transform.cmd, ['vigil', 'step', 'report']);
  assert.equal(reports.transform.image, 'vigil/vigil:0.1.0');
  assert.ok('cross' in reports.input);
  const [days, rules] = reports.input.cross;
  assert.deepEqual(
    'group' in days! && 'pfs' in days.group[0] && [days.group[0].pfs.repo, days.group[0].pfs.glob, days.group[0].pfs.groupBy],
    ['warehouse', '/parquet/*/day=(????-??-??)', '$1'],
  );
  assert.deepEqual('pfs' in rules! && [rules.pfs.repo, rules.pfs.glob], ['rules', '/subscriptions.yaml']);
});
