/**
 * `vigil trace` of what customers were told, on a store the real pipelines filled (`vigil init`,
 * the sample rules, one night-time frame of a person, `vigil run`): an alert's snapshot traces to
 * its incident record and on to the frame; and once a rules commit makes the incident go away
 * (withdrawn), its deliveries record still traces to the match it named, at the commit that
 * still holds it, and on to the camera frame, every hash re-computed.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Hop, Trace } from '../../src/lineage/trace.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';

const FIXTURES = join(packageRoot(), 'test', 'fixtures');
const FRAME = '/u1-cam1/20261126T041500Z.png';
const INCIDENT = 'u1-cam1-r200-20261126T041500Z';

function chain(hop: Hop): string[] {
  const kinds = [`${hop.kind} ${hop.repo}:${hop.path}`];
  for (let h = hop; h.next.length > 0; ) {
    h = h.next[0]!;
    kinds.push(`${h.kind} ${h.repo}:${h.path}`);
  }
  return kinds;
}

describe('vigil trace: snapshots and withdrawn incidents', { timeout: 400_000 }, () => {
  it('traces a snapshot to its incident, and a withdrawn incident through its deliveries record to the frame', async () => {
    const root = await tempDir('vigil-trace-deliveries-');
    const ok = (args: string[]) => vigilOk(args, { root });
    const traceOf = async (target: string): Promise<Trace> => JSON.parse(await ok(['trace', target, '--raw', '--verify'])) as Trace;
    await ok(['init']);
    await ok(['put', 'file', 'rules@master:/', '-r', '-f', join(FIXTURES, 'rules')]);
    const upload = join(root, 'upload');
    await mkdir(join(upload, 'u1-cam1'), { recursive: true });
    await copyFile(join(FIXTURES, 'astronaut.png'), join(upload, FRAME));
    await ok(['put', 'file', 'raw@master:/', '-r', '-f', upload]);
    await ok(['run']);

    const alertsCommit = JSON.parse(await ok(['inspect', 'commit', 'alerts@master', '--raw'])).commit.id as string;
    const snapshot = await traceOf(`alerts@master:/u1-cam1/${INCIDENT}.jpg`);
    assert.deepEqual(trace(snapshot), [
      `snapshot alerts:/u1-cam1/${INCIDENT}.jpg`,
      `alert alerts:/u1-cam1/${INCIDENT}.json`,
      `match matches:/u1-cam1/20261126T041500Z.json`,
      `detection detections:/u1-cam1/20261126T041500Z.json`,
      `validated validated:/valid/u1-cam1/20261126T041500Z.jpg`,
      `raw raw:${FRAME}`,
    ]);
    assert.deepEqual(snapshot.problems, []);

    // Rule 200 no longer fires on a person: every match of the device-day goes away.
    const rules = join(root, 'rules.yaml');
    await writeFile(
      rules,
      (await readFile(join(FIXTURES, 'rules', 'rules.yaml'), 'utf8')).replace('classes: [person]', 'classes: [bicycle]'),
    );
    await ok(['put', 'file', 'rules@master:/rules.yaml', '-f', rules]);
    await ok(['run']);
    assert.notEqual((await vigil(['list', 'file', 'alerts@master:/u1-cam1'], { root })).code, 0, 'the incident is gone from alerts');

    const withdrawn = await traceOf(`deliveries@master:/u1-cam1/${INCIDENT}.json`);
    assert.deepEqual(trace(withdrawn), [
      `deliveries deliveries:/u1-cam1/${INCIDENT}.json`,
      `match matches:/u1-cam1/20261126T041500Z.json`,
      `detection detections:/u1-cam1/20261126T041500Z.json`,
      `validated validated:/valid/u1-cam1/20261126T041500Z.jpg`,
      `raw raw:${FRAME}`,
    ]);
    assert.deepEqual(withdrawn.problems, [], 'every hash matches, every commit is there');
    assert.match(
      withdrawn.root.summary ?? '',
      /^incident u1-cam1-r200-20261126T041500Z: .*withdrawn .*: new rules commit [0-9a-f]{32} \(was /,
    );
    assert.ok(withdrawn.root.deliveries?.some((d) => d.channel === 'email' && d.status === 'sent'));
    assert.deepEqual(
      withdrawn.frames.map((f) => `${f.repo}:${f.path}`),
      [`raw:${FRAME}`],
    );
    // The match is read at the commit that still holds it, not at matches@master.
    const match = withdrawn.root.next[0]!;
    assert.notEqual(match.commit, JSON.parse(await ok(['inspect', 'commit', 'matches@master', '--raw'])).commit.id);

    // The readable tree, and the snapshot at the alerts commit that still holds it.
    const text = await ok(['trace', `deliveries@master:/u1-cam1/${INCIDENT}.json`]);
    assert.match(text, /^deliveries of incident deliveries@[0-9a-f]{32}:\/u1-cam1\/u1-cam1-r200-20261126T041500Z\.json\n/);
    assert.match(text, /1 camera frame, 5 files: every sha256 matches the stored bytes/);
    assert.deepEqual((await traceOf(`alerts@${alertsCommit}:/u1-cam1/${INCIDENT}.jpg`)).problems, []);
  });
});

const trace = (t: Trace) => chain(t.root);
