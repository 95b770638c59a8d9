import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import {
  commitFiles,
  createPipelines,
  int64,
  listDatums,
  listJobs,
  parseRaw,
  pfs,
  readTree,
  run,
  shellPipeline,
} from '../helpers/engine.js';

// Pipelines whose step is a shell one-liner (one process per datum), run through the real CLI.

/** Whether `pid` runs (a zombie does not: killed, waiting for a parent that may never reap it). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && !/^\d+ \(.*\) Z/.test(stat);
}

const UPPER = 'tr a-z A-Z < "$raw" > "$PFS_ROOT/out/$(basename "$raw")"';

describe('vigil run: incremental jobs', () => {
  test('processes new and changed datums only, carries the rest over, and removes outputs of deleted inputs', async () => {
    const root = await tempDir();
    const first = await commitFiles(root, 'raw', { '/a.txt': 'a', '/b.txt': 'b', '/c.txt': 'c' });
    await createPipelines(root, shellPipeline('upper', pfs('raw', '/*'), UPPER));
    assert.equal(await readTree(root, 'upper'), null, 'create pipeline runs nothing by itself');

    let r = await run(root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /upper: job [0-9a-f]{32} JOB_SUCCESS: 3 processed, 0 skipped, 0 failed/);
    assert.deepEqual(await readTree(root, 'upper'), { '/a.txt': 'A', '/b.txt': 'B', '/c.txt': 'C' });

    r = await run(root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /upper: up to date, 0 datums processed/);
    assert.equal((await listJobs(root, 'upper')).length, 1, 'no new job when the inputs did not change');

    await commitFiles(root, 'raw', { '/d.txt': 'd', '/a.txt': 'aa' });
    r = await run(root);
    assert.match(r.stdout, /JOB_SUCCESS: 2 processed, 2 skipped/);
    assert.deepEqual(await readTree(root, 'upper'), { '/a.txt': 'AA', '/b.txt': 'B', '/c.txt': 'C', '/d.txt': 'D' });

    const head = await commitFiles(root, 'raw', { '/b.txt': null });
    r = await run(root);
    assert.match(r.stdout, /JOB_SUCCESS: 0 processed, 3 skipped/);
    assert.deepEqual(await readTree(root, 'upper'), { '/a.txt': 'AA', '/c.txt': 'C', '/d.txt': 'D' });

    // The job id is the output commit's id, whose provenance is the input commit.
    const [job] = await listJobs(root, 'upper');
    assert.equal(job.output_commit.id, job.job.id);
    assert.equal(job.state, 'JOB_SUCCESS');
    assert.deepEqual([int64(job.data_processed), int64(job.data_skipped), int64(job.data_total)], [0, 3, 3]);
    const [commit] = parseRaw(await vigilOk(['inspect', 'commit', `upper@${job.job.id}`, '--raw'], { root }));
    // As on Pachyderm, the provenance holds the input commits and the pipeline's spec commit (PipelineInfo.spec_commit).
    const [pipeline] = parseRaw(await vigilOk(['inspect', 'pipeline', 'upper', '--raw'], { root }));
    assert.deepEqual(
      commit.direct_provenance.map((c: any) => `${c.repo.type}:${c.repo.name}@${c.id}`),
      [`user:raw@${head}`, `spec:upper@${pipeline.spec_commit.id}`],
    );
    assert.equal(pipeline.state, 'PIPELINE_RUNNING', 'an idle pipeline is RUNNING on Pachyderm (only autoscaling ones go to STANDBY)');
    assert.notEqual(head, first);
    // An older job's output is still there, as it was.
    const jobs = await listJobs(root, 'upper');
    assert.deepEqual(await readTree(root, 'upper', jobs.at(-1)!.job.id), { '/a.txt': 'A', '/b.txt': 'B', '/c.txt': 'C' });
  });

  test('update pipeline keeps datums skipped; --reprocess processes them again', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a', '/b.txt': 'b' });
    const spec = shellPipeline('upper', pfs('raw', '/*'), UPPER);
    await createPipelines(root, spec);
    await run(root);
    const file = join(await tempDir(), 'upper.json');
    await writeFile(file, JSON.stringify({ ...spec, description: 'changed' }));
    await vigilOk(['update', 'pipeline', '-f', file], { root });
    assert.match((await run(root)).stdout, /JOB_SUCCESS: 0 processed, 2 skipped/);
    await vigilOk(['update', 'pipeline', '-f', file, '--reprocess'], { root });
    assert.match((await run(root)).stdout, /JOB_SUCCESS: 2 processed, 0 skipped/);
    const [info] = parseRaw(await vigilOk(['inspect', 'pipeline', 'upper', '--raw'], { root }));
    assert.equal(info.version, '3');
    assert.equal(info.details.description, 'changed');
  });

  test('runs pipelines in dependency order, and `vigil run NAME` only that one and its upstream', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a' });
    await commitFiles(root, 'other', { '/x.txt': 'x' });
    // Given downstream first: the file's order must not matter.
    await createPipelines(
      root,
      shellPipeline('second', pfs('first', '/*'), 'sed s/A/B/ "$first" > "$PFS_ROOT/out/$(basename "$first")"'),
      shellPipeline('first', pfs('raw', '/*'), UPPER),
      shellPipeline('unrelated', pfs('other', '/*'), 'cp "$other" "$PFS_ROOT/out/"'),
    );
    const r = await run(root, 'second');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.indexOf('first: job') < r.stdout.indexOf('second: job'), r.stdout);
    assert.doesNotMatch(r.stdout, /unrelated/);
    assert.deepEqual(await readTree(root, 'second'), { '/a.txt': 'B' });
    assert.equal(await readTree(root, 'unrelated'), null);
  });
});

describe('vigil run: what a step sees', () => {
  test("environment: a minimal base with the caller's VIGIL_ settings (no other caller variable), spec env, PFS_ROOT, VIGIL_ROOT and Pachyderm's per-datum variables; .env holds the same", async () => {
    const root = await tempDir();
    const rawCommit = await commitFiles(root, 'raw', { '/cam/a.txt': 'a' });
    const rulesCommit = await commitFiles(root, 'rules', { '/rules.yaml': 'r' });
    const scratch = await tempDir();
    await createPipelines(
      root,
      shellPipeline(
        'env',
        { cross: [pfs('raw', '/*/*'), pfs('rules', '/')] },
        'env > "$PFS_ROOT/out/env"; cp "$PFS_ROOT/.env" "$PFS_ROOT/out/dotenv"; cd "$PFS_ROOT" && find raw rules -type f | sort > out/files',
        { transform: { env: { GREETING: 'hello', PFS_ROOT: '/ignored' } } },
      ),
      {
        pipeline: { name: 'stdin' },
        input: pfs('rules', '/'),
        transform: { cmd: ['sh'], stdin: ['pwd > "$PFS_ROOT/out/pwd"', 'exit 3'], workingDir: scratch, acceptReturnCode: [3] },
      },
    );
    const r = await vigil(['run'], { root, env: { CALLER_VAR: 'from-caller', VIGIL_SETTING: 'setting', VIGIL_SECRET_u1_PD: 'rk' } });
    assert.equal(r.code, 0, r.stderr);
    const out = (await readTree(root, 'env'))!;
    const env = Object.fromEntries(
      out['/env']!.split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const [job] = await listJobs(root, 'env');
    const [datum] = await listDatums(root, `env@${job.job.id}`);
    assert.equal(env.CALLER_VAR, undefined, "the caller's other variables stay with the caller (src/engine/pps/step-env.ts)");
    assert.equal(env.VIGIL_SETTING, 'setting');
    assert.equal(env.VIGIL_SECRET_u1_PD, undefined, 'a secret reaches only a spec that declares it');
    assert.equal(env.GREETING, 'hello');
    assert.notEqual(env.PFS_ROOT, '/ignored', "the engine's PFS_ROOT wins over the spec's");
    assert.equal(env.VIGIL_ROOT, root);
    assert.equal(env.raw, join(env.PFS_ROOT!, 'raw', 'cam', 'a.txt'));
    assert.equal(env.rules, join(env.PFS_ROOT!, 'rules'), 'glob / is the whole repo: $PFS_ROOT/<name>');
    assert.equal(env.raw_COMMIT, rawCommit);
    assert.equal(env.rules_COMMIT, rulesCommit);
    assert.equal(env.PACH_DATUM_ID, datum.datum.id);
    assert.equal(env.PACH_JOB_ID, job.job.id);
    assert.equal(env.PACH_OUTPUT_COMMIT_ID, job.output_commit.id);
    assert.match(env.PPS_WORKER_GRPC_PORT!, /^\d+$/, 'every worker has its gRPC port, batching or not (worker_rc.go)');
    assert.deepEqual(
      out['/files']!.trim().split('\n'),
      ['raw/cam/a.txt', 'rules/rules.yaml'],
      'files keep their full repo path under $PFS_ROOT/<name>/',
    );
    for (const key of ['raw', 'raw_COMMIT', 'rules', 'rules_COMMIT', 'PACH_DATUM_ID', 'PACH_JOB_ID', 'PACH_OUTPUT_COMMIT_ID']) {
      assert.ok(out['/dotenv']!.split('\n').includes(`${key}=${env[key]}`), `.env has ${key}`);
    }
    assert.deepEqual(await readTree(root, 'stdin'), { '/pwd': `${scratch}\n` }, 'stdin, workingDir and acceptReturnCode as in Pachyderm');
    assert.deepEqual(
      datum.data.map((f: any) => `${f.file.commit.repo.name}@${f.file.commit.id}:${f.file.path}`),
      [`raw@${rawCommit}:/cam/a.txt`, `rules@${rulesCommit}:/`],
      'DatumInfo.data: one entry per input, its glob match (the whole repo for /)',
    );
    assert.deepEqual(
      datum.data.map((f: any) => f.file_type),
      ['FILE', 'DIR'],
    );
  });
});

describe('vigil run: failures', () => {
  test('two datums writing the same path fail the job, naming the path and both datums', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a', '/b.txt': 'b' });
    await createPipelines(
      root,
      shellPipeline('clash', pfs('raw', '/*'), 'cp "$raw" "$PFS_ROOT/out/same.txt"'),
      // a.txt writes the file /x, b.txt a file below the folder /x.
      shellPipeline(
        'nested',
        pfs('raw', '/*'),
        'if grep -q a "$raw"; then echo > "$PFS_ROOT/out/x"; else mkdir "$PFS_ROOT/out/x"; echo > "$PFS_ROOT/out/x/y"; fi',
      ),
    );
    const r = await run(root);
    assert.equal(r.code, 1);
    const [job] = await listJobs(root, 'clash');
    const ids = (await listDatums(root, `clash@${job.job.id}`)).map((d) => d.datum.id);
    assert.equal(job.state, 'JOB_FAILURE');
    assert.match(job.reason, /\/same\.txt/);
    for (const id of ids) assert.ok(job.reason.includes(id), `reason names datum ${id}: ${job.reason}`);
    assert.equal(await readTree(root, 'clash'), null, 'a failed job makes no output commit');
    const [nested] = await listJobs(root, 'nested');
    assert.equal(nested.state, 'JOB_FAILURE');
    assert.match(nested.reason, /the output cannot be committed: .*"\/x" is a file/);
  });

  test('a failing datum is tried datumTries times; the others are recorded; the next job reuses none of the failed job', async () => {
    const root = await tempDir();
    const counter = join(await tempDir(), 'tries');
    await commitFiles(root, 'raw', { '/a.txt': 'a', '/bad.txt': 'bad' });
    const script = `if grep -q bad "$raw"; then echo try >> ${counter}; echo "bad input" >&2; exit 1; fi; ${UPPER}`;
    await createPipelines(root, shellPipeline('flaky', pfs('raw', '/*'), script));
    let r = await run(root);
    assert.equal(r.code, 1);
    assert.equal((await readFile(counter, 'utf8')).trim().split('\n').length, 3, 'datumTries defaults to 3');
    const [failed] = await listJobs(root, 'flaky');
    const datums = await listDatums(root, `flaky@${failed.job.id}`);
    const bad = datums.find((d) => d.data[0].file.path === '/bad.txt')!;
    assert.deepEqual(datums.map((d) => d.state).sort(), ['FAILED', 'SUCCESS']);
    assert.equal(bad.state, 'FAILED');
    assert.equal(failed.state, 'JOB_FAILURE');
    assert.match(failed.reason, new RegExp(`datum ${bad.datum.id} failed: exit code 1: bad input`));
    assert.deepEqual([int64(failed.data_processed), int64(failed.data_failed), int64(failed.data_total)], [1, 1, 2]);
    assert.match(r.stdout, /JOB_FAILURE/);

    r = await run(root);
    assert.equal(r.code, 1, 'the failure is reported again while nothing changed');
    assert.match(r.stdout, /inputs unchanged since job [0-9a-f]{32} failed/);

    await commitFiles(root, 'raw', { '/bad.txt': 'fixed' });
    r = await run(root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /JOB_SUCCESS: 2 processed, 0 skipped/, 'a.txt is processed again: the failed job is no base to skip from');
    assert.deepEqual(await readTree(root, 'flaky'), { '/a.txt': 'A', '/bad.txt': 'FIXED' });
  });

  test('errCmd succeeding marks the datum RECOVERED: its output is dropped and the job succeeds', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a', '/bad.txt': 'bad' });
    await createPipelines(
      root,
      shellPipeline('lenient', pfs('raw', '/*'), `${UPPER}; if grep -q bad "$raw"; then exit 2; fi`, {
        transform: { errCmd: ['sh', '-c', 'echo "recovering $raw" >&2'] },
        datumTries: 1,
      }),
      shellPipeline('strict', pfs('raw', '/*'), 'grep -vq bad "$raw"', { transform: { errCmd: ['false'] }, datumTries: 1 }),
    );
    const r = await run(root);
    assert.equal(r.code, 1, 'strict fails');
    const [lenient] = await listJobs(root, 'lenient');
    assert.equal(lenient.state, 'JOB_SUCCESS');
    assert.deepEqual([int64(lenient.data_processed), int64(lenient.data_recovered), int64(lenient.data_failed)], [1, 1, 0]);
    assert.deepEqual(await readTree(root, 'lenient'), { '/a.txt': 'A' });
    const states = (await listDatums(root, `lenient@${lenient.job.id}`)).map((d) => d.state).sort();
    assert.deepEqual(states, ['RECOVERED', 'SUCCESS']);
    assert.match(await vigilOk(['logs', 'lenient'], { root }), /recovering .*bad\.txt/);
    const [strict] = await listJobs(root, 'strict');
    assert.equal(strict.state, 'JOB_FAILURE');
    assert.match(strict.reason, /exit code 1; errCmd failed too: exit code 1/);
  });

  test('datumTimeout kills the datum and everything it started; jobTimeout ends the job', async () => {
    const root = await tempDir();
    const pidFile = join(await tempDir(), 'pid');
    await commitFiles(root, 'raw', { '/slow.txt': 's' });
    await createPipelines(
      root,
      shellPipeline('slow', pfs('raw', '/*'), `sleep 60 & echo $! > ${pidFile}; wait`, { datumTimeout: '1s', datumTries: 1 }),
      shellPipeline('slowjob', pfs('raw', '/*'), 'sleep 60', { jobTimeout: '1.5s' }),
    );
    const started = Date.now();
    const r = await run(root);
    assert.equal(r.code, 1);
    assert.ok(Date.now() - started < 20_000);
    const [job] = await listJobs(root, 'slow');
    assert.match(job.reason, /timed out after 1s \(datumTimeout\)/);
    const [slowjob] = await listJobs(root, 'slowjob');
    assert.deepEqual([slowjob.state, slowjob.reason], ['JOB_FAILURE', 'job timed out after 1.5s (jobTimeout)']);
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.ok(!(await running(pid)), 'the background child of the step was killed with its process group');
  });

  test("vigil logs shows a step's output per datum", async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a', '/b.txt': 'b' });
    await createPipelines(root, shellPipeline('talk', pfs('raw', '/*'), 'echo "hello from $(basename "$raw")" >&2'));
    await run(root);
    const all = await vigilOk(['logs', 'talk'], { root });
    assert.match(all, /hello from a\.txt/);
    assert.match(all, /hello from b\.txt/);
    const [job] = await listJobs(root, 'talk');
    const a = (await listDatums(root, `talk@${job.job.id}`)).find((d) => d.data[0].file.path === '/a.txt')!;
    const one = await vigilOk(['logs', 'talk', '--datum', a.datum.id], { root });
    assert.equal(one, 'hello from a.txt\n');
    const [entry] = parseRaw(await vigilOk(['logs', 'talk', '--datum', a.datum.id, '--raw'], { root }));
    assert.deepEqual([entry.pipeline_name, entry.job_id, entry.datum_id], ['talk', job.job.id, a.datum.id]);
    assert.deepEqual(readdirSync(join(root, 'pps', 'work')), [], "the job's scratch folders are gone");
  });

  test('a vigil run stopped by a signal kills its steps and leaves the job JOB_KILLED; one killed outright is found out; both are redone', async () => {
    const root = await tempDir();
    const scratch = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a' });
    // The first two tries hang (recording their pid); the third, in the third run, goes through.
    const script = `n=$(ls ${scratch} | wc -l); if [ "$n" -lt 2 ]; then echo $$ > ${scratch}.tmp; mv ${scratch}.tmp ${scratch}/pid$n; sleep 60; fi; ${UPPER}`;
    await createPipelines(root, shellPipeline('slow', pfs('raw', '/*'), script));
    for (const [signal, pidFile] of [
      ['SIGINT', 'pid0'],
      ['SIGKILL', 'pid1'],
    ] as const) {
      const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'run'], {
        env: { ...process.env, VIGIL_ROOT: root },
        stdio: 'ignore',
      });
      while (!existsSync(join(scratch, pidFile))) await sleep(50);
      child.kill(signal);
      const [code, killedBy] = await once(child, 'close');
      const step = Number(await readFile(join(scratch, pidFile), 'utf8'));
      assert.ok(step > 1, `step pid ${step}`);
      if (signal === 'SIGINT') {
        assert.equal(code, 130);
        assert.ok(!(await running(step)), 'the step was killed with the run');
        assert.equal((await listJobs(root, 'slow'))[0]!.state, 'JOB_KILLED');
      } else {
        assert.equal(killedBy, 'SIGKILL');
        process.kill(-step, 'SIGKILL'); // nothing was left to kill it
      }
    }
    const r = await run(root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /JOB_SUCCESS: 1 processed/);
    const states = (await listJobs(root, 'slow')).map((j) => j.state);
    assert.deepEqual(states, ['JOB_SUCCESS', 'JOB_KILLED', 'JOB_KILLED']);
  });
});
