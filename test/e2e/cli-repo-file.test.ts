import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseFileArg, parseBranchFileArg, parseCommitArg } from '../../src/cli/ref.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { parseRaw } from '../helpers/engine.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);

/** A store root in a fresh folder, with the repos given. */
async function storeWith(...repos: string[]): Promise<string> {
  const root = join(await tempDir('vigil-cli-'), 'store');
  for (const repo of repos) await vigilOk(['create', 'repo', repo], { root });
  return root;
}

/** Every `--raw` message of a command, parsed. */
async function raw(args: string[], root: string): Promise<any[]> {
  return parseRaw(await vigilOk([...args, '--raw'], { root }));
}

/** Every path under the store with its size: what "the store is unchanged" compares. */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else out.push(`${relative(root, path)} ${(await stat(path)).size}`);
    }
  };
  await walk(root);
  return out.sort();
}

/** The command fails with exit 1, its message matches, and the store is exactly as before. */
async function refusedUnchanged(args: string[], root: string, message: RegExp, opts: { input?: string; cwd?: string } = {}): Promise<void> {
  const before = await snapshot(root);
  const r = await vigil(args, { root, ...opts });
  assert.equal(r.code, 1, `vigil ${args.join(' ')} should fail; stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'a user error prints no stack');
  assert.deepEqual(await snapshot(root), before, `vigil ${args.join(' ')} changed the store`);
}

test('REPO@REF:/path arguments parse as pachctl writes them', () => {
  assert.deepEqual(parseFileArg('raw@master:/u1-cam1/a.jpg'), { repo: 'raw', ref: 'master', path: '/u1-cam1/a.jpg', isFolder: false });
  assert.deepEqual(parseFileArg('raw@master^:/dir/'), { repo: 'raw', ref: 'master^', path: '/dir', isFolder: true });
  assert.deepEqual(parseFileArg('raw'), { repo: 'raw', ref: 'master', path: '/', isFolder: true });
  assert.deepEqual(parseCommitArg('raw@0123456789abcdef0123456789abcdef'), { repo: 'raw', ref: '0123456789abcdef0123456789abcdef' });
  assert.throws(() => parseFileArg('@master:/a'), /names no repo/);
  assert.throws(() => parseFileArg('raw@:/a'), /nothing after @/);
  assert.throws(() => parseFileArg('raw@master:/../a'), /leaves its folder/);
  assert.throws(() => parseFileArg('ra w@master:/a'), /invalid repo name "ra w"/);
  assert.throws(() => parseBranchFileArg('raw@master^:/a'), /commits never change/);
  assert.throws(() => parseCommitArg('raw@master:/a'), /names a file/);
});

test('create, list, inspect and delete repos; --raw follows Pachyderm RepoInfo', async () => {
  const root = await storeWith('raw');
  await vigilOk(['create', 'repo', 'rules', '-d', 'policies as data'], { root });
  const table = await vigilOk(['list', 'repo'], { root });
  assert.match(table, /^NAME\s+CREATED\s+SIZE \(MASTER\)\s+DESCRIPTION\n/);
  assert.match(table, /\nrules\s+\S+\s+0B\s+policies as data\n/);

  const repos = await raw(['list', 'repo'], root);
  assert.deepEqual(
    repos.map((r) => r.repo),
    [
      { name: 'raw', type: 'user', project: { name: 'default' } },
      { name: 'rules', type: 'user', project: { name: 'default' } },
    ],
  );
  assert.equal(repos[1].description, 'policies as data');
  assert.deepEqual(repos[0].details, {}, 'size 0: protojson leaves zero values out');
  assert.ok(!Number.isNaN(Date.parse(repos[0].created)));
  assert.equal((await raw(['inspect', 'repo', 'rules'], root))[0].repo.name, 'rules');

  await vigilOk(['delete', 'repo', 'rules'], { root });
  assert.deepEqual(
    (await raw(['list', 'repo'], root)).map((r) => r.repo.name),
    ['raw'],
  );
});

test('put, get, list and delete files; one put is one commit; old commits keep old bytes', async () => {
  const root = await storeWith('raw');
  const work = await tempDir();
  const tree = join(work, 'frames');
  await mkdir(join(tree, 'u1-cam1'), { recursive: true });
  await mkdir(join(tree, 'u2-door'), { recursive: true });
  await writeFile(join(tree, 'u1-cam1', '20261126T041500Z.jpg'), await readFile(fixture('rocket.jpg')));
  await writeFile(join(tree, 'u1-cam1', '20261126T041600Z.png'), await readFile(fixture('chelsea.png')));
  await writeFile(join(tree, 'u2-door', '20261126T050000Z.png'), await readFile(fixture('coffee.png')));

  const put = await vigil(['put', 'file', '-r', 'raw@master:/', '-f', tree], { root });
  assert.equal(put.code, 0, put.stderr);
  assert.equal(put.stderr, '', 'no progress when stderr is not a terminal');
  const commits = await raw(['list', 'commit', 'raw'], root);
  assert.equal(commits.length, 1, 'a put of three files is one commit');

  const rocket = await readFile(fixture('rocket.jpg'));
  const got = spawnSync(
    process.execPath,
    [join(packageRoot(), 'bin', 'vigil.js'), 'get', 'file', 'raw@master:/u1-cam1/20261126T041500Z.jpg'],
    {
      env: { ...process.env, VIGIL_ROOT: root },
    },
  );
  assert.equal(got.status, 0, String(got.stderr));
  assert.ok(got.stdout.equals(rocket), 'get file prints the exact bytes');

  const listing = await vigilOk(['list', 'file', 'raw@master:/'], { root });
  assert.match(listing, /^NAME\s+TYPE\s+SIZE\n\/u1-cam1\/\s+dir\s+\S+\n\/u2-door\/\s+dir\s+\S+\n$/);
  const files = await raw(['list', 'file', 'raw@master:/u1-cam1'], root);
  assert.deepEqual(
    files.map((f) => [f.file.path, f.file_type]),
    [
      ['/u1-cam1/20261126T041500Z.jpg', 'FILE'],
      ['/u1-cam1/20261126T041600Z.png', 'FILE'],
    ],
  );
  assert.equal(files[0].size_bytes, String(rocket.length), 'int64 as a string, as protojson writes it');
  assert.equal(files[0].file.commit.id, commits[0].commit.id);

  // A single file at an explicit path, then from stdin.
  await vigilOk(['put', 'file', 'raw@master:/u3-yard/20261127T000000Z.png', '-f', fixture('horse.png')], { root });
  await vigil(['put', 'file', 'raw@master:/notes/readme.txt', '-f', '-'], { root, input: 'from stdin\n' }).then((r) =>
    assert.equal(r.code, 0, r.stderr),
  );
  assert.equal(await vigilOk(['get', 'file', 'raw@master:/notes/readme.txt'], { root }), 'from stdin\n');

  await vigilOk(['delete', 'file', 'raw@master:/u1-cam1/20261126T041500Z.jpg'], { root });
  await vigilOk(['delete', 'file', 'raw@master:/u2-door'], { root });
  const after = await raw(['list', 'file', 'raw@master:/'], root);
  assert.deepEqual(
    after.map((f) => f.file.path),
    ['/notes/', '/u1-cam1/', '/u3-yard/'],
  );

  // The first commit still holds the deleted file, byte for byte, by id and by ancestry.
  const out = join(work, 'old.jpg');
  await vigilOk(['get', 'file', `raw@${commits[0].commit.id}:/u1-cam1/20261126T041500Z.jpg`, '-o', out], { root });
  assert.ok((await readFile(out)).equals(rocket));
  await vigilOk(['get', 'file', 'raw@master^^^^:/u1-cam1/20261126T041500Z.jpg', '-o', out], { root });
  assert.ok((await readFile(out)).equals(rocket));
  await vigilOk(['get', 'file', '-r', `raw@${commits[0].commit.id}:/u2-door`, '-o', join(work, 'door')], { root });
  assert.ok((await readFile(join(work, 'door', '20261126T050000Z.png'))).equals(await readFile(fixture('coffee.png'))));
});

test('list and inspect commit: --raw follows Pachyderm CommitInfo, master^ is the parent', async () => {
  const root = await storeWith('raw');
  await vigilOk(['put', 'file', 'raw@master:/a.png', '-f', fixture('camera.png')], { root });
  await vigilOk(['put', 'file', 'raw@master:/b.png', '-f', fixture('horse.png')], { root });
  const [newest, oldest] = await raw(['list', 'commit', 'raw'], root);

  assert.match(newest.commit.id, /^[0-9a-f]{32}$/);
  assert.deepEqual(newest.commit.repo, { name: 'raw', type: 'user', project: { name: 'default' } });
  assert.equal(newest.commit.branch.name, 'master');
  assert.equal(newest.parent_commit.id, oldest.commit.id);
  assert.equal(oldest.parent_commit, undefined);
  assert.deepEqual(newest.origin, { kind: 'USER' });
  assert.equal(newest.direct_provenance, undefined, 'no provenance: the empty list is left out');
  const sizes = (await stat(fixture('camera.png'))).size + (await stat(fixture('horse.png'))).size;
  assert.equal(newest.details.size_bytes, String(sizes));
  assert.ok(Date.parse(newest.started) <= Date.parse(newest.finished));
  assert.ok(Date.parse(oldest.finished) <= Date.parse(newest.started));

  assert.equal((await raw(['inspect', 'commit', 'raw@master^'], root))[0].commit.id, oldest.commit.id);
  assert.equal(
    (await raw(['inspect', 'commit', `raw@${oldest.commit.id}`], root))[0].details.size_bytes,
    String((await stat(fixture('camera.png'))).size),
  );
  assert.deepEqual(
    (await raw(['list', 'commit', 'raw@master^'], root)).map((c) => c.commit.id),
    [oldest.commit.id],
  );
  const text = await vigilOk(['inspect', 'commit', 'raw@master'], { root });
  assert.match(text, new RegExp(`^Commit: raw@${newest.commit.id}\nOriginal Branch: master\nParent: ${oldest.commit.id}\n`));
  assert.match(await vigilOk(['list', 'commit', 'raw'], { root }), /^REPO\s+BRANCH\s+COMMIT\s+FINISHED\s+SIZE\s+ORIGIN/);
});

test('bad input gets a clear error, a non-zero exit, and changes nothing', async () => {
  const root = await storeWith('raw', 'rules');
  const frame = fixture('rocket.jpg');
  await vigilOk(['put', 'file', 'raw@master:/u1-cam1/20261126T041500Z.jpg', '-f', frame], { root });
  const folder = await tempDir();

  await refusedUnchanged(
    ['put', 'file', 'raw@master:/../etc/passwd', '-f', frame],
    root,
    /path "\/..\/etc\/passwd" leaves its folder with "\.\."/,
  );
  await refusedUnchanged(['put', 'file', '-r', 'raw@master:/a/../../b/', '-f', folder], root, /leaves its folder/);
  await refusedUnchanged(['get', 'file', 'raw@master:/u1-cam1/../../x'], root, /leaves its folder/);
  await refusedUnchanged(['create', 'repo', ''], root, /repo name is empty/);
  await refusedUnchanged(['create', 'repo', 'no/slashes'], root, /invalid repo name "no\/slashes"/);
  await refusedUnchanged(['create', 'repo', 'raw'], root, /repo "raw" already exists/);
  await refusedUnchanged(['put', 'file', '@master:/a.jpg', '-f', frame], root, /names no repo/);
  await refusedUnchanged(['put', 'file', 'framez@master:/a.jpg', '-f', frame], root, /repo "framez" not found; repos: raw, rules/);
  await refusedUnchanged(['list', 'file', 'framez@master'], root, /repo "framez" not found; repos: raw, rules/);
  await refusedUnchanged(
    ['put', 'file', 'raw@master:/a.jpg', '-f', join(folder, 'missing.jpg')],
    root,
    /file ".*missing\.jpg" does not exist/,
  );
  await refusedUnchanged(
    ['put', 'file', 'raw@master:/a/', '-f', frame, '-f', join(folder, 'missing.jpg')],
    root,
    /missing\.jpg" does not exist/,
  );
  await refusedUnchanged(['put', 'file', 'raw@master:/d', '-f', folder], root, /is a folder; add -r/);
  await refusedUnchanged(['put', 'file', '-r', 'raw@master:/d', '-f', folder], root, /holds no files/);
  await refusedUnchanged(
    ['put', 'file', 'raw@master:/u1-cam1/20261126T041500Z.jpg/x', '-f', frame],
    root,
    /is a file in raw@master, so it cannot also be a folder/,
  );
  await refusedUnchanged(
    ['get', 'file', 'raw@0123456789abcdef0123456789abcdef:/u1-cam1/20261126T041500Z.jpg'],
    root,
    /commit "0123456789abcdef0123456789abcdef" not found in repo "raw"/,
  );
  await refusedUnchanged(['inspect', 'commit', 'raw@master^'], root, /goes back past the first commit/);
  await refusedUnchanged(['list', 'file', 'rules@master'], root, /repo "rules" has no commits on branch "master"/);
  await refusedUnchanged(['get', 'file', 'raw@dev:/x'], root, /repo "raw" has no commits on branch "dev"; branches with commits: master/);
  await refusedUnchanged(['delete', 'file', 'rules@master:/x'], root, /repo "rules" has no commits on branch "master"/);
  await refusedUnchanged(['get', 'file', 'raw@master:/nope.jpg'], root, /file "\/nope\.jpg" not found in raw@master/);
  await refusedUnchanged(['delete', 'file', 'raw@master:/nope.jpg'], root, /file "\/nope\.jpg" not found in raw@master/);
  await refusedUnchanged(['get', 'file', 'raw@master:/u1-cam1'], root, /"\/u1-cam1" is a folder in raw@master/);
  await refusedUnchanged(['put', 'file', 'raw@master^:/a.jpg', '-f', frame], root, /commits never change/);
  const id = (await raw(['list', 'commit', 'raw'], root))[0].commit.id;
  await refusedUnchanged(
    ['put', 'file', `raw@${id}:/a.jpg`, '-f', frame],
    root,
    /is a commit, and commits never change; write to a branch, e.g. raw@master/,
  );
  await refusedUnchanged(['put', 'file', 'raw@master:/', '-f', '-'], root, /needs a file path/, { input: 'x' });
  await refusedUnchanged(['delete', 'repo', 'framez'], root, /repo "framez" not found/);
});

/** Runs the CLI with the size of any file it writes limited to `kib` KiB: writes past it fail with EFBIG, as on a full disk. */
function vigilWithFileSizeLimit(args: string[], root: string, kib: number) {
  return spawnSync('bash', ['-c', `ulimit -f ${kib}; exec "$0" "$@"`, process.execPath, join(packageRoot(), 'bin', 'vigil.js'), ...args], {
    env: { ...process.env, VIGIL_ROOT: root },
    encoding: 'utf8',
  });
}

test('a disk that fills up during put file: a clear error, and the store as it was', async () => {
  const root = await storeWith('raw');
  await vigilOk(['put', 'file', 'raw@master:/small.png', '-f', fixture('camera.png')], { root });
  const before = await snapshot(root);
  const big = join(await tempDir(), 'big.bin');
  await writeFile(big, Buffer.alloc(2 * 1024 * 1024, 7));

  const r = vigilWithFileSizeLimit(['put', 'file', 'raw@master:/big.bin', '-f', big], root, 512);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /no space left for the store .* \(EFBIG\); nothing was committed/);
  assert.deepEqual(await snapshot(root), before);
  assert.equal((await raw(['list', 'commit', 'raw'], root)).length, 1);
  await vigilOk(['put', 'file', 'raw@master:/big.bin', '-f', big], { root });
});

test('a real full disk (a 1 MiB tmpfs), where the system allows mounting one', async (t) => {
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']);
  if (probe.status !== 0) return t.skip('unshare --user --mount is not permitted here');
  const work = await tempDir();
  const mnt = join(work, 'mnt');
  await mkdir(mnt);
  await writeFile(join(work, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
  const cli = `"${process.execPath}" "${join(packageRoot(), 'bin', 'vigil.js')}" --root "${mnt}/store"`;
  const script = [
    `mount -t tmpfs -o size=1m tmpfs "${mnt}"`,
    `${cli} create repo raw`,
    `${cli} put file raw@master:/small.png -f "${fixture('camera.png')}"`,
    `${cli} list commit raw --raw > "${work}/before.txt"`,
    `${cli} put file raw@master:/big.bin -f "${work}/big.bin" 2> "${work}/err.txt"; echo $? > "${work}/rc.txt"`,
    `${cli} list commit raw --raw > "${work}/after.txt"`,
    `${cli} get file raw@master:/small.png > "${work}/small.png"`,
    `ls -A "${mnt}/store/tmp" > "${work}/tmp.txt"`,
  ].join(' && ');
  const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await readFile(join(work, 'rc.txt'), 'utf8')).trim(), '1');
  assert.match(await readFile(join(work, 'err.txt'), 'utf8'), /no space left for the store .* \(ENOSPC\); nothing was committed/);
  assert.equal(await readFile(join(work, 'after.txt'), 'utf8'), await readFile(join(work, 'before.txt'), 'utf8'));
  assert.ok((await readFile(join(work, 'small.png'))).equals(await readFile(fixture('camera.png'))));
  assert.equal(await readFile(join(work, 'tmp.txt'), 'utf8'), '', 'the failed write left no temporary file behind');
});

test('two vigil processes writing one branch at once: every put lands, the history is one line', async () => {
  const root = await storeWith('raw');
  const writer = (name: string) =>
    (async () => {
      for (let i = 0; i < 6; i++) await vigilOk(['put', 'file', `raw@master:/${name}/${i}.png`, '-f', fixture('camera.png')], { root });
    })();
  await Promise.all([writer('a'), writer('b')]);
  const commits = await raw(['list', 'commit', 'raw'], root);
  assert.equal(commits.length, 12);
  for (let i = 0; i < commits.length - 1; i++) assert.equal(commits[i].parent_commit.id, commits[i + 1].commit.id);
  assert.equal((await raw(['list', 'file', 'raw@master:/a'], root)).length, 6);
  assert.equal((await raw(['list', 'file', 'raw@master:/b'], root)).length, 6);
});

test('delete repo is refused while a pipeline reads or writes it', async () => {
  const root = await storeWith('raw');
  const spec = join(await tempDir(), 'validated.json');
  await writeFile(
    spec,
    JSON.stringify({
      pipeline: { name: 'validated' },
      transform: { image: 'vigil/vigil:0.1.0', cmd: ['vigil', 'step', 'validate'], datumBatching: true },
      input: { pfs: { repo: 'raw', glob: '/*/*' } },
    }),
  );
  await vigilOk(['create', 'pipeline', '-f', spec], { root });
  await refusedUnchanged(['delete', 'repo', 'raw'], root, /repo "raw" is an input of pipeline validated; delete it first/);
  await refusedUnchanged(
    ['delete', 'repo', 'validated'],
    root,
    /repo "validated" is the output of pipeline validated; delete the pipeline instead/,
  );
});

test('the store is found by --root, else $VIGIL_ROOT, else ./.vigil', async () => {
  const cwd = await tempDir();
  const env = { VIGIL_ROOT: '' };
  const run = (args: string[]) =>
    new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), ...args], {
        cwd,
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      child.on('exit', (code) => resolve(code ?? -1));
    });
  assert.equal(await run(['create', 'repo', 'here']), 0);
  assert.ok((await readdir(join(cwd, '.vigil', 'repos'))).includes('here'));
  assert.equal(await run(['create', 'repo', 'there', '--root', join(cwd, 'elsewhere')]), 0);
  assert.ok((await readdir(join(cwd, 'elsewhere', 'repos'))).includes('there'));
  env.VIGIL_ROOT = join(cwd, 'env-store');
  assert.equal(await run(['create', 'repo', 'envy']), 0);
  assert.ok((await readdir(join(cwd, 'env-store', 'repos'))).includes('envy'));
});

test('put file -r shows progress on a terminal, and only there', async (t) => {
  if (spawnSync('script', ['--version']).status !== 0) return t.skip('script(1), to give the CLI a terminal, is not installed');
  const root = await storeWith('raw');
  const dir = await tempDir();
  for (let i = 0; i < 30; i++) await writeFile(join(dir, `${i}.txt`), `file ${i}`);
  const cmd = `"${process.execPath}" "${join(packageRoot(), 'bin', 'vigil.js')}" put file -r raw@master:/p -f "${dir}"`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, VIGIL_ROOT: root }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /put file raw@master: 30\/30 files/);
  assert.equal((await raw(['list', 'file', 'raw@master:/p'], root)).length, 30);
});
