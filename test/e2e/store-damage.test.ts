/**
 * A damaged store is never read as good (issue 18): bytes flipped in an object, a tree node or a
 * commit record are refused by every read with an error naming the repo, commit, path and object
 * (`get file`, `list file`, a datum's inputs in `vigil run`), and `vigil fsck` lists each and
 * exits 1; a store that cannot be written (read-only, full) gives a clear error, never a stack.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk, type CliResult } from '../helpers/cli.js';
import { commitFiles, createPipelines, listDatums, listJobs, pfs, run, shellPipeline } from '../helpers/engine.js';

const COPY = 'cp "$raw" "$PFS_ROOT/out/$(basename "$raw")"';
/** What an error a user can act on never shows: the CLI's internal-error path, or a stack frame. */
const NO_STACK = /internal error|\n\s+at /;

/** Text long enough to flip ten bytes of. */
const text = (name: string) => `${name}: ${'frame bytes '.repeat(8)}\n`;

/** Flips `count` bytes spread over the file (made writable for it, read-only again after); returns the original bytes. */
async function flipBytes(path: string, count = 10): Promise<Buffer> {
  const original = await readFile(path);
  const damaged = Buffer.from(original);
  for (let i = 0; i < count; i++) damaged[Math.floor(((i + 0.5) * damaged.length) / count)]! ^= 0x5a;
  await chmod(path, 0o644);
  await writeFile(path, damaged);
  await chmod(path, 0o444);
  return original;
}

async function restore(path: string, bytes: Buffer): Promise<void> {
  await chmod(path, 0o644);
  await writeFile(path, bytes);
  await chmod(path, 0o444);
}

/** The head commit of `repo@master`, its tree's root node and the object of `path`. */
async function located(root: string, repo: string, path: string): Promise<{ commit: string; rootNode: string; object: string }> {
  const store = await Store.open(root);
  const head = (await store.headCommit(repo))!;
  const record = JSON.parse(await readFile(join(root, 'repos', repo, 'commits', `${head.id}.json`), 'utf8')) as { root: string };
  const file = (await store.fileAt(repo, head.id, path))!;
  return { commit: head.id, rootNode: record.root, object: file.sha256 };
}

const objectFile = (root: string, sha: string) => join(root, 'objects', sha.slice(0, 2), sha.slice(2));

function assertRefused(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, NO_STACK);
}

/** A store with raw /a.txt, /b.txt, /c.txt and the `copy` pipeline (a shell step, one process per datum) run once. */
async function copiedStore(): Promise<string> {
  const root = await tempDir('vigil-damage-');
  await commitFiles(root, 'raw', { '/a.txt': text('a'), '/b.txt': text('b'), '/c.txt': text('c') });
  await writeFile(join(root, 'copy.json'), JSON.stringify(shellPipeline('copy', pfs('raw', '/*'), COPY)));
  await vigilOk(['create', 'pipeline', '-f', join(root, 'copy.json')], { root });
  const r = await run(root);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return root;
}

describe('a damaged store is never read as good', () => {
  test('flipped bytes in an object: get file and the datums that read it fail naming it, fsck lists it', async () => {
    const root = await copiedStore();
    const fsckClean = await vigil(['fsck'], { root });
    assert.equal(fsckClean.code, 0, fsckClean.stdout + fsckClean.stderr);
    // copy's tree holds what raw's does: one tree node serves both commits.
    assert.match(fsckClean.stdout, /^checked \d+ objects, 2 repos, 2 commits, 2 branches, 1 tree node naming 3 files: no problems\n$/);

    const b = await located(root, 'raw', '/b.txt');
    const path = objectFile(root, b.object);
    const original = await flipBytes(path);
    const damage = `raw@${b.commit}:/b.txt: object ${b.object} is damaged: its bytes hash to [0-9a-f]{64}`;

    const get = await vigil(['get', 'file', 'raw@master:/b.txt'], { root });
    assertRefused(get, new RegExp(`^vigil: ${damage}\\n$`));
    assert.equal(get.stdout, '', 'no damaged byte reaches stdout');
    const out = join(root, 'b-out.txt');
    assertRefused(await vigil(['get', 'file', 'raw@master:/b.txt', '-o', out], { root }), new RegExp(damage));
    await assert.rejects(stat(out), /ENOENT/, 'no file is written from damaged bytes');
    assert.equal(await vigilOk(['get', 'file', 'raw@master:/a.txt'], { root }), text('a'), 'the sound files read as ever');

    // Every datum runs again: the one reading the damaged object fails with that reason, never seen by the step.
    await vigilOk(['update', 'pipeline', '-f', join(root, 'copy.json'), '--reprocess'], { root });
    const rerun = await run(root);
    assert.equal(rerun.code, 1, rerun.stdout + rerun.stderr);
    assert.doesNotMatch(rerun.stderr, NO_STACK);
    const [job] = await listJobs(root, 'copy');
    assert.equal(job.state, 'JOB_FAILURE');
    assert.match(job.reason, new RegExp(`datum [0-9a-f]{64} failed: ${damage}`));
    const datums = await listDatums(root, `copy@${job.job.id}`);
    const byFile = Object.fromEntries(datums.map((d) => [d.data[0].file.path as string, d]));
    assert.deepEqual(Object.fromEntries(Object.entries(byFile).map(([p, d]) => [p, d.state])), {
      '/a.txt': 'SUCCESS',
      '/b.txt': 'FAILED',
      '/c.txt': 'SUCCESS',
    });
    assert.match(byFile['/b.txt']!.reason, new RegExp(`^${damage}$`));

    const fsck = await vigil(['fsck'], { root });
    assert.equal(fsck.code, 1, fsck.stdout + fsck.stderr);
    const problems = fsck.stdout.trim().split('\n').slice(0, -1);
    assert.equal(problems.length, 1, fsck.stdout);
    assert.match(
      problems[0]!,
      new RegExp(`^object ${b.object} is damaged: its bytes hash to [0-9a-f]{64} \\(used by .*(copy|raw)@[0-9a-f]{32}:/b\\.txt`),
    );
    assert.match(fsck.stdout, /: 1 problem\n$/);

    // Repaired, the job runs again when asked to (as on Pachyderm, a failed job's inputs alone start none).
    await restore(path, original);
    assert.equal((await vigil(['fsck'], { root })).code, 0);
    await vigilOk(['update', 'pipeline', '-f', join(root, 'copy.json'), '--reprocess'], { root });
    const healed = await run(root);
    assert.equal(healed.code, 0, healed.stdout + healed.stderr);
  });

  test('a damaged tree node, a damaged commit record and a missing object: clear errors, each listed by fsck', async () => {
    const root = await tempDir('vigil-damage-');
    await commitFiles(root, 'raw', { '/a.txt': text('a'), '/b.txt': text('b') });
    await commitFiles(root, 'notes', { '/n.txt': text('n') });
    const docs = await commitFiles(root, 'docs', { '/d.txt': text('d') });

    const raw = await located(root, 'raw', '/a.txt');
    await flipBytes(objectFile(root, raw.rootNode), 3);
    const node = `raw@${raw.commit}: tree node ${raw.rootNode} is damaged: its bytes hash to [0-9a-f]{64}`;
    assertRefused(await vigil(['list', 'file', 'raw@master:/'], { root }), new RegExp(`^vigil: ${node}\\n$`));
    assertRefused(await vigil(['get', 'file', 'raw@master:/a.txt'], { root }), new RegExp(`^vigil: ${node}\\n$`));
    // A run that plans from the damaged tree stops there, naming it, before any job starts.
    await createPipelines(root, shellPipeline('copy', pfs('raw', '/*'), COPY));
    assertRefused(await run(root), new RegExp(`^vigil: ${node}\\n$`));
    assert.deepEqual(await listJobs(root, 'copy'), []);

    const notesCommit = (await located(root, 'notes', '/n.txt')).commit;
    const record = join(root, 'repos', 'notes', 'commits', `${notesCommit}.json`);
    await writeFile(record, (await readFile(record, 'utf8')).slice(0, 40));
    const damagedRecord = `the record of commit ${notesCommit} in repo notes \\(repos/notes/commits/${notesCommit}\\.json\\) is damaged: `;
    assertRefused(await vigil(['list', 'file', 'notes@master:/'], { root }), new RegExp(`^vigil: ${damagedRecord}`));

    const d = await located(root, 'docs', '/d.txt');
    await rm(objectFile(root, d.object));

    const fsck = await vigil(['fsck'], { root });
    assert.equal(fsck.code, 1, fsck.stdout + fsck.stderr);
    const lines = fsck.stdout.trim().split('\n');
    assert.match(lines.at(-1)!, /: 3 problems$/);
    const problems = lines.slice(0, -1).sort();
    assert.equal(problems.length, 3, fsck.stdout);
    assert.match(
      problems.find((l) => l.startsWith('object'))!,
      new RegExp(`^object ${d.object} is missing from the store \\(used by docs@${docs}:/d\\.txt\\)$`),
    );
    assert.match(problems.find((l) => l.startsWith('the record'))!, new RegExp(`^${damagedRecord}`));
    assert.match(
      problems.find((l) => l.startsWith('tree node'))!,
      new RegExp(`^tree node ${raw.rootNode} is damaged: its bytes hash to [0-9a-f]{64} \\(used by raw@${raw.commit}\\)$`),
    );
  });
});

/** Runs `script` (bash) in a user and mount namespace of its own, where it may mount; null when the system forbids it. */
function inMountNamespace(script: string): { status: number | null; stdout: string; stderr: string } | null {
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']);
  if (probe.status !== 0) return null;
  return spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'bash', '-c', script], { encoding: 'utf8' });
}

const cli = `"${process.execPath}" "${join(packageRoot(), 'bin', 'vigil.js')}"`;

describe('a store that cannot be written: a clear error in every verb', () => {
  test('vigil run on a read-only store (a read-only bind mount) says so; reads and fsck still work', async (t) => {
    const root = await copiedStore();
    await commitFiles(root, 'raw', { '/d.txt': text('d') });
    const work = await tempDir();
    const script = [
      `mount --bind "${root}" "${root}" && mount -o remount,bind,ro "${root}"`,
      `${cli} run --root "${root}" > "${work}/run.out" 2> "${work}/run.err"; echo $? > "${work}/run.rc"`,
      `${cli} put file raw@master:/e.txt -f "${work}/run.rc" --root "${root}" 2> "${work}/put.err"; echo $? > "${work}/put.rc"`,
      `${cli} get file raw@master:/d.txt --root "${root}" > "${work}/get.out"`,
      `${cli} fsck --root "${root}" > "${work}/fsck.out"`,
    ].join(' && ');
    const r = inMountNamespace(script);
    if (r === null)
      return t.skip('unshare --user --mount is not permitted here, so no read-only mount can be made (chmod does not stop root)');
    assert.equal(r.status, 0, r.stderr);
    const runErr = await readFile(join(work, 'run.err'), 'utf8');
    assert.equal((await readFile(join(work, 'run.rc'), 'utf8')).trim(), '1', runErr);
    assert.match(
      runErr,
      new RegExp(`^vigil: cannot write to the store ${root} \\(EROFS at pps\\); the command stopped there: make it writable`),
    );
    assert.doesNotMatch(runErr, NO_STACK);
    assert.equal((await readFile(join(work, 'put.rc'), 'utf8')).trim(), '1');
    assert.match(
      await readFile(join(work, 'put.err'), 'utf8'),
      /^vigil: cannot write to the store .* \(EROFS at tmp\); nothing was committed/,
    );
    assert.equal(await readFile(join(work, 'get.out'), 'utf8'), text('d'));
    assert.match(await readFile(join(work, 'fsck.out'), 'utf8'), /: no problems\n$/);
    // Writable again, the run does what it could not.
    assert.equal((await run(root)).code, 0);
  });

  test("vigil run on a store this user may not write (another user's, or made read-only) says so", async (t) => {
    // chmod does not stop root: as root the CLI runs as nobody, on a store nobody may read but not write.
    const asRoot = process.getuid?.() === 0;
    const nobody = { uid: 65534, gid: 65534 };
    if (asRoot && spawnSync(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), '--help'], nobody).status !== 0) {
      return t.skip('the user nobody cannot run this checkout of vigil, and chmod does not stop root');
    }
    const root = await copiedStore();
    await commitFiles(root, 'raw', { '/d.txt': text('d') });
    if (asRoot) await chmod(root, 0o755);
    else spawnSync('chmod', ['-R', 'a-w', root]);
    try {
      const r = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'run', '--root', root], {
        encoding: 'utf8',
        ...(asRoot ? nobody : {}),
      });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`^vigil: cannot write to the store ${root} \\(EACCES at pps\\); the command stopped there`));
      assert.doesNotMatch(r.stderr, NO_STACK);
    } finally {
      if (!asRoot) spawnSync('chmod', ['-R', 'u+w', root]);
    }
    assert.equal((await run(root)).code, 0);
  });

  test('vigil run on a full disk (a file size limit: EFBIG, as ENOSPC) says so, and the next run finishes the work', async () => {
    const root = await copiedStore();
    await commitFiles(root, 'raw', { '/d.txt': text('d') });
    const r = spawnSync('bash', ['-c', `ulimit -f 1; exec ${cli} run --root "${root}"`], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^vigil: no space left for the store ${root} \\(EFBIG[^)]*\\); the command stopped there: free some space`),
    );
    assert.doesNotMatch(r.stderr, NO_STACK);
    const again = await run(root);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /JOB_SUCCESS: 1 processed, 3 skipped/);
    assert.equal((await vigil(['fsck'], { root })).code, 0);
  });
});

describe('vigil fsck while pipelines run', () => {
  test('finds no problem in a store that a run is writing', async () => {
    const root = await tempDir('vigil-damage-');
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`/f${String(i).padStart(3, '0')}.txt`] = text(`f${i}`);
    await commitFiles(root, 'raw', files);
    await createPipelines(root, shellPipeline('copy', pfs('raw', '/*'), COPY));
    const running = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'run', '--root', root], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => running.on('close', resolve));
    let done = false;
    void exited.then(() => (done = true));
    let checks = 0;
    while (!done || checks === 0) {
      const fsck = await vigil(['fsck'], { root });
      assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
      checks++;
    }
    assert.equal(await exited, 0);
    assert.equal((await vigil(['fsck'], { root })).code, 0);
    assert.ok(checks >= 1);
  });
});
