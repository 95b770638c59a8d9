/**
 * The validated pipeline through the embedded engine, as a user drives it with the CLI:
 * frames put into `raw`, `vigil create pipeline` + `vigil run`, outputs read back with
 * `vigil get file`, datum skipping read from `vigil list job --raw`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readPipelineSpecs } from '../../src/engine/pps/spec.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { configVersion, resolveConfig } from '../../steps/validate/config.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { BAD_FRAMES, GOOD_FRAMES, assertFrameOutput, expectedOutput, fixturePath, jobsOf, listFiles } from '../helpers/validate.js';

const SPEC = join(packageRoot(), 'pipelines', 'validated.yaml');

test('pipelines/validated.yaml is a Pachyderm CreatePipelineRequest: frames grouped by camera and time, the rest, batched vigil step validate', async () => {
  // readPipelineSpecs checks the file against Pachyderm's official schema (ajv-draft-04).
  const [spec] = await readPipelineSpecs(SPEC);
  const { version } = JSON.parse(await readFile(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  assert.equal(spec.name, 'validated');
  assert.deepEqual(spec.input, {
    union: [
      { group: [{ pfs: { name: 'raw', repo: 'raw', branch: 'master', glob: '/(*)/(*).?*', groupBy: '$1/$2' } }] },
      { pfs: { name: 'raw', repo: 'raw', branch: 'master', glob: '/*/!(*.?*)' } },
      { pfs: { name: 'raw', repo: 'raw', branch: 'master', glob: '/*.*' } },
    ],
  });
  assert.deepEqual(spec.transform.cmd, ['vigil', 'step', 'validate']);
  assert.deepEqual(spec.transform.errCmd, ['sh', '-c', 'test ! -e "$raw"']);
  assert.equal(spec.transform.image, `vigil/vigil:${version}`);
  assert.equal(spec.transform.datumBatching, true);
});

test('through the engine: every frame lands in /valid/ or /rejected/, and only new frames are processed again', async () => {
  const work = await tempDir('vigil-validate-engine-');
  const opts = { root: join(work, 'store') };
  const cases = Object.values({ ...GOOD_FRAMES, ...BAD_FRAMES });
  const frames = await Promise.all(cases.map(async (c) => ({ c, bytes: await c.make() })));
  for (const { c, bytes } of frames) {
    await mkdir(dirname(join(work, 'frames', c.path)), { recursive: true });
    await writeFile(join(work, 'frames', c.path), bytes);
  }

  await vigilOk(['create', 'repo', 'raw'], opts);
  await vigilOk(['put', 'file', '-r', 'raw@master:/', '-f', join(work, 'frames')], opts);
  await vigilOk(['create', 'pipeline', '-f', SPEC], opts);
  await vigilOk(['run'], opts);

  const [first, ...older] = jobsOf(await vigilOk(['list', 'job', '--raw'], opts), 'validated');
  assert.deepEqual(older, []);
  assert.equal(first.state, 'JOB_SUCCESS');
  assert.equal(first.processed, cases.length, 'one datum per frame, the root frames included');

  const out = join(work, 'out1');
  await vigilOk(['get', 'file', '-r', 'validated@master:/', '-o', out], opts);
  assert.deepEqual(await listFiles(out), frames.map(({ c }) => expectedOutput(c)).sort());
  const rawHead = JSON.parse(await vigilOk(['inspect', 'commit', 'raw@master', '--raw'], opts)) as { commit: { id: string } };
  const lineage = { commit: rawHead.commit.id, configVersion: configVersion(resolveConfig({}, 'defaults')) };
  for (const { c, bytes } of frames) await assertFrameOutput(c, bytes, out, lineage);

  // Nothing new in raw: no datum is processed again.
  await vigilOk(['run'], opts);
  const afterRerun = jobsOf(await vigilOk(['list', 'job', '--raw'], opts), 'validated');
  assert.equal(
    afterRerun.filter((j) => j.id !== first.id).reduce((n, j) => n + j.processed, 0),
    0,
  );

  // One new frame: exactly one datum is processed; the others are skipped and keep their outputs.
  await vigilOk(['put', 'file', 'raw@master:/u3-yard/20261126T050000Z.png', '-f', fixturePath('motorcycle_left.png')], opts);
  await vigilOk(['run'], opts);
  const [latest] = jobsOf(await vigilOk(['list', 'job', '--raw'], opts), 'validated');
  assert.notEqual(latest.id, first.id);
  assert.equal(latest.state, 'JOB_SUCCESS');
  assert.equal(latest.processed, 1);
  assert.equal(latest.skipped, cases.length);
  const out2 = join(work, 'out2');
  await vigilOk(['get', 'file', '-r', 'validated@master:/', '-o', out2], opts);
  assert.deepEqual(await listFiles(out2), [...(await listFiles(out)), '/valid/u3-yard/20261126T050000Z.jpg'].sort());
});
