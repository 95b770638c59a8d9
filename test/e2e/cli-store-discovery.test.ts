/**
 * Finding the store (src/cli/open-store.ts): only init, demo and create repo make one; every
 * other command finds an existing one, as git finds .git, or says where it looked and how to
 * make one; commands that need none never look.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { FIXTURE_RULES_DIR } from '../helpers/match.js';

/** Runs vigil in `cwd` with neither --root nor VIGIL_ROOT, unless `args` names one. */
const inFolder = (cwd: string, args: string[]) => vigil(args, { root: '', cwd, env: { VIGIL_ROOT: '' } });

const STORE_VERBS = [
  ['run'],
  ['list', 'repo'],
  ['list', 'job'],
  ['list', 'pipeline'],
  ['inspect', 'commit', 'raw@master'],
  ['get', 'file', 'raw@master:/a'],
  ['put', 'file', 'raw@master:/a', '-f', '/etc/hostname'],
  ['create', 'pipeline', '-f', 'x.yaml'],
  ['create', 'branch', 'raw@b', '--head', 'master'],
  ['delete', 'repo', 'raw'],
  ['sql', 'SELECT 1'],
  ['trace', 'alerts@master:/u1-cam1/x.json'],
  ['logs', 'matches'],
  ['report', 'daily'],
  ['serve', '--port', '0'],
  ['collect', '--from-video', 'clip.mp4', '--camera', 'u1-cam1'],
  ['device', 'add', 'u1-cam1'],
  ['device', 'list'],
  ['user', 'list'],
  ['model', 'diff'],
  ['migrate'],
];

test('no command but init, demo and create repo makes a store: each says where it looked and how to make one', async () => {
  const cwd = await tempDir('vigil-nostore-');
  for (const args of STORE_VERBS) {
    const r = await inFolder(cwd, args);
    assert.equal(r.code, 1, `vigil ${args.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^vigil: no vigil store: looked for \.vigil in .* and its parents .*vigil init.*--root.*VIGIL_ROOT/,
      args.join(' '),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
    const typo = join(cwd, 'nostore');
    const named = await inFolder(cwd, [...args, '--root', typo]);
    assert.equal(named.code, 1, `vigil ${args.join(' ')} --root: ${named.stderr}`);
    assert.match(named.stderr, /no vigil store: .*nostore \(--root\) does not exist; create one with `vigil init`/);
    const byEnv = await vigil(args, { root: cwd, cwd });
    assert.match(byEnv.stderr, /no vigil store: .* \(VIGIL_ROOT\) holds no store/, args.join(' '));
    assert.deepEqual(await readdir(cwd), [], `vigil ${args.join(' ')} left the folder as it was`);
  }
});

test('commands that need no store never look for one', async () => {
  const cwd = await tempDir('vigil-nostore-');
  await vigilOk(['deploy', '--print'], {
    root: '',
    cwd,
    env: { VIGIL_ROOT: '' },
  });
  const check = await inFolder(cwd, ['rules', 'check', FIXTURE_RULES_DIR]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /scores not checked: no store found/);
  assert.equal((await inFolder(cwd, ['--help'])).code, 0);
  assert.equal((await inFolder(cwd, ['list', '--help'])).code, 0);
  assert.deepEqual(await readdir(cwd), []);
});

test("the store is found as git finds .git: ./.vigil, then each parent folder's", async () => {
  const cwd = await tempDir('vigil-found-');
  assert.equal((await inFolder(cwd, ['create', 'repo', 'raw'])).code, 0);
  const deep = join(cwd, 'src', 'deeper');
  await mkdir(deep, { recursive: true });
  const listed = await inFolder(deep, ['list', 'repo']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^raw\b/m);
  assert.equal(existsSync(join(deep, '.vigil')), false, 'no store made where the command ran');
  // create repo from the sub-folder adds to the store found, rather than making a second one.
  assert.equal((await inFolder(deep, ['create', 'repo', 'rules'])).code, 0);
  assert.equal(existsSync(join(deep, '.vigil')), false);
  assert.match((await inFolder(cwd, ['list', 'repo'])).stdout, /^rules\b/m);
});
