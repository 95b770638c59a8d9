import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { printRaw } from '../../src/cli/output.js';
import { jobInfoJson, type JobRecord } from '../../src/engine/pps/job-records.js';
import { commitInfoJson, fileInfoJson, repoInfoJson } from '../../src/engine/store/pfs-json.js';
import type { CommitInfo } from '../../src/engine/store/store.js';

// `--raw` prints what `pachctl ... --raw` prints. Followed: pachyderm/pachyderm
// src/internal/cmdutil/util.go (Encoder: serde.WithIndent(2), serde.WithOrigName(true)),
// src/internal/serde/json_encoder.go (EncodeProto: protojson.MarshalOptions{UseProtoNames,
// Indent}, written as is: no newline after a message), serde/yaml_encoder.go (yaml.v3, indent 2,
// a map's keys sorted, documents separated by ---), src/pfs/pfs.proto and src/pps/pps.proto
// (field names and their declaration order; int64 and uint64 as strings, zero values left out).

function printed(objects: unknown[], format?: 'json' | 'yaml'): string {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    chunks.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    printRaw(objects, format);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

const COMMIT: CommitInfo = {
  repo: 'upper',
  id: 'a'.repeat(32),
  branch: 'master',
  parent: 'b'.repeat(32),
  started: '2026-11-26T04:15:00.000Z',
  finished: '2026-11-26T04:15:01.250Z',
  sizeBytes: 1536,
  fileCount: 2,
  provenance: [{ repo: 'raw', id: 'c'.repeat(32) }],
  specCommit: 'd'.repeat(32),
};

test('CommitInfo: proto field names in pfs.proto order, int64 as strings, protojson times, the spec commit in the provenance', () => {
  const json = commitInfoJson(COMMIT);
  assert.deepEqual(Object.keys(json), [
    'commit',
    'origin',
    'parent_commit',
    'started',
    'finishing',
    'finished',
    'direct_provenance',
    'size_bytes_upper_bound',
    'details',
  ]);
  assert.deepEqual(Object.keys(json.commit), ['repo', 'id', 'branch'], 'Commit declares repo, id, branch');
  assert.equal(json.started, '2026-11-26T04:15:00Z', 'a whole second has no fraction');
  assert.equal(json.finished, '2026-11-26T04:15:01.250Z');
  assert.equal(json.size_bytes_upper_bound, '1536');
  assert.deepEqual(json.details, { size_bytes: '1536' });
  assert.deepEqual(
    json.direct_provenance!.map((c) => `${c.repo.type}:${c.repo.name}@${c.id}`),
    [`user:raw@${'c'.repeat(32)}`, `spec:upper@${'d'.repeat(32)}`],
  );
  assert.deepEqual(json.origin, { kind: 'AUTO' });
});

test('zero values are left out, as protojson leaves them out', () => {
  const empty = repoInfoJson({ name: 'raw', created: '2026-11-26T04:15:00.000Z', sizeBytes: 0, branches: [] });
  assert.deepEqual(empty, {
    repo: { name: 'raw', type: 'user', project: { name: 'default' } },
    created: '2026-11-26T04:15:00Z',
    details: {},
  });
  const job = jobInfoJson({
    pipeline: 'upper',
    id: 'e'.repeat(32),
    pipelineVersion: 2,
    state: 'JOB_SUCCESS',
    inputCommits: [],
    dataProcessed: 1,
    dataSkipped: 0,
    dataFailed: 0,
    dataRecovered: 0,
    dataTotal: 1,
    created: '2026-11-26T04:15:00.000Z',
    started: '2026-11-26T04:15:00.000Z',
    pid: 1,
  } as JobRecord);
  assert.equal(job.data_processed, '1');
  assert.equal(job.pipeline_version, '2');
  assert.ok(!('data_skipped' in job), 'cmds_test.go: inspect job --raw | match -v "data_skipped"');
  assert.deepEqual(Object.keys(job.job as object), ['pipeline', 'id']);
});

test('JSON: each message indented by two spaces, one right after another, no newline after the last', () => {
  const file = fileInfoJson(COMMIT, '/a.txt', 3, { path: '/a.txt', sha256: '00'.repeat(32), size: 3 });
  const out = printed([file, file]);
  const one = JSON.stringify(file, null, 2);
  assert.equal(out, one + one);
  assert.match(one, /^\{\n {2}"file": \{\n {4}"commit": \{/);
  assert.match(one, /"file_type": "FILE",\n {2}"committed": "2026-11-26T04:15:01.250Z",\n {2}"size_bytes": "3"/);
  assert.equal(printed([]), '', 'no message, no output');
});

test('YAML (-o yaml): documents separated by ---, keys sorted, indent 2', () => {
  const out = printed([{ b: '1', a: { d: ['x'], c: true } }, { z: 1 }], 'yaml');
  assert.equal(out, 'a:\n  c: true\n  d:\n    - x\nb: "1"\n---\nz: 1\n');
  assert.deepEqual(parse(out.split('---\n')[0]!), { a: { c: true, d: ['x'] }, b: '1' });
});
