import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../helpers/cli.js';
import { commitFiles, createPipelines, createRepo, int64, listJobs, pfs, readTree, run, shellPipeline } from '../helpers/engine.js';

// Every input kind, end to end: what each datum shows the step under $PFS_ROOT, against
// datums worked out by hand. The step writes, per datum, the files it sees and any join or
// group key Pachyderm's variables give it.
const VIEW = [
  'cd "$PFS_ROOT"',
  'files=$(find . -path ./out -prune -o -type f ! -name .env -print | sed "s|^./||" | sort | tr "\\n" " ")',
  'keys=$(env | grep -E "^PACH_DATUM_.*_(JOIN_ON|GROUP_BY)=" | sort | tr "\\n" " ")',
  'echo "$files$keys" > "out/$PACH_DATUM_ID"',
].join('; ');

/** The datums a pipeline's step saw, as sorted lines. */
async function views(root: string, pipeline: string): Promise<string[]> {
  return Object.values((await readTree(root, pipeline)) ?? {})
    .map((v) => v.trim())
    .sort();
}

test('cross, union, join (with outerJoin), group and a cross with an empty input give the datums Pachyderm gives', async () => {
  const root = await tempDir();
  await commitFiles(root, 'raw', { '/a.txt': 'a', '/b.txt': 'b' });
  await commitFiles(root, 'models', { '/m/w.bin': 'w', '/m/labels.json': 'l' });
  await commitFiles(root, 'left', { '/a.txt': '1', '/b.txt': '2', '/c.txt': '3' });
  await commitFiles(root, 'right', { '/a.json': '1', '/b.json': '2', '/z.json': '9' });
  await commitFiles(root, 'frames', { '/u1/1.jpg': 'x', '/u1/2.jpg': 'y', '/u2/1.jpg': 'z' });
  await createRepo(root, 'empty');
  await createPipelines(
    root,
    shellPipeline('crossed', { cross: [pfs('raw', '/*'), pfs('models', '/')] }, VIEW),
    shellPipeline('crossempty', { cross: [pfs('raw', '/*'), pfs('empty', '/')] }, VIEW),
    shellPipeline('unioned', { union: [pfs('raw', '/*'), pfs('models', '/*')] }, VIEW),
    shellPipeline(
      'joined',
      { join: [pfs('left', '/(*).txt', { joinOn: '$1', outerJoin: true }), pfs('right', '/(*).json', { joinOn: '$1' })] },
      VIEW,
    ),
    shellPipeline('grouped', { group: [pfs('frames', '/(*)/*', { groupBy: '$1' })] }, VIEW),
    shellPipeline('emptied', pfs('raw', '/*', { emptyFiles: true }), 'wc -c < "$raw" | tr -d " " > "$PFS_ROOT/out/$(basename "$raw")"'),
  );
  const r = await run(root);
  assert.equal(r.code, 0, r.stdout + r.stderr);

  assert.deepEqual(await views(root, 'crossed'), [
    'models/m/labels.json models/m/w.bin raw/a.txt',
    'models/m/labels.json models/m/w.bin raw/b.txt',
  ]);
  assert.deepEqual(await views(root, 'unioned'), ['models/m/labels.json models/m/w.bin', 'raw/a.txt', 'raw/b.txt']);
  assert.deepEqual(await views(root, 'joined'), [
    'left/a.txt right/a.json PACH_DATUM_left_JOIN_ON=a PACH_DATUM_right_JOIN_ON=a',
    'left/b.txt right/b.json PACH_DATUM_left_JOIN_ON=b PACH_DATUM_right_JOIN_ON=b',
    'left/c.txt PACH_DATUM_left_JOIN_ON=c',
  ]);
  assert.deepEqual(await views(root, 'grouped'), [
    'frames/u1/1.jpg frames/u1/2.jpg PACH_DATUM_frames_GROUP_BY=u1',
    'frames/u2/1.jpg PACH_DATUM_frames_GROUP_BY=u2',
  ]);
  assert.deepEqual(await readTree(root, 'emptied'), { '/a.txt': '0\n', '/b.txt': '0\n' }, 'emptyFiles: the names, without the bytes');
  // An input without data makes the cross empty: the job runs, has no datums, commits an empty output.
  const [empty] = await listJobs(root, 'crossempty');
  assert.deepEqual([empty.state, int64(empty.data_total)], ['JOB_SUCCESS', 0]);
  assert.deepEqual(await readTree(root, 'crossempty'), {});
});
