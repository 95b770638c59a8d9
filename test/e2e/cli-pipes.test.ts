/**
 * The CLI as the left end of a pipe: a reader that stops early (`| head -1`) ends the command
 * quietly and successfully (src/cli/main.ts), and a command with nothing to show says so on
 * stderr, where the pipe does not read it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { vigil, vigilOk } from '../helpers/cli.js';
import { commitFiles, createPipelines, listJobs, newStore, pfs, run, shellPipeline } from '../helpers/engine.js';

/** `vigil ARGS | head -1` in bash: the line head printed, vigil's exit status and its stderr. */
function intoHead(root: string, args: string[]): Promise<{ first: string; status: number; stderr: string }> {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const script = `"${process.execPath}" "${join(packageRoot(), 'bin', 'vigil.js')}" ${quoted} 2>"$ERR" | head -1; echo "status=\${PIPESTATUS[0]}"; cat "$ERR"`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      env: { ...process.env, VIGIL_ROOT: root, ERR: join(root, 'stderr.txt') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(deadline);
      const [first = '', statusLine = '', ...stderr] = out.split('\n');
      resolve({ first, status: Number(statusLine.replace('status=', '')), stderr: stderr.join('\n').trim() });
    });
  });
}

test('logs, list datum and sql piped into head -1 end quietly: exit status 0, nothing on stderr', async () => {
  const root = await newStore('vigil-pipes-');
  // Long names and many lines: more output than a pipe holds, so that vigil writes on after head has gone.
  const files = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`/${'frame-'.repeat(20)}${i}.txt`, `${i}`]));
  await commitFiles(root, 'raw', files);
  await createPipelines(
    root,
    shellPipeline(
      'chatty',
      pfs('raw', '/*'),
      'i=0; while [ $i -lt 300 ]; do echo "line $i of a step that has a lot to say"; i=$((i+1)); done',
    ),
  );
  assert.equal((await run(root)).code, 0);
  const [job] = await listJobs(root, 'chatty');

  const logs = await intoHead(root, ['logs', 'chatty']);
  assert.deepEqual(logs, { first: 'line 0 of a step that has a lot to say', status: 0, stderr: '' });
  const datums = await intoHead(root, ['list', 'datum', `chatty@${job.job.id}`]);
  assert.match(datums.first, /^ID\s+STATE\s+DATA/);
  assert.deepEqual([datums.status, datums.stderr], [0, '']);

  await commitFiles(root, 'warehouse', { '/README': 'no partitions yet' });
  const rows = await intoHead(root, ['sql', 'SELECT range AS n FROM range(200000)']);
  assert.deepEqual(rows, { first: 'n', status: 0, stderr: '' });
  const csv = await intoHead(root, ['sql', '--csv', 'SELECT range AS n FROM range(200000)']);
  assert.deepEqual(csv, { first: 'n', status: 0, stderr: '' });
});

test('vigil logs says so when there is nothing to show, on stderr', async () => {
  const root = await newStore('vigil-quiet-');
  await commitFiles(root, 'raw', { '/a.txt': 'a' });
  await createPipelines(root, shellPipeline('quiet', pfs('raw', '/*'), 'true'));
  const before = await vigil(['logs', 'quiet'], { root });
  assert.deepEqual([before.code, before.stdout], [0, '']);
  assert.match(before.stderr, /^vigil: no log lines: quiet has no jobs yet \(vigil run\)/);
  await vigilOk(['run'], { root });
  const [job] = await listJobs(root, 'quiet');
  const after = await vigil(['logs', 'quiet'], { root });
  assert.deepEqual([after.code, after.stdout], [0, '']);
  assert.equal(after.stderr, `vigil: no log lines in job ${job.job.id}; the step printed nothing\n`);
});
