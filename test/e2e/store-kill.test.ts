import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Store, type FileEntry } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';

const FILES = 1000;
const KILLS = 20;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Rewrites the source tree with new contents (0.5 to 12 KiB a file, a few of 1 MiB); returns path → sha256. */
async function writeTree(dir: string, round: number): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  await Promise.all(
    Array.from({ length: FILES }, async (_, i) => {
      const rel = `u${i % 24}-cam1/20261126T${String(i).padStart(6, '0')}Z.jpg`;
      const size = i % 400 === 0 ? 1 << 20 : 512 + ((i * 7919) % (12 * 1024));
      const data = Buffer.concat([Buffer.from(`round ${round} file ${i}\n`), randomBytes(size)]);
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), data);
      expected.set(`/frames/${rel}`, sha256(data));
    }),
  );
  return expected;
}

/**
 * When to kill a put: `afterMs` from its start, or `afterLockMs` after it takes the store lock
 * (its commit: tree, record and branch head), the few milliseconds a timer alone rarely hits.
 */
type KillPoint = { afterMs: number } | { afterLockMs: number } | null;

/** Runs `vigil put file -r` of the tree and SIGKILLs it at `kill` unless it finished first. */
function putTree(root: string, dir: string, kill: KillPoint): Promise<{ killed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'put', 'file', '-r', 'raw@master:/frames', '-f', dir], {
      env: { ...process.env, VIGIL_ROOT: root },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    let timer: NodeJS.Timeout | undefined;
    const watcher =
      kill && 'afterLockMs' in kill
        ? watch(root, (_event, name) => {
            if (name === 'lock' && !timer) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterLockMs);
          })
        : undefined;
    if (kill && 'afterMs' in kill) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
    child.on('error', reject);
    // 'close', not 'exit': the process is reaped, so its pid is known dead to the next one.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      watcher?.close();
      if (signal === null && code !== 0) reject(new Error(`put file failed (${code}): ${stderr}`));
      resolve({ killed: signal === 'SIGKILL', ms: Date.now() - start });
    });
  });
}

/** Which round a commit's tree is, asserting it is all of that round and nothing else. */
function roundOf(files: FileEntry[], rounds: Map<string, string>[]): number {
  const round = rounds.findIndex((r) => r.get(files[0]?.path ?? '') === files[0]?.sha256);
  assert.ok(round >= 0, 'the commit holds content from no round');
  assert.equal(files.length, FILES, `the commit of round ${round} is torn: ${files.length} of ${FILES} files`);
  for (const f of files) assert.equal(f.sha256, rounds[round].get(f.path), `${f.path} in the commit of round ${round} mixes rounds`);
  return round;
}

test('a put file killed at random points leaves every branch on a finished commit that reads back byte for byte', async (t) => {
  const work = await tempDir('vigil-kill-');
  const root = join(work, 'store');
  const src = join(work, 'src');
  await vigilOk(['create', 'repo', 'raw'], { root });
  const rounds: Map<string, string>[] = [];
  const verified = new Set<string>(); // objects already read back and hashed

  // Round 0 runs to the end and times a whole put; kills then land anywhere in one (the time
  // is re-estimated from every put that finishes: a shared machine's speed varies), and every
  // other kill lands in the commit itself.
  rounds.push(await writeTree(src, 0));
  let putMs = (await putTree(root, src, null)).ms;
  let kills = 0;
  let landed = 0;
  for (let round = 1; kills < KILLS && round < KILLS * 2; round++) {
    rounds.push(await writeTree(src, round));
    const kill = round % 2 ? { afterMs: Math.random() * putMs * 1.1 } : { afterLockMs: Math.random() * 15 };
    const result = await putTree(root, src, kill);
    if (result.killed) kills++;
    else putMs = result.ms;

    const store = await Store.open(root);
    const head = await store.headCommit('raw');
    assert.ok(head, 'master lost its head');
    assert.ok(head.finished >= head.started);
    const files = await store.listFiles('raw', head.id);
    const headRound = roundOf(files, rounds);
    assert.ok(headRound === round || (result.killed && headRound < round), `master is on round ${headRound} after round ${round}`);
    if (headRound === round) landed++;
    for (const f of files) {
      if (verified.has(f.sha256)) continue;
      // The sha256 of the bytes written to the source file, kept from writeTree: equal means byte for byte.
      const bytes = await readFile(store.objectPath(f.sha256));
      assert.equal(sha256(bytes), rounds[headRound].get(f.path), `${f.path} does not read back byte for byte`);
      verified.add(f.sha256);
    }
  }
  assert.ok(kills >= KILLS, `only ${kills} puts were killed`);

  // Every finished commit is whole, and its files read back byte for byte.
  const store = await Store.open(root);
  const commits = await store.listCommits('raw');
  for (const c of commits) {
    for (const f of await store.listFiles('raw', c.id)) {
      if (verified.has(f.sha256)) continue;
      assert.equal(sha256(await readFile(store.objectPath(f.sha256))), f.sha256);
      verified.add(f.sha256);
    }
    roundOf(await store.listFiles('raw', c.id), rounds);
  }
  assert.deepEqual(await readdir(join(root, 'tmp')), [], 'open removed every leftover of the killed processes');

  // And the store still works.
  rounds.push(await writeTree(src, rounds.length));
  await putTree(root, src, null);
  assert.equal(roundOf(await (await Store.open(root)).listFiles('raw', (await store.headCommit('raw'))!.id), rounds), rounds.length - 1);
  assert.ok(!(await readdir(root)).includes('lock'), 'the lock is released');
  t.diagnostic(
    `${kills} kills; ${landed} puts committed before their kill or finished; ${commits.length} commits; the last whole put took ${putMs} ms`,
  );
});
