import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';

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
