/**
 * `vigil trace` on a store the real pipelines filled: `vigil init`, the sample rules, four
 * camera frames, `vigil run` (validate, detect on WASM, match, alert to the .eml outbox,
 * warehouse, reports). Then every record traces back to its frame with every hash re-computed,
 * a frame follows forward to its incident, a rules change keeps old matches on the old rules
 * commit, and a corrupted object or a lost commit fails `--verify` naming the hop.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertValid, type Detection } from '../../specs/index.js';
import { hopKind, isRawSourceOf, onlySource, traceBack, type Hop, type Trace } from '../../src/lineage/trace.js';
import { Store, type CommitRef } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { parseRaw } from '../helpers/engine.js';

const FIXTURES = join(packageRoot(), 'test', 'fixtures');

/** The camera's frames: two people 15 minutes apart at night (two incidents of rule 200), a cup, a truncated JPEG. */
const PERSON_1 = '/u1-cam1/20261126T041500Z.png';
const PERSON_2 = '/u1-cam1/20261126T043000Z.png';
const CUP = '/u1-cam1/20261126T044500Z.png';
const BROKEN = '/u1-cam1/20261126T050000Z.jpg';
const FRAMES: Record<string, string> = {
  [PERSON_1]: 'astronaut.png',
  [PERSON_2]: 'camera.png',
  [CUP]: 'coffee.png',
  [BROKEN]: 'truncated.jpg',
};

const ts = (framePath: string) => framePath.split('/')[2]!.replace(/\.[a-z]+$/, '');

/** The hops from the root down the first child each time. */
function chain(hop: Hop): Hop[] {
  const hops = [hop];
  for (let h = hop; h.next.length > 0; ) {
    h = h.next[0]!;
    hops.push(h);
  }
  return hops;
}

function assertVerified(trace: Trace): void {
  assert.deepEqual(trace.problems, []);
  const walk = (hop: Hop) => {
    assert.ok(hop.actualSha256 && hop.actualSha256 === hop.sha256, `${hop.repo}:${hop.path} re-hashed to ${hop.actualSha256}`);
    // The job that made a pipeline's file is the job whose id is the file's commit.
    if (hop.kind === 'raw') assert.equal(hop.job, null);
    else assert.deepEqual([hop.job?.pipeline, hop.job?.id, hop.job?.pipelineVersion], [hop.repo, hop.commit, 1]);
    hop.next.forEach(walk);
  };
  walk(trace.root);
}

describe('vigil trace', () => {
  let root: string;
  const run = (args: string[]) => vigil(args, { root });
  const ok = (args: string[]) => vigilOk(args, { root });
  const traceOf = async (args: string[]): Promise<Trace> => JSON.parse(await ok(['trace', ...args, '--raw', '--verify'])) as Trace;
  const headOf = async (repo: string): Promise<string> => JSON.parse(await ok(['inspect', 'commit', `${repo}@master`, '--raw'])).commit.id;
  const filesOf = async (arg: string): Promise<string[]> =>
    parseRaw(await ok(['list', 'file', arg, '--raw'])).map((info) => info.file.path as string);

  before(async () => {
    root = await tempDir('vigil-trace-');
    await ok(['init']);
    await ok(['put', 'file', 'rules@master:/', '-r', '-f', join(FIXTURES, 'rules')]);
    const frames = join(root, 'upload');
    await mkdir(join(frames, 'u1-cam1'), { recursive: true });
    for (const [path, fixture] of Object.entries(FRAMES)) await copyFile(join(FIXTURES, fixture), join(frames, path));
    await ok(['put', 'file', 'raw@master:/', '-r', '-f', frames]);
    await ok(['run']);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('traces every alert back to exactly one camera frame, every hash re-computed and every job named', async () => {
    const alerts = (await filesOf('alerts@master:/u1-cam1/')).filter((f) => f.endsWith('.json'));
    assert.deepEqual(alerts, [`/u1-cam1/u1-cam1-r200-${ts(PERSON_1)}.json`, `/u1-cam1/u1-cam1-r200-${ts(PERSON_2)}.json`]);
    const [models, rules] = [await headOf('models'), await headOf('rules')];
    for (const [alert, frame] of [
      [alerts[0]!, PERSON_1],
      [alerts[1]!, PERSON_2],
    ]) {
      const trace = await traceOf([`alerts@master:${alert}`]);
      assertVerified(trace);
      assert.deepEqual(
        trace.frames.map((f) => `${f.repo}:${f.path}`),
        [`raw:${frame}`],
      );
      const hops = chain(trace.root);
      assert.deepEqual(
        hops.map((h) => `${h.kind} ${h.repo}:${h.path}`),
        [
          `alert alerts:${alert}`,
          `match matches:/u1-cam1/${ts(frame)}.json`,
          `detection detections:/u1-cam1/${ts(frame)}.json`,
          `validated validated:/valid/u1-cam1/${ts(frame)}.jpg`,
          `raw raw:${frame}`,
        ],
      );
      assert.equal(hops[1]!.rules?.commit, rules);
      assert.deepEqual([hops[2]!.model?.name, hops[2]!.model?.commit], ['centernet', models]);
      assert.ok(hops[0]!.deliveries?.some((d) => d.channel === 'email' && d.status === 'sent'));
    }

    // The readable tree says the same.
    const text = await ok(['trace', `alerts@master:${alerts[0]}`]);
    assert.match(text, new RegExp(`^incident alerts@[0-9a-f]{32}:${alerts[0]}\\n`));
    assert.match(text, new RegExp(`└─ camera frame raw@[0-9a-f]{32}:${PERSON_1}\\n`));
    assert.match(text, new RegExp(`model centernet at models@${models}`));
    assert.match(text, /1 camera frame, 5 files: every sha256 matches the stored bytes/);
    assert.doesNotMatch(text, /✗/);
  });

  it('traces a detection, a validated frame, a rejection and warehouse partitions back to raw', async () => {
    const single = async (arg: string, frame: string, kind: Hop['kind']) => {
      const trace = await traceOf([arg]);
      assertVerified(trace);
      assert.equal(trace.root.kind, kind);
      assert.deepEqual(
        trace.frames.map((f) => f.path),
        [frame],
      );
    };
    await single(`detections@master:/u1-cam1/${ts(CUP)}.json`, CUP, 'detection');
    await single(`validated@master:/valid/u1-cam1/${ts(PERSON_2)}.jpg`, PERSON_2, 'validated');
    await single(`validated@master:/rejected/u1-cam1/${ts(BROKEN)}.json`, BROKEN, 'rejection');

    const matches = await traceOf(['warehouse@master:/parquet/matches/day=2026-11-26/camera=u1-cam1/part.parquet']);
    assertVerified(matches);
    assert.deepEqual(matches.frames.map((f) => f.path).sort(), [PERSON_1, PERSON_2]);
    const detections = await traceOf(['warehouse@master:/parquet/detections/day=2026-11-26/camera=u1-cam1/part.parquet']);
    assert.deepEqual(detections.frames.map((f) => f.path).sort(), [PERSON_1, PERSON_2, CUP]);
    assert.match(detections.root.summary ?? '', /^\d+ rows of table detections from 3 record files$/);
  });

  it('follows a frame forward to its validation, detection, match and incident with its deliveries', async () => {
    const person = await traceOf(['--frame', `raw@master:${PERSON_1}`]);
    assertVerified(person);
    assert.deepEqual(
      chain(person.root).map((h) => `${h.kind} ${h.path}`),
      [
        `raw ${PERSON_1}`,
        `validated /valid/u1-cam1/${ts(PERSON_1)}.jpg`,
        `detection /u1-cam1/${ts(PERSON_1)}.json`,
        `match /u1-cam1/${ts(PERSON_1)}.json`,
        `alert /u1-cam1/u1-cam1-r200-${ts(PERSON_1)}.json`,
      ],
    );
    const incident = chain(person.root)[4]!;
    assert.deepEqual(
      incident.deliveries?.map((d) => `${d.channel} ${d.status}`),
      ['email sent', 'pagerduty skipped', 'webhook skipped'],
    );
    // The other incident of the same camera and day is not this frame's.
    assert.equal(chain(person.root)[3]!.next.length, 1);

    const cup = await traceOf(['--frame', `raw@master:${CUP}`]);
    assert.deepEqual(
      chain(cup.root).map((h) => h.kind),
      ['raw', 'validated', 'detection'],
    );
    const broken = await traceOf(['--frame', `raw@master:${BROKEN}`]);
    assert.deepEqual(
      chain(broken.root).map((h) => `${h.kind} ${h.path}`),
      [`raw ${BROKEN}`, `rejection /rejected/u1-cam1/${ts(BROKEN)}.json`],
    );
    assert.match(broken.root.next[0]!.summary ?? '', /^rejected: The image does not decode/);

    const text = await ok(['trace', '--frame', `raw@master:${PERSON_1}`]);
    assert.match(text, /email to s\*+y@example\.com: sent \(1 attempt\)/);
  });

  it('after a rules change, new matches name the new rules commit and older matches still the old one', async () => {
    const oldRules = await headOf('rules');
    const oldMatches = await headOf('matches');
    const stricter = (await readFile(join(FIXTURES, 'rules', 'rules.yaml'), 'utf8')).replace('minScore: 0.5\n', 'minScore: 0.55\n');
    assert.match(stricter, /minScore: 0\.55/);
    await vigilOk(['put', 'file', 'rules@master:/rules.yaml', '-f', '-'], { root, input: stricter });
    const newRules = await headOf('rules');
    assert.notEqual(newRules, oldRules);
    await ok(['run']);
    assert.notEqual(await headOf('matches'), oldMatches);

    const match = `/u1-cam1/${ts(PERSON_1)}.json`;
    const fresh = await traceOf([`matches@master:${match}`]);
    assertVerified(fresh);
    assert.equal(fresh.root.rules?.commit, newRules);
    const old = await traceOf([`matches@${oldMatches}:${match}`]);
    assertVerified(old);
    assert.equal(old.root.rules?.commit, oldRules);
    assert.deepEqual(old.frames, fresh.frames);
    // The incident was re-made from the new matches (its notifications come from the ledger, not sent again).
    const alert = await traceOf([`alerts@master:/u1-cam1/u1-cam1-r200-${ts(PERSON_1)}.json`]);
    assertVerified(alert);
    assert.equal(alert.root.next[0]!.rules?.commit, newRules);
  });

  it('--verify fails naming the hop whose stored bytes were changed', async () => {
    const alert = `alerts@master:/u1-cam1/u1-cam1-r200-${ts(PERSON_1)}.json`;
    const validated = chain((await traceOf([alert])).root)[3]!;
    const object = (await Store.open(root)).objectPath(validated.sha256!);
    const original = await readFile(object);
    const corrupted = Buffer.from(original);
    corrupted[corrupted.length >> 1] ^= 0xff;
    await chmod(object, 0o644);
    try {
      await writeFile(object, corrupted);
      const r = await run(['trace', alert, '--verify']);
      assert.equal(r.code, 1, r.stderr);
      const hop = `validated@${validated.commit}:/valid/u1-cam1/${ts(PERSON_1)}.jpg`;
      assert.match(
        r.stderr,
        new RegExp(
          `^vigil: the trace does not verify, 1 problem:\\n  ${hop}: the stored bytes hash to [0-9a-f]{64}, not the recorded ${validated.sha256}`,
        ),
      );
      assert.match(r.stdout, new RegExp(`validated frame ${hop}\\n.*✗\\n`));
      // Without --verify the tree still shows it, and the exit code stays 0.
      assert.equal((await run(['trace', alert])).code, 0);
    } finally {
      await writeFile(object, original);
      await chmod(object, 0o444);
    }
    assert.equal((await run(['trace', alert, '--verify'])).code, 0);
  });

  it('--verify fails naming the hop whose referenced commit is missing', async () => {
    const match = JSON.parse(await ok(['trace', `matches@master:/u1-cam1/${ts(PERSON_2)}.json`, '--raw'])) as Trace;
    const rulesCommit = match.root.rules!.commit;
    const record = join(root, 'repos', 'rules', 'commits', `${rulesCommit}.json`);
    await rename(record, `${record}.lost`);
    try {
      const r = await run(['trace', `matches@master:/u1-cam1/${ts(PERSON_2)}.json`, '--verify']);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`  matches@${match.root.commit}:/u1-cam1/${ts(PERSON_2)}.json: rules commit ${rulesCommit} is missing from repo rules`),
      );
    } finally {
      await rename(`${record}.lost`, record);
    }
  });

  it('--verify reports a damaged tree node as a failed check naming the commit and the node, and never crashes', async () => {
    const matchPath = `/u1-cam1/${ts(PERSON_2)}.json`;
    const match = JSON.parse(await ok(['trace', `matches@master:${matchPath}`, '--raw'])) as Trace;
    const rulesCommit = match.root.rules!.commit;
    const { root: node } = JSON.parse(await readFile(join(root, 'repos', 'rules', 'commits', `${rulesCommit}.json`), 'utf8'));
    const object = join(root, 'objects', node.slice(0, 2), node.slice(2));
    const original = await readFile(object);
    await chmod(object, 0o644);
    try {
      await writeFile(object, Buffer.concat([original.subarray(0, 8), Buffer.from([original[8]! ^ 0xff]), original.subarray(9)]));
      const r = await run(['trace', `matches@master:${matchPath}`, '--verify']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^vigil: the trace does not verify, 1 problem:\\n  matches@${match.root.commit}:${matchPath}: rules@${rulesCommit}: tree node ${node} is damaged: its bytes hash to [0-9a-f]{64}\\n$`,
        ),
      );
    } finally {
      await writeFile(object, original);
      await chmod(object, 0o444);
    }
  });

  it('refuses what it cannot trace, with the reason', async () => {
    const rules = await run(['trace', 'rules@master:/rules.yaml']);
    assert.equal(rules.code, 1);
    assert.match(rules.stderr, /vigil trace follows files of deliveries, alerts \(records and snapshots\), matches, detections, validated/);
    const missing = await run(['trace', 'matches@master:/u1-cam1/20261126T000000Z.json']);
    assert.match(missing.stderr, /file "\/u1-cam1\/20261126T000000Z.json" not found in matches@master/);
    const notRaw = await run(['trace', '--frame', `validated@master:/valid/u1-cam1/${ts(CUP)}.jpg`]);
    assert.match(notRaw.stderr, /--frame takes a camera frame of raw/);
    const both = await run(['trace']);
    assert.match(both.stderr, /name one file to trace back/);
  });
});

describe('trace decisions', () => {
  it('maps a validated frame to its raw frame by camera and time, whatever the extension', () => {
    assert.ok(isRawSourceOf('/valid/u1-cam1/20261126T041500Z.jpg', '/u1-cam1/20261126T041500Z.png'));
    assert.ok(isRawSourceOf('/valid/u1-cam1/20261126T041500.250Z.jpg', '/u1-cam1/20261126T041500.250Z.webp'));
    assert.ok(!isRawSourceOf('/valid/u1-cam1/20261126T041500Z.jpg', '/u1-cam2/20261126T041500Z.jpg'));
    assert.ok(!isRawSourceOf('/valid/u1-cam1/20261126T041500Z.jpg', '/u1-cam1/20261126T041501Z.jpg'));
  });

  it('accepts exactly one source frame and names the others when ambiguous', () => {
    const jpg = { repo: 'raw', path: '/u1-cam1/20261126T041500Z.jpg' };
    const png = { repo: 'raw', path: '/u1-cam1/20261126T041500Z.png' };
    assert.equal(onlySource([jpg], 'raw@c1', '/valid/u1-cam1/20261126T041500Z.jpg'), jpg);
    assert.match((onlySource([], 'raw@c1', '/valid/x.jpg') as { problem: string }).problem, /^no file of raw@c1 is the raw frame/);
    assert.match((onlySource([jpg, png], 'raw@c1', '/valid/x.jpg') as { problem: string }).problem, /holds 2 raw frames .*\.jpg, .*\.png$/);
  });

  it('without jobs (repos copied out of an engine) finds the raw frame by provenance, and re-hashes the model', async () => {
    const dir = await tempDir('vigil-trace-copy-');
    try {
      const store = await Store.open(dir);
      for (const repo of ['raw', 'validated', 'detections', 'models']) await store.createRepo(repo);
      const put = async (repo: string, files: Record<string, string | Buffer>, provenance: CommitRef[] = []) => {
        const entries = [];
        for (const [path, data] of Object.entries(files)) entries.push({ path, ...(await store.addObject(Buffer.from(data))) });
        return { commit: await store.commit(repo, 'master', { put: entries }, { provenance }), entries };
      };
      const frame = '/u1-cam1/20261126T041500Z';
      const raw = await put('raw', { [`${frame}.png`]: 'camera bytes', '/u1-cam1/20261126T041501Z.png': 'next frame' });
      const valid = await put('validated', { [`/valid${frame}.jpg`]: 'standard jpeg' }, [{ repo: 'raw', id: raw.commit.id }]);
      const weights = Buffer.from('weights');
      const models = await put('models', {
        '/tiny/model.json': JSON.stringify({ weightsManifest: [{ paths: ['w.bin'] }] }),
        '/tiny/w.bin': weights,
      });
      const detectionOf = (weightsSha256: string): Detection => ({
        user: 'u1',
        device: 'cam1',
        capturedAt: '2026-11-26T04:15:00.000Z',
        frame: { repo: 'validated', commit: valid.commit.id, path: `/valid${frame}.jpg`, sha256: valid.entries[0]!.sha256 },
        frameSize: { width: 640, height: 480 },
        model: { name: 'tiny', commit: models.commit.id, weightsSha256, backend: 'wasm' },
        objects: [],
        inferenceMs: 1,
      });
      const good = assertValid('detection', detectionOf(createHash('sha256').update(weights).digest('hex')), 'good');
      const bad = assertValid('detection', detectionOf('0'.repeat(64)), 'bad');
      const detections = (await put('detections', { [`${frame}.json`]: JSON.stringify(good), '/u1-cam1/bad.json': JSON.stringify(bad) }))
        .commit;

      const trace = await traceBack(store, { repo: 'detections', ref: 'master', path: `${frame}.json` });
      assert.deepEqual(trace.problems, []);
      assert.deepEqual(trace.frames, [{ repo: 'raw', commit: raw.commit.id, path: `${frame}.png`, sha256: raw.entries[0]!.sha256 }]);
      assert.deepEqual(
        chain(trace.root).map((h) => h.job),
        [null, null, null],
      );

      const wrongModel = await traceBack(store, { repo: 'detections', ref: detections.id, path: '/u1-cam1/bad.json' });
      assert.deepEqual(
        wrongModel.problems.map((p) => p.hop),
        [`detections@${detections.id}:/u1-cam1/bad.json`],
      );
      assert.match(
        wrongModel.problems[0]!.problem,
        /^model tiny at models@[0-9a-f]{32}: the weight files hash to [0-9a-f]{64}, not the recorded 0{64}$/,
      );

      // A second raw file of the same camera and time: the validated frame's source is no longer certain.
      await put('raw', { [`${frame}.jpg`]: 'other bytes' });
      const valid2 = await put('validated', { [`/valid${frame}.jpg`]: 'standard jpeg' }, [
        { repo: 'raw', id: (await store.headCommit('raw'))!.id },
      ]);
      const ambiguous = await traceBack(store, { repo: 'validated', ref: valid2.commit.id, path: `/valid${frame}.jpg` });
      assert.equal(ambiguous.frames.length, 0);
      assert.match(ambiguous.problems[0]!.problem, /holds 2 raw frames that could be the source of \/valid\/u1-cam1\/20261126T041500Z.jpg/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('knows each repo file by the architecture layout', () => {
    assert.equal(hopKind('validated', '/valid/u1-cam1/20261126T041500Z.jpg'), 'validated');
    assert.equal(hopKind('validated', '/rejected/u1-cam1/20261126T041500Z.json'), 'rejection');
    assert.equal(hopKind('warehouse', '/parquet/matches/day=2026-11-26/camera=u1-cam1/part.parquet'), 'warehouse');
    assert.equal(hopKind('rules', '/rules.yaml'), null);
  });
});
