/**
 * A model from a data scientist to customers, end to end on the embedded engine with real
 * models: the bundled CenterNet live, NanoDet committed to models@candidate, the shadow
 * pipelines on the recent frames, `vigil model diff` listing the threats that would change, no
 * email from shadow outputs, `promote` refused when the candidate is worse and accepted within
 * a wider margin, the re-run touching only detection and what depends on it, and `rollback`
 * restoring the previous detections.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify, parse } from 'yaml';
import type { DetectedObject, Detection, Promotion } from '../../specs/index.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { parseRaw } from '../helpers/engine.js';
import { layEvalSet, layNanodet } from '../helpers/models.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
/** Night-time frames: a person twice in the New York shop (rule 200), a motorcycle at the Tokyo gate (rule 300). */
const FRAMES: Record<string, string> = {
  '/u1-cam1/20261126T041500Z.png': 'astronaut.png',
  '/u1-cam1/20261126T041700Z.png': 'camera.png',
  '/u3-gate/20261125T150000Z.png': 'motorcycle_left.png',
  '/u2-yard/20261125T220000Z.png': 'chelsea.png',
};

describe('a candidate model through shadow runs, gated promotion and rollback', () => {
  let dir: string;
  let root: string;
  const opts = () => ({ root });
  const ok = (...args: string[]) => vigilOk(args, opts());
  const head = async (repo: string, branch = 'master') =>
    (JSON.parse(await ok('inspect', 'commit', `${repo}@${branch}`, '--raw')) as { commit: { id: string } }).commit.id;
  const emails = async () => (await readdir(join(root, 'outbox')).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
  const detections = async (): Promise<Record<string, Detection>> => {
    const out: Record<string, Detection> = {};
    for (const path of Object.keys(FRAMES)) {
      const record = path.replace(/\.png$/, '.json');
      out[record] = JSON.parse(await ok('get', 'file', `detections@master:${record}`)) as Detection;
    }
    return out;
  };
  const objects = (d: Record<string, Detection>): Record<string, DetectedObject[]> =>
    Object.fromEntries(Object.entries(d).map(([path, r]) => [path, r.objects]));
  const jobs = async (pipeline: string) => parseRaw(await ok('list', 'job', '--raw', '-p', pipeline)).length;
  let centernet: Record<string, Detection>;

  before(async () => {
    dir = await tempDir('vigil-model-flow-');
    root = join(dir, 'store');
    await ok('init');
    // The demo's customers, with rules that CenterNet and NanoDet disagree on: rule 200 wants a
    // person at 0.7 (CenterNet scores them about 0.6, NanoDet about 0.8), rule 300 a vehicle at
    // 0.6 (CenterNet's motorcycle is about 0.7, NanoDet's about 0.55).
    const rules = parse(await readFile(join(packageRoot(), 'demo', 'rules', 'rules.yaml'), 'utf8')) as {
      rules: Array<{ id: number; minScore?: number }>;
    };
    for (const r of rules.rules) r.minScore = { 100: 0.8, 200: 0.7, 300: 0.6 }[r.id] ?? r.minScore;
    await ok('put', 'file', 'rules@master:/subscriptions.yaml', '-f', join(packageRoot(), 'demo', 'rules', 'subscriptions.yaml'));
    await writeFile(join(dir, 'rules.yaml'), stringify(rules));
    await ok('put', 'file', 'rules@master:/rules.yaml', '-f', join(dir, 'rules.yaml'));
    await ok('put', 'file', '-r', 'eval@master:/', '-f', await layEvalSet(join(dir, 'eval')));
    for (const [path, file] of Object.entries(FRAMES)) await ok('put', 'file', `raw@master:${path}`, '-f', fixture(file));
    await ok('run');
    centernet = await detections();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs live with CenterNet: one threat, at the gate, and one email about it', async () => {
    for (const record of Object.values(centernet)) assert.equal(record.model.name, 'centernet');
    assert.deepEqual(
      parseRaw(await ok('list', 'file', 'matches@master:/', '--raw')).map((f) => f.file.path),
      ['/u3-gate/'],
    );
    assert.equal((await emails()).length, 1);
  });

  it('shadows NanoDet from models@candidate on the recent frames; diff lists the threats gained and lost; no email', async () => {
    const candidate = await tempDir('vigil-candidate-');
    await layNanodet(candidate);
    await ok('put', 'file', '-r', 'models@candidate:/', '-f', candidate);
    const ledger = await readdir(join(root, 'alert-ledger'), { recursive: true });
    const emailsBefore = await emails();

    const shadow = await ok('model', 'shadow', '--days', '2');
    assert.match(shadow, /shadow window: frames captured 20261125 to 20261126 \(UTC\)/);
    assert.match(shadow, /detections-shadow: job \w+ JOB_SUCCESS: 4 processed/);
    assert.match(shadow, /matches-shadow: job \w+ JOB_SUCCESS: 4 processed/);
    const shadowRecord = JSON.parse(await ok('get', 'file', 'detections-shadow@master:/u1-cam1/20261126T041500Z.json')) as Detection;
    assert.deepEqual([shadowRecord.model.name, shadowRecord.model.commit], ['nanodet', await head('models', 'candidate')]);

    const diff = await ok('model', 'diff');
    assert.match(
      diff,
      new RegExp(
        `^candidate nanodet@${await head('models', 'candidate')} against current centernet@${await head('models')} on 4 frame\\(s\\)`,
      ),
    );
    assert.match(diff, /threats: 1 now, 2 with the candidate \(\+1\)/);
    assert.match(
      diff,
      /\n200 Person after hours +u1 +2 +0 +\+validated:\/valid\/u1-cam1\/20261126T041500Z\.jpg \(person 0\.\d\d\) {2}\+validated:\/valid\/u1-cam1\/20261126T041700Z\.jpg/,
    );
    assert.match(
      diff,
      /\n300 Vehicle at the gate at night +u3 +0 +1 +-validated:\/valid\/u3-gate\/20261125T150000Z\.jpg \(motorcycle 0\.\d\d\)/,
    );
    const raw = parseRaw(await ok('model', 'diff', '--raw'));
    assert.deepEqual(
      raw.map((c) => [c.ruleId, c.user, c.gained.length, c.lost.length]),
      [
        [200, 'u1', 2, 0],
        [300, 'u3', 0, 1],
      ],
    );

    // The shadow threats reached no customer: no email, no ledger entry, nothing live changed.
    assert.deepEqual(await emails(), emailsBefore);
    assert.deepEqual(await readdir(join(root, 'alert-ledger'), { recursive: true }), ledger);
    assert.deepEqual(objects(await detections()), objects(centernet));
    await rm(candidate, { recursive: true, force: true });
  });

  it('refuses to promote the candidate, worse on the labelled set beyond the margin, and moves nothing', async () => {
    const master = await head('models');
    const r = await vigil(['model', 'promote'], opts());
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /AP@\[\.5:\.95\]: candidate 0\.\d{3}, current 0\.\d{3} \(-0\.\d{3}\): beyond the margin 0\.02/);
    assert.match(
      r.stderr,
      new RegExp(
        `promotion refused: the candidate is worse than the current model beyond the margin 0\\.02; models@master stays at ${master}`,
      ),
    );
    assert.equal(await head('models'), master);
    assert.equal((await vigil(['list', 'commit', 'promotions'], opts())).code, 1, 'no promotion recorded');
  });

  it('promotes it within a wider margin; the re-run touches only detection and what depends on it', async () => {
    const [previous, candidate] = [await head('models'), await head('models', 'candidate')];
    const validatedJobs = await jobs('validated');
    const out = await ok('model', 'promote', '--margin', '0.15', '--reason', 'finds people better at night');
    assert.match(
      out,
      new RegExp(`promoted: models@master -> ${candidate} \\(nanodet\\), was ${previous} \\(centernet, kept as models@previous\\)`),
    );
    assert.equal(await head('models'), candidate);
    assert.equal(await head('models', 'previous'), previous);
    const [record] = parseRaw(await ok('list', 'file', 'promotions@master:/', '--raw'));
    const promotion = JSON.parse(await ok('get', 'file', `promotions@master:${record!.file.path}`)) as Promotion;
    assert.deepEqual(
      [promotion.action, promotion.from.commit, promotion.to.commit, promotion.gate?.passed, promotion.forced],
      ['promote', previous, candidate, true, undefined],
    );
    assert.equal(promotion.reason, 'finds people better at night');

    const run = await ok('run');
    assert.match(run, /validated: up to date, 0 datums processed/);
    assert.match(run, /detections: job \w+ JOB_SUCCESS: 4 processed, 0 skipped/);
    assert.match(run, /matches: job \w+ JOB_SUCCESS: 4 processed/);
    assert.equal(await jobs('validated'), validatedJobs);
    for (const record of Object.values(await detections())) assert.equal(record.model.name, 'nanodet');
    // Live now: the night-time person alerts the shop.
    assert.ok(
      (await emails()).some((f) => f.includes('u1-cam1-r200')),
      String(await emails()),
    );
  });

  it('rolls back to CenterNet in one command, and the next run restores the previous detections', async () => {
    const [nanodet, previous] = [await head('models'), await head('models', 'previous')];
    assert.match(
      await ok('model', 'rollback'),
      new RegExp(`rolled back: models@master -> ${previous} \\(centernet\\), was ${nanodet} \\(nanodet\\)`),
    );
    assert.match(await ok('run'), /detections: job \w+ JOB_SUCCESS: 4 processed/);
    const restored = await detections();
    for (const record of Object.values(restored)) assert.deepEqual([record.model.name, record.model.commit], ['centernet', previous]);
    assert.deepEqual(objects(restored), objects(centernet));
    const again = await vigil(['model', 'rollback'], opts());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /nothing to roll back: the last promotion was rolled back already/);
  });

  it('promotes with --force past the gate, and the record says so', async () => {
    const out = await ok('model', 'promote', '--force', '--reason', 'the night shift asked for it');
    assert.match(out, /beyond the margin 0\.02/);
    assert.match(out, /promoted with --force, the gate refusing: models@master -> /);
    const records = parseRaw(await ok('list', 'file', 'promotions@master:/', '--raw')).map((f) => f.file.path as string);
    assert.equal(records.length, 3);
    const last = JSON.parse(await ok('get', 'file', `promotions@master:${records.sort().at(-1)}`)) as Promotion;
    assert.deepEqual([last.action, last.forced, last.gate?.passed, last.reason], ['promote', true, false, 'the night shift asked for it']);
  });
});
