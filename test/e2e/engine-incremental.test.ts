import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { commitFiles, createPipelines, int64, listJobs, pfs, readTree, run, shellPipeline } from '../helpers/engine.js';

// Jobs planned from the diffs of their inputs: each one must leave exactly the output a job
// planned from scratch (a new store, the same inputs) leaves, running only the datums a change touched.

/** Every file the datum showed the step, with its bytes: what the step saw. */
const SEEN =
  'cd "$PFS_ROOT" && find . -path ./out -prune -o -type f ! -name .env -print | sort | while read -r f; do echo "$f: $(cat "$f")"; done';

/** The output a fresh store gives for the same inputs and pipelines. */
async function fromScratch(
  inputs: Record<string, Record<string, string>>,
  ...specs: object[]
): Promise<Record<string, Record<string, string> | null>> {
  const root = await tempDir();
  for (const [repo, files] of Object.entries(inputs)) await commitFiles(root, repo, files);
  await createPipelines(root, ...specs);
  const r = await run(root);
  assert.equal(r.code, 0, r.stderr);
  const out: Record<string, Record<string, string> | null> = {};
  for (const spec of specs) {
    const name = (spec as { pipeline: { name: string } }).pipeline.name;
    out[name] = await readTree(root, name);
  }
  return out;
}

async function lastJob(root: string, pipeline: string) {
  return (await listJobs(root, pipeline))[0]!;
}

describe('vigil run: jobs planned from what changed', () => {
  test('group, join and cross pipelines leave what a full plan leaves, processing only the datums a change touched', async () => {
    const root = await tempDir();
    const specs = [
      // As alerts: frames grouped by camera and UTC day.
      shellPipeline(
        'days',
        { group: [pfs('frames', '/(*)/(????????)T*', { groupBy: '$1-$2' })] },
        `${SEEN} > "$PFS_ROOT/out/$PACH_DATUM_ID"`,
      ),
      shellPipeline('withconfig', { cross: [pfs('frames', '/*/*'), pfs('config', '/')] }, `${SEEN} > "$PFS_ROOT/out/$PACH_DATUM_ID"`),
      shellPipeline(
        'joined',
        { join: [pfs('stores', '/store(*).txt', { joinOn: '$1', outerJoin: true }), pfs('returns', '/(*)_*.txt', { joinOn: '$1' })] },
        `${SEEN} > "$PFS_ROOT/out/$PACH_DATUM_ID"`,
      ),
    ];
    const inputs: Record<string, Record<string, string>> = {
      frames: { '/u1-cam1/20261126T040000Z.jpg': 'a', '/u1-cam1/20261126T235900Z.jpg': 'b', '/u2-cam1/20261126T100000Z.jpg': 'c' },
      config: { '/rules.yaml': 'r1', '/zones/z.yaml': 'z' },
      stores: { '/store1.txt': 's1', '/store2.txt': 's2', '/store3.txt': 's3' },
      returns: { '/1_a.txt': 'ra', '/2_a.txt': 'rb', '/4_a.txt': 'rc' },
    };
    for (const [repo, files] of Object.entries(inputs)) await commitFiles(root, repo, files);
    await createPipelines(root, ...specs);
    const first = await run(root);
    assert.equal(first.code, 0, first.stdout + first.stderr);

    // Per round: the datums each pipeline processes; a pipeline left out reads nothing that changed, and makes no job.
    const rounds: { change: Record<string, Record<string, string | null>>; processed: Record<string, number> }[] = [
      // A new frame on a day that has frames: that day's group, and the frame's own cross datum.
      { change: { frames: { '/u1-cam1/20261126T120000Z.jpg': 'd' } }, processed: { days: 1, withconfig: 1 } },
      // A frame on the next day, one rewritten, one deleted.
      {
        change: {
          frames: { '/u1-cam1/20261127T000100Z.jpg': 'e', '/u2-cam1/20261126T100000Z.jpg': 'c2', '/u1-cam1/20261126T040000Z.jpg': null },
        },
        processed: { days: 3, withconfig: 2 },
      },
      // A new rules file: every frame's cross datum, no group.
      { change: { config: { '/rules.yaml': 'r2' } }, processed: { withconfig: 4 } },
      // Returns joining store 3 (until now alone, as an outer join keeps it) and store 1; store 2 loses its return.
      {
        change: { returns: { '/3_a.txt': 'rd', '/1_b.txt': 're', '/2_a.txt': null } },
        processed: { joined: 3 },
      },
      // A store gone takes its datums with it.
      { change: { stores: { '/store1.txt': null } }, processed: { joined: 0 } },
    ];
    for (const [i, round] of rounds.entries()) {
      const jobsBefore = Object.fromEntries(
        await Promise.all(['days', 'withconfig', 'joined'].map(async (n) => [n, (await listJobs(root, n)).length])),
      );
      for (const [repo, files] of Object.entries(round.change)) {
        await commitFiles(root, repo, files);
        for (const [path, text] of Object.entries(files)) {
          if (text === null) delete inputs[repo]![path];
          else inputs[repo]![path] = text;
        }
      }
      const r = await run(root);
      assert.equal(r.code, 0, r.stderr);
      const expected = await fromScratch(inputs, ...specs);
      for (const name of ['days', 'withconfig', 'joined']) {
        assert.deepEqual(await readTree(root, name), expected[name], `round ${i + 1}: ${name}`);
        const jobs = await listJobs(root, name);
        const processed = round.processed[name];
        assert.equal(jobs.length, jobsBefore[name] + (processed === undefined ? 0 : 1), `round ${i + 1}: jobs of ${name}`);
        if (processed !== undefined) assert.equal(int64(jobs[0]!.data_processed), processed, `round ${i + 1}: datums ${name} processed`);
      }
    }
  });

  test('an output path already written by a carried datum fails the job, naming both datums and their inputs; a recovered datum runs again', async () => {
    const root = await tempDir();
    await commitFiles(root, 'raw', { '/a.txt': 'a', '/bad.txt': 'bad' });
    await createPipelines(
      root,
      shellPipeline(
        'clash',
        pfs('raw', '/*'),
        'if grep -q b "$raw"; then cp "$raw" "$PFS_ROOT/out/same.txt"; fi; cp "$raw" "$PFS_ROOT/out/"',
      ),
      shellPipeline('lenient', pfs('raw', '/*'), 'if grep -q bad "$raw"; then exit 2; fi; cp "$raw" "$PFS_ROOT/out/"', {
        transform: { errCmd: ['true'] },
        datumTries: 1,
      }),
    );
    assert.equal((await run(root)).code, 0);
    const first = await lastJob(root, 'lenient');
    assert.deepEqual([int64(first.data_processed), int64(first.data_recovered)], [1, 1]);

    // b.txt writes /same.txt, which bad.txt's datum (carried over, not run again) wrote in the first job.
    await commitFiles(root, 'raw', { '/b.txt': 'b' });
    const r = await run(root);
    assert.equal(r.code, 1);
    const clash = await lastJob(root, 'clash');
    assert.equal(clash.state, 'JOB_FAILURE');
    assert.match(
      clash.reason,
      /^output path \/same\.txt was written by two datums: [0-9a-f]{64} \(from raw:\/(bad|b)\.txt\) and [0-9a-f]{64} \(from raw:\/(b|bad)\.txt\)$/,
    );
    assert.match(clash.reason, /raw:\/b\.txt/);
    assert.match(clash.reason, /raw:\/bad\.txt/);

    // The recovered datum runs again although bad.txt did not change; b.txt is new; a.txt is skipped.
    const second = await lastJob(root, 'lenient');
    assert.deepEqual(
      [int64(second.data_processed), int64(second.data_recovered), int64(second.data_skipped), int64(second.data_total)],
      [1, 1, 1, 3],
    );
    assert.deepEqual(await readTree(root, 'lenient'), { '/a.txt': 'a', '/b.txt': 'b' });
  });
});
