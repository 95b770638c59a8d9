/**
 * `vigil step warehouse` as a child process, one datum per process on a PFS_ROOT laid out as
 * the engine lays the real spec's group datums: one Parquet partition per table, camera and UTC
 * day, load errors beside them, files with the warehouse's exact columns, partitions that plain
 * DuckDB reads back unchanged, and a datum of 100,000 record files under a small open-file limit.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, link, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir } from '../helpers/cli.js';
import { detection, runWarehouseStep, sampleRecords, type InputFile } from '../helpers/warehouse-records.js';

let dir: string;
let datums: number;
const files: InputFile[] = [
  ...sampleRecords(),
  // Broken files beside good ones: recorded, never fatal.
  { repo: 'detections', path: '/u1-cam1/20261126T235959Z.json', text: '{"truncated": ' },
  { repo: 'detections', path: '/u2-door/notes.json', text: 'not json' },
];

before(async () => {
  dir = await tempDir('vigil-warehouse-step-');
  datums = await runWarehouseStep(dir, files);
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

async function query(sql: string, params?: Record<string, string>): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql, params)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const parquet = (...parts: string[]) => join(dir, 'out', 'parquet', ...parts);

test('the step writes one partition per table, UTC day and camera, load errors beside them, unparsed rejections apart', async () => {
  assert.equal(datums, 28);
  const written = await filesUnder(join(dir, 'out'));
  const unparsed = written.filter((f) => f.includes('__HIVE_DEFAULT_PARTITION__'));
  assert.deepEqual(
    written.filter((f) => !unparsed.includes(f)),
    [
      'parquet/alerts/day=2026-11-26/camera=u007-cam01/part.parquet',
      'parquet/alerts/day=2026-11-26/camera=u1-cam1/part.parquet',
      'parquet/alerts/day=2026-11-26/camera=u1-cam2/part.parquet',
      'parquet/alerts/day=2026-11-26/camera=u2-door/part.parquet',
      'parquet/alerts/day=2026-11-27/camera=u007-cam01/part.parquet',
      'parquet/alerts/day=2026-11-27/camera=u1-cam1/part.parquet',
      'parquet/deliveries/day=2026-11-26/camera=u007-cam01/part.parquet',
      'parquet/deliveries/day=2026-11-26/camera=u1-cam1/part.parquet',
      'parquet/deliveries/day=2026-11-26/camera=u1-cam2/part.parquet',
      'parquet/deliveries/day=2026-11-27/camera=u007-cam01/part.parquet',
      'parquet/deliveries/day=2026-11-27/camera=u1-cam1/part.parquet',
      'parquet/detections/day=2026-11-26/camera=u007-cam01/part.parquet',
      'parquet/detections/day=2026-11-26/camera=u1-cam1/part.parquet',
      'parquet/detections/day=2026-11-26/camera=u1-cam2/part.parquet',
      'parquet/detections/day=2026-11-26/camera=u2-door/part.parquet',
      'parquet/detections/day=2026-11-27/camera=u007-cam01/part.parquet',
      'parquet/detections/day=2026-11-27/camera=u1-cam1/part.parquet',
      'parquet/frames_rejected/day=2026-11-26/camera=u1-cam1/part.parquet',
      'parquet/frames_rejected/day=2026-11-26/camera=u2-door/part.parquet',
      'parquet/frames_rejected/day=2026-11-27/camera=u007-cam01/part.parquet',
      'parquet/load_errors/day=2026-11-26/camera=u1-cam1/detections.parquet',
      'parquet/matches/day=2026-11-26/camera=u007-cam01/part.parquet',
      'parquet/matches/day=2026-11-26/camera=u1-cam1/part.parquet',
      'parquet/matches/day=2026-11-26/camera=u1-cam2/part.parquet',
      'parquet/matches/day=2026-11-26/camera=u2-door/part.parquet',
      'parquet/matches/day=2026-11-27/camera=u007-cam01/part.parquet',
      'parquet/matches/day=2026-11-27/camera=u1-cam1/part.parquet',
    ],
  );
  // The unparsed rejection and the stray notes.json name no camera or day: files of their own in the NULL partition.
  assert.equal(unparsed.length, 2);
  assert.match(
    unparsed.join('\n'),
    /^parquet\/frames_rejected\/day=__HIVE_DEFAULT_PARTITION__\/camera=__HIVE_DEFAULT_PARTITION__\/part-[0-9a-f]{16}\.parquet\nparquet\/load_errors\/day=__HIVE_DEFAULT_PARTITION__\/camera=__HIVE_DEFAULT_PARTITION__\/detections-[0-9a-f]{16}\.parquet$/,
  );
});

test('each partition holds its camera-day rows with the lineage of the record file they came from', async () => {
  const file = parquet('detections', 'day=2026-11-26', 'camera=u1-cam1', 'part.parquet');
  const rows = await query(
    `SELECT path, label, strftime(captured_at, '%Y-%m-%dT%H:%M:%S') AS at, repo, sha256, commit FROM read_parquet($file, hive_partitioning = false) ORDER BY path, object_index`,
    { file },
  );
  assert.deepEqual(
    rows.map((r) => [r.path, r.label, r.at]),
    [
      ['/u1-cam1/20261126T041500Z.json', 'person', '2026-11-26T04:15:00'],
      ['/u1-cam1/20261126T041500Z.json', 'person', '2026-11-26T04:15:00'],
      ['/u1-cam1/20261126T041600Z.json', 'person', '2026-11-26T04:16:00'],
      ['/u1-cam1/20261126T042000Z.json', null, '2026-11-26T04:20:00'],
      ['/u1-cam1/20261126T130500Z.json', 'car', '2026-11-26T13:05:00'],
    ],
  );
  const lineage = rows.find((r) => r.path === '/u1-cam1/20261126T041600Z.json')!;
  assert.deepEqual([lineage.repo, lineage.commit], ['detections', 'c0001']);
  const original = sampleRecords().find((f) => f.repo === 'detections' && f.path === '/u1-cam1/20261126T041600Z.json')!;
  assert.equal(lineage.sha256, sha256(`${JSON.stringify(original.record, null, 2)}\n`));

  const rejected = await query(`SELECT path, code FROM read_parquet($file, hive_partitioning = false) ORDER BY path, reason_index`, {
    file: parquet('frames_rejected', 'day=2026-11-26', 'camera=u1-cam1', 'part.parquet'),
  });
  assert.deepEqual(
    rejected.map((r) => [r.path, r.code]),
    [
      ['/rejected/u1-cam1/20261126T050000Z.json', 'resolution'],
      ['/rejected/u1-cam1/20261126T050000Z.json', 'contrast'],
      ['/rejected/u1-cam1/20261126T051000Z.json', 'contrast'],
    ],
  );
  const errors = await query(`SELECT table_name, path, reason FROM read_parquet($file, hive_partitioning = false)`, {
    file: parquet('load_errors', 'day=2026-11-26', 'camera=u1-cam1', 'detections.parquet'),
  });
  assert.deepEqual(
    errors.map((e) => [e.table_name, e.path]),
    [['detections', '/u1-cam1/20261126T235959Z.json']],
  );
  assert.match(errors[0].reason as string, /^not JSON/);
});

test('the Parquet files have exactly the columns and types of warehouse/tables.sql', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(await readFile(join(packageRoot(), 'warehouse', 'tables.sql'), 'utf8'));
    for (const table of ['detections', 'matches', 'frames_rejected', 'alerts', 'load_errors']) {
      const file = parquet(table, 'day=2026-11-26', 'camera=u1-cam1', table === 'load_errors' ? 'detections.parquet' : 'part.parquet');
      const described = (
        await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet($file, hive_partitioning = false)`, { file })
      ).getRowObjectsJson();
      const declared = (await connection.runAndReadAll(`DESCRIBE ${table}`)).getRowObjectsJson();
      assert.deepEqual(
        described.map((c) => [c.column_name, c.column_type]),
        declared.map((c) => [c.column_name, c.column_type]),
        table,
      );
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

test("DuckDB's default hive partitioning gives exactly the records' values, plus day and camera", async () => {
  for (const table of ['detections', 'matches', 'frames_rejected', 'alerts', 'load_errors']) {
    // With DuckDB's defaults (hive partitioning on, partition types guessed) and with the files read as they are.
    const glob = parquet(table, '**', '*.parquet');
    const withKeys = await query(`SELECT * FROM read_parquet($glob) ORDER BY ALL`, { glob });
    const plain = await query(`SELECT * FROM read_parquet($glob, hive_partitioning = false) ORDER BY ALL`, { glob });
    assert.ok(plain.length > 0, table);
    assert.deepEqual(withKeys.map(({ day, camera, ...own }) => own).sort(byJson), plain.sort(byJson), table);
  }
  const cam01 = await query(
    `SELECT DISTINCT user, device, camera, typeof(camera) AS camera_type, strftime(day, '%Y-%m-%d') AS day, typeof(day) AS day_type
     FROM read_parquet($glob) WHERE camera = 'u007-cam01' ORDER BY day`,
    { glob: parquet('matches', '**', '*.parquet') },
  );
  assert.deepEqual(cam01, [
    { user: 'u007', device: 'cam01', camera: 'u007-cam01', camera_type: 'VARCHAR', day: '2026-11-26', day_type: 'DATE' },
    { user: 'u007', device: 'cam01', camera: 'u007-cam01', camera_type: 'VARCHAR', day: '2026-11-27', day_type: 'DATE' },
  ]);
  // The unparsed rejection reads back with NULL keys, as its NULL user, device and time.
  const unparsed = await query(`SELECT user, device, captured_at, day, camera, code FROM read_parquet($glob) WHERE code = 'name'`, {
    glob: parquet('frames_rejected', '**', '*.parquet'),
  });
  assert.deepEqual(unparsed, [{ user: null, device: null, captured_at: null, day: null, camera: null, code: 'name' }]);
});

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

/** Runs the step under `ulimit -n <limit>` on one datum rooted at `root`; resolves with its exit code and stderr. */
function stepUnderLimit(root: string, input: string, limit: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'sh',
      ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, join(packageRoot(), 'bin', 'vigil.js'), 'step', 'warehouse'],
      {
        env: { ...process.env, PFS_ROOT: root, [input]: join(root, input), [`${input}_COMMIT`]: 'c0001' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const deadline = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stderr });
    });
  });
}

test('a datum of 100,000 record files loads with at most 64 files open', { timeout: 300_000 }, async () => {
  const root = await tempDir('vigil-warehouse-100k-');
  const camera = join(root, 'detections', 'u1-cam1');
  await mkdir(camera, { recursive: true });
  // One record's bytes under 100,000 frame names of the same camera and day, 0.8 s apart (hard links: quick to make).
  const first = join(camera, '20261126T000000Z.json');
  await writeFile(first, JSON.stringify(detection('u1-cam1', '20261126T000000Z', [['person', 0.9]]).record));
  const midnight = Date.UTC(2026, 10, 26);
  // A file takes at most 65,000 links on ext4: a new source every 50,000.
  let source = first;
  for (let i = 1; i < 100_000; i++) {
    const file = join(camera, `${formatTimestamp(new Date(midnight + i * 800))}.json`);
    if (i % 50_000 === 0) {
      await copyFile(first, file);
      source = file;
    } else {
      await link(source, file);
    }
  }
  // The limit is real: a process opening 100 files at once fails under it.
  const greedy = await new Promise<string>((resolve) => {
    const child = spawn(
      'sh',
      [
        '-c',
        `ulimit -n 64 && exec "$0" -e "$1"`,
        process.execPath,
        `const fs=require('fs');for(let i=0;i<100;i++)fs.openSync(${JSON.stringify(first)},'r')`,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('close', () => resolve(err));
  });
  assert.match(greedy, /EMFILE/);

  const { code, stderr } = await stepUnderLimit(root, 'detections', 64);
  assert.equal(code, 0, stderr);
  const [{ rows, files, day }] = await query(
    `SELECT count(*)::INTEGER AS rows, count(DISTINCT path)::INTEGER AS files, min(strftime(day, '%Y-%m-%d')) AS day FROM read_parquet($file)`,
    { file: join(root, 'out', 'parquet', 'detections', 'day=2026-11-26', 'camera=u1-cam1', 'part.parquet') },
  );
  assert.deepEqual({ rows, files, day }, { rows: 100_000, files: 100_000, day: '2026-11-26' });
});
