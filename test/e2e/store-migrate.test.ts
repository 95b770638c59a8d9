import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datumId } from '../../src/engine/datum/create.js';
import { parsePipelineSpecs } from '../../src/engine/pps/spec.js';
import { type FileEntry, Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { parseRaw } from '../helpers/engine.js';

/**
 * A store as the previous vigil wrote it (format 1): each commit record names a manifest object,
 * the commit's whole tree as one JSON array of {path, sha256, size} sorted by path.
 */
interface OldStore {
  root: string;
  /** Per commit id: its files, path → content. */
  commits: Map<string, Map<string, string>>;
  order: string[];
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Objects written so far, by content: each is written once. */
const written = new Map<string, string>();

async function writeObject(root: string, data: string): Promise<string> {
  const known = written.get(`${root}\0${data}`);
  if (known) return known;
  const id = sha(data);
  await writeFile(join(root, 'objects', id.slice(0, 2), id.slice(2)), data, { mode: 0o444 });
  written.set(`${root}\0${data}`, id);
  return id;
}

/** `commitCount` commits on raw@master, each adding `perCommit` frames over 20 cameras (and deleting one). */
async function writeFormat1Store(commitCount: number, perCommit: number): Promise<OldStore> {
  const root = join(await tempDir('vigil-migrate-'), 'store');
  await mkdir(join(root, 'tmp'), { recursive: true });
  for (let d = 0; d < 256; d++) await mkdir(join(root, 'objects', d.toString(16).padStart(2, '0')), { recursive: true });
  await mkdir(join(root, 'repos', 'raw', 'commits'), { recursive: true });
  await mkdir(join(root, 'repos', 'raw', 'branches'), { recursive: true });
  await writeFile(join(root, 'repos', 'raw', 'repo.json'), JSON.stringify({ name: 'raw', created: '2026-11-26T00:00:00.000Z' }));
  const commits = new Map<string, Map<string, string>>();
  const order: string[] = [];
  const files = new Map<string, string>();
  let parent: string | null = null;
  for (let c = 0; c < commitCount; c++) {
    for (let i = 0; i < perCommit; i++)
      files.set(`/u${i % 20}-cam1/20261126T${String(c * perCommit + i).padStart(6, '0')}Z.jpg`, `frame ${c}.${i % 7}`);
    if (c > 0) files.delete([...files.keys()][c]!);
    const manifest = [];
    for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      manifest.push({ path, sha256: await writeObject(root, content), size: Buffer.byteLength(content) });
    }
    const tree = await writeObject(root, JSON.stringify(manifest));
    const id = sha(`commit ${c}`).slice(0, 32);
    const record = {
      repo: 'raw',
      id,
      branch: 'master',
      parent,
      started: new Date(Date.UTC(2026, 10, 26, 0, c)).toISOString(),
      finished: new Date(Date.UTC(2026, 10, 26, 0, c, 1)).toISOString(),
      sizeBytes: manifest.reduce((sum, e) => sum + e.size, 0),
      provenance: [],
      tree,
    };
    await writeFile(join(root, 'repos', 'raw', 'commits', `${id}.json`), `${JSON.stringify(record, null, 2)}\n`);
    commits.set(id, new Map(files));
    order.push(id);
    parent = id;
  }
  await writeFile(join(root, 'repos', 'raw', 'branches', 'master'), `${parent}\n`);
  await writeFile(join(root, 'store.json'), `${JSON.stringify({ format: 1, created: '2026-11-26T00:00:00.000Z' })}\n`);
  return { root, commits, order };
}

/** Runs `vigil migrate` and SIGKILLs it once it has printed `afterLines` conversions. */
function migrateKilledAfter(root: string, afterLines: number): Promise<{ killed: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'migrate', '--root', root], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if ((stdout.match(/converted/g) ?? []).length >= afterLines) child.kill('SIGKILL');
    });
    const deadline = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(deadline);
      resolve({ killed: signal === 'SIGKILL', stdout, stderr });
    });
  });
}

async function recordsOf(root: string): Promise<Record<string, unknown>[]> {
  const dir = join(root, 'repos', 'raw', 'commits');
  return Promise.all((await readdir(dir)).map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8'))));
}

test('vigil migrate upgrades a format 1 store in place; killed half-way it finishes on the next run; every other verb refuses until then', async () => {
  const old = await writeFormat1Store(30, 400);
  const refusal = new RegExp(
    `the store ${old.root} was written by an older vigil \\(format 1\\); run \`vigil migrate --root ${old.root}\` to upgrade it in place`,
  );
  for (const args of [['list', 'repo'], ['list', 'commit', 'raw'], ['get', 'file', 'raw@master:/u1-cam1/20261126T000001Z.jpg'], ['run']]) {
    const r = await vigil(args, { root: old.root });
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, refusal, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack for a user-fixable state');
  }

  const first = await migrateKilledAfter(old.root, 8);
  assert.ok(first.killed, `the migration finished before it was killed:\n${first.stdout}${first.stderr}`);
  const halfway = await recordsOf(old.root);
  const converted = halfway.filter((r) => 'root' in r).length;
  assert.ok(converted >= 8 && converted < old.order.length, `${converted} of ${old.order.length} commits converted when killed`);
  assert.match((await vigil(['list', 'commit', 'raw'], { root: old.root })).stderr, refusal, 'still refused half-way');

  const second = await vigilOk(['migrate'], { root: old.root });
  assert.match(second, new RegExp(`the store ${old.root} is now format 2`));
  assert.equal((second.match(/converted/g) ?? []).length, old.order.length - converted, 'converted commits are skipped');
  assert.match(await vigilOk(['migrate'], { root: old.root }), /already format 2: nothing to do/);
  for (const r of await recordsOf(old.root)) assert.ok(!('tree' in r) && typeof r.root === 'string', 'every record names its root');

  // The history reads back as it was written, file for file.
  const store = await Store.open(old.root);
  const commits = await store.listCommits('raw');
  assert.deepEqual(
    commits.map((c) => c.id),
    [...old.order].reverse(),
  );
  for (const id of [old.order[0]!, old.order[13]!, old.order.at(-1)!]) {
    const expected = old.commits.get(id)!;
    const files = await store.listFiles('raw', id);
    assert.deepEqual(
      files.map((f) => f.path),
      [...expected.keys()].sort(),
    );
    for (const f of files.slice(0, 50)) assert.equal(await readFile(store.objectPath(f.sha256), 'utf8'), expected.get(f.path));
    const info = await store.resolveCommit('raw', id);
    assert.equal(info.fileCount, expected.size);
  }
  const last = old.commits.get(old.order.at(-1)!)!;
  const [path, content] = [...last].find(([p]) => p.startsWith('/u3-cam1/'))!;
  assert.equal(await vigilOk(['get', 'file', `raw@master:${path}`], { root: old.root }), content);
  assert.match(await vigilOk(['list', 'file', 'raw@master:/'], { root: old.root }), /\/u3-cam1\/\s+dir/);

  // And the store takes new commits.
  const src = join(await tempDir(), 'new.jpg');
  await writeFile(src, 'a new frame');
  await vigilOk(['put', 'file', 'raw@master:/u1-cam1/new.jpg', '-f', src], { root: old.root });
  await vigilOk(['delete', 'file', 'raw@master:/u2-cam1'], { root: old.root });
  const head = (await (await Store.open(old.root)).headCommit('raw'))!;
  assert.equal(head.fileCount, last.size + 1 - [...last.keys()].filter((p) => p.startsWith('/u2-cam1/')).length);
});

/** A format 1 commit of `files` (path → content) on `repo@master`; the repo is made when new. */
async function writeFormat1Commit(
  root: string,
  repo: string,
  id: string,
  files: Record<string, string>,
  provenance: { repo: string; id: string }[] = [],
): Promise<FileEntry[]> {
  const dir = join(root, 'repos', repo);
  await mkdir(join(dir, 'commits'), { recursive: true });
  await mkdir(join(dir, 'branches'), { recursive: true });
  await writeFile(join(dir, 'repo.json'), JSON.stringify({ name: repo, created: '2026-11-26T00:00:00.000Z' }));
  const manifest: FileEntry[] = [];
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    manifest.push({ path, sha256: await writeObject(root, content), size: Buffer.byteLength(content) });
  }
  const record = {
    repo,
    id,
    branch: 'master',
    parent: null,
    started: '2026-11-26T00:00:00.000Z',
    finished: '2026-11-26T00:00:01.000Z',
    sizeBytes: manifest.reduce((sum, e) => sum + e.size, 0),
    provenance,
    tree: await writeObject(root, JSON.stringify(manifest)),
  };
  await writeFile(join(dir, 'commits', `${id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  await writeFile(join(dir, 'branches', 'master'), `${id}\n`);
  return manifest;
}

test('vigil migrate converts job datum tables: list datum reads them, and the next job skips what the last one processed', async () => {
  const root = join(await tempDir('vigil-migrate-'), 'store');
  await mkdir(join(root, 'tmp'), { recursive: true });
  for (let d = 0; d < 256; d++) await mkdir(join(root, 'objects', d.toString(16).padStart(2, '0')), { recursive: true });
  const rawCommit = 'a'.repeat(32);
  const configCommit = 'b'.repeat(32);
  const jobId = 'c'.repeat(32);
  const raw = await writeFormat1Commit(root, 'raw', rawCommit, { '/a.txt': 'a', '/b.txt': 'b' });
  const config = await writeFormat1Commit(root, 'config', configCommit, { '/rules.yaml': 'r', '/zones/z.yaml': 'z' });
  const outputs = await writeFormat1Commit(root, 'upper', jobId, { '/a.txt': 'A', '/b.txt': 'B' }, [
    { repo: 'raw', id: rawCommit },
    { repo: 'config', id: configCommit },
  ]);

  const [spec] = parsePipelineSpecs(
    JSON.stringify({
      pipeline: { name: 'upper' },
      input: { cross: [{ pfs: { repo: 'raw', glob: '/*' } }, { pfs: { repo: 'config', glob: '/' } }] },
      transform: { cmd: ['sh', '-c', 'tr a-z A-Z < "$raw" > "$PFS_ROOT/out/$(basename "$raw")"'] },
    }),
    'upper.json',
  );
  const salt = 'the salt';
  await mkdir(join(root, 'pps', 'pipelines'), { recursive: true });
  const now = '2026-11-26T00:00:02.000Z';
  await writeFile(
    join(root, 'pps', 'pipelines', 'upper.json'),
    JSON.stringify({ name: 'upper', version: 1, spec, salt, created: now, updated: now }),
  );
  // The job and its datum table as format 1 wrote them; the hash is format 1's: the files' paths and sha256s.
  const table = raw.map((file, i) => {
    const inputs = [
      { name: 'raw', repo: 'raw', branch: 'master', commit: rawCommit, glob: '/*', path: file.path, files: [file] },
      { name: 'config', repo: 'config', branch: 'master', commit: configCommit, glob: '/', path: '/', files: config },
    ];
    const id = datumId(inputs);
    const hashed = `${id}\0${salt.length}:${salt}${inputs.map((input) => `\n${input.files.map((f) => `${f.path}\0${f.sha256}\0`).join('')}`).join('')}`;
    return { id, hash: sha(hashed), state: 'SUCCESS', inputs, outputs: [outputs[i]], tries: 1 };
  });
  const jobs = join(root, 'pps', 'jobs', 'upper');
  await mkdir(jobs, { recursive: true });
  const job = {
    pipeline: 'upper',
    id: jobId,
    pipelineVersion: 1,
    state: 'JOB_SUCCESS',
    inputCommits: [
      { repo: 'raw', branch: 'master', id: rawCommit },
      { repo: 'config', branch: 'master', id: configCommit },
    ],
    outputCommit: { repo: 'upper', branch: 'master', id: jobId },
    dataProcessed: 2,
    dataSkipped: 0,
    dataFailed: 0,
    dataRecovered: 0,
    dataTotal: 2,
    created: now,
    started: now,
    finished: now,
    pid: 1,
  };
  await writeFile(join(jobs, `${jobId}.json`), JSON.stringify(job));
  await writeFile(join(jobs, `${jobId}.datums.json`), JSON.stringify(table));
  await writeFile(join(jobs, 'latest.json'), JSON.stringify({ last: jobId, lastSuccess: jobId }));
  await writeFile(join(root, 'store.json'), `${JSON.stringify({ format: 1, created: now })}\n`);

  assert.match(await vigilOk(['migrate'], { root }), /upper: 1 job converted/);
  assert.deepEqual(await readdir(jobs), [`${jobId}.json`, 'latest.json'].sort(), 'the datum table is gone');
  const datums = parseRaw(await vigilOk(['list', 'datum', `upper@${jobId}`, '--raw'], { root }));
  assert.deepEqual(datums.map((d) => d.state).sort(), ['SUCCESS', 'SUCCESS']);
  assert.deepEqual(
    datums.map((d) => d.data.map((f: any) => `${f.file_type} ${f.file.commit.repo.name}@${f.file.commit.id}:${f.file.path}`)).sort(),
    [
      [`FILE raw@${rawCommit}:/a.txt`, `DIR config@${configCommit}:/`],
      [`FILE raw@${rawCommit}:/b.txt`, `DIR config@${configCommit}:/`],
    ],
  );

  const src = join(await tempDir(), 'c.txt');
  await writeFile(src, 'c');
  await vigilOk(['put', 'file', 'raw@master:/c.txt', '-f', src], { root });
  assert.match(await vigilOk(['run'], { root }), /upper: job [0-9a-f]{32} JOB_SUCCESS: 1 processed, 2 skipped/);
  const store = await Store.open(root);
  const head = (await store.headCommit('upper'))!;
  const files = await store.listFiles('upper', head.id);
  assert.deepEqual(await Promise.all(files.map(async (f) => `${f.path}=${await readFile(store.objectPath(f.sha256), 'utf8')}`)), [
    '/a.txt=A',
    '/b.txt=B',
    '/c.txt=C',
  ]);
});
