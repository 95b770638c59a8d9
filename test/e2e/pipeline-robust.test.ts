/**
 * Issue 18, point 1: no upload can fail a job by itself. On the demo's store (every real
 * pipeline, the real detector), each hostile upload of the issue lands beside a new good frame;
 * every job must succeed, the good frame must reach validated, detections, matches and alerts,
 * and the bad upload must be recorded, never dropped (where a file could not even be laid out, its
 * datum is recovered with a reason naming the path).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { assertValid, type Rejection } from '../../specs/index.js';
import { duplicateRejectionPath, unparsedRejectionPath } from '../../src/contract/repos.js';
import { listJobs, readDatums } from '../../src/engine/pps/job-records.js';
import { Store } from '../../src/engine/store/store.js';
import type { Trace } from '../../src/lineage/trace.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { plantAsOldStore } from '../helpers/engine.js';
import { fixturePath } from '../helpers/validate.js';

const PIPELINES = ['validated', 'detections', 'matches', 'alerts', 'warehouse', 'reports'];
/** The demo's environment: no PagerDuty key, the outbox in the store's folder. */
const ENV = { VIGIL_PD_KEY_U1: '', VIGIL_OUTBOX: '' };

/** The file's text at the head of `repo`, or null when the head has no such file. */
async function headText(root: string, repo: string, path: string): Promise<string | null> {
  const store = await Store.open(root);
  const head = await store.headCommit(repo);
  const file = head && (await store.listFiles(repo, head.id)).find((f) => f.path === path);
  return file ? readFile(store.objectPath(file.sha256), 'utf8') : null;
}

/** `vigil run`: it must exit 0 and leave every pipeline's latest job JOB_SUCCESS. */
async function runAll(root: string): Promise<void> {
  const run = await vigil(['run'], { root, env: ENV });
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const jobs = await listJobs(root, PIPELINES);
  for (const pipeline of PIPELINES) {
    const latest = jobs.filter((j) => j.pipeline === pipeline).sort((a, b) => (a.created < b.created ? 1 : -1))[0];
    assert.equal(latest?.state, 'JOB_SUCCESS', `${pipeline}: ${latest?.reason ?? 'no job'}`);
  }
}

/**
 * The frame `/u1-cam1/<ts>.*` (a person at night in New York) made it through every stage: its
 * standard JPEG, its detection, its match of rule 200 and an incident that starts with it.
 */
async function assertFlowed(root: string, ts: string): Promise<void> {
  assert.notEqual(await headText(root, 'validated', `/valid/u1-cam1/${ts}.jpg`), null, `validated ${ts}`);
  assert.notEqual(await headText(root, 'detections', `/u1-cam1/${ts}.json`), null, `detection ${ts}`);
  assert.match((await headText(root, 'matches', `/u1-cam1/${ts}.json`)) ?? '', /"ruleId": 200/, `match ${ts}`);
  const alert = await headText(root, 'alerts', `/u1-cam1/u1-cam1-r200-${ts}.json`);
  assert.ok(alert, `alert ${ts}`);
  assert.equal(assertValid('alert', JSON.parse(alert), ts).first.frame.path, `/valid/u1-cam1/${ts}.jpg`);
}

async function rejection(root: string, path: string): Promise<Rejection> {
  const text = await headText(root, 'validated', path);
  assert.ok(text, `validated has ${path}`);
  return assertValid('rejection', JSON.parse(text), path);
}

describe('one bad upload never stops the pipeline', () => {
  let root: string;
  const astronaut = fixturePath('astronaut.png');

  before(async () => {
    root = await tempDir('vigil-robust-');
    await vigilOk(['demo', '--root', root], { root, env: ENV });
  });

  test('the same bytes under two unparseable names: two rejections, each named by its path', async () => {
    const rocket = fixturePath('rocket.jpg');
    await vigilOk(['put', 'file', 'raw@master:/a.jpg', '-f', rocket], { root });
    await vigilOk(['put', 'file', 'raw@master:/b.jpg', '-f', rocket], { root });
    await vigilOk(['put', 'file', 'raw@master:/u1-cam1/20261127T041500Z.png', '-f', astronaut], { root });
    await runAll(root);
    await assertFlowed(root, '20261127T041500Z');
    for (const path of ['/a.jpg', '/b.jpg']) {
      const record = await rejection(root, unparsedRejectionPath(path));
      assert.equal(record.input.path, path);
      assert.deepEqual(
        record.reasons.map((r) => r.code),
        ['name'],
      );
    }
  });

  test('one timestamp with two extensions: one frame flows, the other is a duplicate naming both', async () => {
    const jpg = join(await tempDir(), 'astronaut.jpg');
    await sharp(astronaut).jpeg().toFile(jpg);
    const ts = '20261128T041500Z';
    await vigilOk(['put', 'file', `raw@master:/u1-cam1/${ts}.png`, '-f', astronaut], { root });
    await vigilOk(['put', 'file', `raw@master:/u1-cam1/${ts}.jpg`, '-f', jpg], { root });
    await runAll(root);
    await assertFlowed(root, ts);
    const duplicate = await rejection(root, duplicateRejectionPath(`/u1-cam1/${ts}.png`)!);
    assert.equal(duplicate.input.path, `/u1-cam1/${ts}.png`);
    assert.deepEqual(
      duplicate.reasons.map((r) => [r.code, r.measured, r.limit]),
      [['duplicate', `/u1-cam1/${ts}.png`, `/u1-cam1/${ts}.jpg`]],
    );
    // Lineage picks the file that was kept: the alert traces back to the .jpg alone.
    const trace = JSON.parse(
      await vigilOk(['trace', `alerts@master:/u1-cam1/u1-cam1-r200-${ts}.json`, '--raw', '--verify'], { root }),
    ) as Trace;
    assert.deepEqual(trace.problems, []);
    assert.deepEqual(
      trace.frames.map((f) => `${f.repo}:${f.path}`),
      [`raw:/u1-cam1/${ts}.jpg`],
    );
  });

  test('a 300-character name: refused by put file; in an old store, its datum recovered and the job succeeds', async () => {
    const long = `/u1-cam1/${'x'.repeat(296)}.jpg`;
    const put = await vigil(['put', 'file', `raw@master:${long}`, '-f', astronaut], { root });
    assert.equal(put.code, 1);
    assert.ok(put.stderr.includes(`path "${long}" in raw@master has a name of 300 bytes`), put.stderr);
    assert.match(put.stderr, /a file or folder name is at most 255 bytes/);
    assert.doesNotMatch(put.stderr, /\n\s+at /, 'no stack');

    await vigilOk(['put', 'file', 'raw@master:/u1-cam1/20261129T041500Z.png', '-f', astronaut], { root });
    await plantAsOldStore(root, 'raw', long, await readFile(astronaut));
    await runAll(root);
    await assertFlowed(root, '20261129T041500Z');
    const [validated] = (await listJobs(root, ['validated'])).sort((a, b) => (a.created < b.created ? 1 : -1));
    const recovered = readDatums(await Store.open(root), validated!).filter((d) => d.state === 'RECOVERED');
    assert.equal(recovered.length, 1);
    assert.ok(recovered[0]!.reason?.startsWith(`cannot lay out raw:${long} for the step: ENAMETOOLONG`), recovered[0]!.reason);
  });
});
