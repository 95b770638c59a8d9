import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makeDatums, type Datum, type HeadTree } from '../../src/engine/datum/create.js';
import type { Input, PfsInput } from '../../src/engine/pps/spec.js';
import type { FileEntry } from '../../src/engine/store/store.js';
import { VigilError } from '../../src/pfs/errors.js';

function file(path: string, content = `bytes of ${path}`): FileEntry {
  return { path, sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
}

/** Head trees keyed `repo` (branch master) or `repo@branch`; null is a branch without commits. */
function heads(trees: Record<string, string[] | FileEntry[] | null>, commit = 'c1'): HeadTree {
  return (repo, branch) => {
    const entry = trees[branch === 'master' && repo in trees ? repo : `${repo}@${branch}`];
    if (entry === undefined) throw new Error(`test asked for ${repo}@${branch}, which it did not lay out`);
    if (entry === null) return null;
    return { commit: `${repo}-${commit}`, files: entry.map((f) => (typeof f === 'string' ? file(f) : f)) };
  };
}

/** A datum as a person reads it: `name:path` per input, ` x ` between inputs. */
function label(d: Datum): string {
  return d.inputs.map((i) => `${i.name}:${i.path}`).join(' x ');
}

function labels(datums: Datum[]): string[] {
  return datums.map(label).sort();
}

function filesOf(datums: Datum[], datumLabel: string): string[][] {
  const d = datums.find((x) => label(x) === datumLabel);
  assert.ok(d, `no datum ${datumLabel}; got ${labels(datums).join(' | ')}`);
  return d.inputs.map((i) => i.files.map((f) => f.path));
}

/** A pfs input as spec.ts normalises it: name defaults to the repo, branch to master. */
function pfs(repo: string, glob: string, more: Partial<PfsInput> = {}): Input {
  return { pfs: { name: repo, repo, branch: 'master', glob, ...more } };
}

const RAW = ['/README', '/u1-cam1/a.jpg', '/u1-cam1/b.jpg', '/u1-cam2/c.jpg', '/u2-cam1/sub/d.jpg'];
const raw = (glob: string): Input => pfs('raw', glob);

test('glob / is one datum holding the whole repo', () => {
  const datums = makeDatums(raw('/'), heads({ raw: RAW }), '');
  assert.deepEqual(labels(datums), ['raw:/']);
  assert.deepEqual(filesOf(datums, 'raw:/'), [RAW]);
  const [input] = datums[0]!.inputs;
  assert.deepEqual(
    { name: input!.name, repo: input!.repo, branch: input!.branch, commit: input!.commit, glob: input!.glob },
    { name: 'raw', repo: 'raw', branch: 'master', commit: 'raw-c1', glob: '/' },
  );
});

test('glob /* is one datum per top-level file or folder, a folder holding every file below it', () => {
  const datums = makeDatums(raw('/*'), heads({ raw: RAW }), '');
  assert.deepEqual(labels(datums), ['raw:/README', 'raw:/u1-cam1', 'raw:/u1-cam2', 'raw:/u2-cam1']);
  assert.deepEqual(filesOf(datums, 'raw:/u1-cam1'), [['/u1-cam1/a.jpg', '/u1-cam1/b.jpg']]);
  assert.deepEqual(filesOf(datums, 'raw:/u2-cam1'), [['/u2-cam1/sub/d.jpg']]);
  assert.deepEqual(filesOf(datums, 'raw:/README'), [['/README']]);
});

test('glob /*/* is one datum per entry one level down; shallower files are in none', () => {
  const datums = makeDatums(raw('/*/*'), heads({ raw: RAW }), '');
  assert.deepEqual(labels(datums), ['raw:/u1-cam1/a.jpg', 'raw:/u1-cam1/b.jpg', 'raw:/u1-cam2/c.jpg', 'raw:/u2-cam1/sub']);
  assert.deepEqual(filesOf(datums, 'raw:/u2-cam1/sub'), [['/u2-cam1/sub/d.jpg']]);
});

test('globs are read as Pachyderm cleans them: * is /*, a trailing slash is dropped', () => {
  const tree = heads({ raw: RAW });
  const expected = labels(makeDatums(raw('/*'), tree, ''));
  for (const glob of ['*', '/*/', '//*']) assert.deepEqual(labels(makeDatums(raw(glob), tree, '')), expected, glob);
});

test('** crosses folders, so every file and folder is a datum of its own', () => {
  assert.deepEqual(labels(makeDatums(raw('/**'), heads({ raw: RAW }), '')), [
    'raw:/README',
    'raw:/u1-cam1',
    'raw:/u1-cam1/a.jpg',
    'raw:/u1-cam1/b.jpg',
    'raw:/u1-cam2',
    'raw:/u1-cam2/c.jpg',
    'raw:/u2-cam1',
    'raw:/u2-cam1/sub',
    'raw:/u2-cam1/sub/d.jpg',
  ]);
});

test('glob syntax: ?, [a-z], [!x], {a,b}, suffixes and escapes', () => {
  const tree = heads({ raw: RAW });
  const cases: [string, string[]][] = [
    ['/*/*.jpg', ['raw:/u1-cam1/a.jpg', 'raw:/u1-cam1/b.jpg', 'raw:/u1-cam2/c.jpg']],
    ['/u?-cam[12]/[!b]*', ['raw:/u1-cam1/a.jpg', 'raw:/u1-cam2/c.jpg', 'raw:/u2-cam1/sub']],
    ['/{README,u2-*}', ['raw:/README', 'raw:/u2-cam1']],
    ['/u1-cam[2-9]', ['raw:/u1-cam2']],
    ['/u1\\-cam1/\\*', []],
    ['/nothing/*', []],
  ];
  for (const [glob, expected] of cases) assert.deepEqual(labels(makeDatums(raw(glob), tree, '')), expected, glob);
});

test('a malformed glob is a VigilError naming the input and the glob', () => {
  for (const glob of ['/[a', '/{a,b', '/(a|b', '/[]', '/[z-a]']) {
    assert.throws(
      () => makeDatums(pfs('raw', glob, { name: 'frames' }), heads({ raw: RAW }), ''),
      (e: unknown) => e instanceof VigilError && e.message.includes('input "frames"') && e.message.includes(glob),
      glob,
    );
  }
});

test('a branch without commits, or an empty commit, gives no datums', () => {
  assert.deepEqual(makeDatums(raw('/*'), heads({ raw: null }), ''), []);
  assert.deepEqual(makeDatums(raw('/'), heads({ raw: [] }), ''), []);
  assert.deepEqual(makeDatums(raw('/*'), heads({ raw: [] }), ''), []);
});

test('the input name and branch are used as given', () => {
  const asked: string[] = [];
  const tree: HeadTree = (repo, branch) => {
    asked.push(`${repo}@${branch}`);
    return { commit: 'c9', files: [file('/x')] };
  };
  const [d] = makeDatums(pfs('raw', '/*', { branch: 'staging', name: 'frames' }), tree, '');
  assert.deepEqual(asked, ['raw@staging']);
  assert.equal(label(d!), 'frames:/x');
  assert.equal(d!.inputs[0]!.branch, 'staging');
});

const FRAMES = ['/f1.jpg', '/f2.jpg', '/f3.jpg'];
const MODELS = ['/m1/model.json', '/m1/w.bin', '/m2/model.json'];
const frames = pfs('frames', '/*');
const models = (glob: string): Input => pfs('models', glob);

test('cross is the product of its inputs, inputs in spec order', () => {
  const datums = makeDatums({ cross: [frames, models('/*')] }, heads({ frames: FRAMES, models: MODELS }), '');
  assert.deepEqual(labels(datums), [
    'frames:/f1.jpg x models:/m1',
    'frames:/f1.jpg x models:/m2',
    'frames:/f2.jpg x models:/m1',
    'frames:/f2.jpg x models:/m2',
    'frames:/f3.jpg x models:/m1',
    'frames:/f3.jpg x models:/m2',
  ]);
  assert.deepEqual(filesOf(datums, 'frames:/f2.jpg x models:/m1'), [['/f2.jpg'], ['/m1/model.json', '/m1/w.bin']]);
});

test('cross with a / input gives each datum the whole of that repo', () => {
  const datums = makeDatums({ cross: [frames, models('/')] }, heads({ frames: FRAMES, models: MODELS }), '');
  assert.deepEqual(labels(datums), ['frames:/f1.jpg x models:/', 'frames:/f2.jpg x models:/', 'frames:/f3.jpg x models:/']);
  assert.deepEqual(filesOf(datums, 'frames:/f3.jpg x models:/')[1], MODELS);
});

test('cross with an empty input, or one without commits, gives no datums', () => {
  assert.deepEqual(makeDatums({ cross: [frames, models('/*')] }, heads({ frames: FRAMES, models: [] }), ''), []);
  assert.deepEqual(makeDatums({ cross: [frames, models('/*')] }, heads({ frames: FRAMES, models: null }), ''), []);
  assert.deepEqual(makeDatums({ cross: [frames, models('/nothing/*')] }, heads({ frames: FRAMES, models: MODELS }), ''), []);
});

test('union is the datums of each input, one datum where branches overlap', () => {
  const tree = heads({ frames: FRAMES, models: MODELS });
  assert.deepEqual(labels(makeDatums({ union: [frames, models('/*')] }, tree, '')), [
    'frames:/f1.jpg',
    'frames:/f2.jpg',
    'frames:/f3.jpg',
    'models:/m1',
    'models:/m2',
  ]);
  const overlapping = makeDatums({ union: [frames, pfs('frames', '/f[12].jpg')] }, tree, '');
  assert.deepEqual(labels(overlapping), ['frames:/f1.jpg', 'frames:/f2.jpg', 'frames:/f3.jpg']);
  assert.equal(makeDatums({ union: [frames, pfs('frames', '/*', { name: 'again' })] }, tree, '').length, 6);
});

// Pachyderm's join example, reduced: stores and returns joined on the store number.
const STORES = ['/store1.txt', '/store2.txt', '/store3.txt'];
const RETURNS = ['/1_a.txt', '/1_b.txt', '/2_a.txt', '/4_a.txt'];
function storesJoinReturns(outer: { stores?: boolean; returns?: boolean }): Input {
  return {
    join: [
      pfs('stores', '/store(*).txt', { joinOn: '$1', outerJoin: outer.stores }),
      pfs('returns', '/(*)_*.txt', { joinOn: '$1', outerJoin: outer.returns }),
    ],
  };
}
const INNER = ['stores:/store1.txt x returns:/1_a.txt', 'stores:/store1.txt x returns:/1_b.txt', 'stores:/store2.txt x returns:/2_a.txt'];

test('join pairs the files whose joinOn keys are equal, and drops the rest', () => {
  const datums = makeDatums(storesJoinReturns({}), heads({ stores: STORES, returns: RETURNS }), '');
  assert.deepEqual(labels(datums), INNER);
  const d = datums.find((x) => label(x) === INNER[2]);
  assert.deepEqual(
    d!.inputs.map((i) => i.joinOn),
    ['2', '2'],
  );
});

test('join with outerJoin keeps the unmatched files of the outer input, alone', () => {
  const tree = heads({ stores: STORES, returns: RETURNS });
  assert.deepEqual(labels(makeDatums(storesJoinReturns({ stores: true }), tree, '')), [...INNER, 'stores:/store3.txt'].sort());
  assert.deepEqual(labels(makeDatums(storesJoinReturns({ returns: true }), tree, '')), [...INNER, 'returns:/4_a.txt'].sort());
  assert.deepEqual(
    labels(makeDatums(storesJoinReturns({ stores: true, returns: true }), tree, '')),
    [...INNER, 'returns:/4_a.txt', 'stores:/store3.txt'].sort(),
  );
  const outerInput = makeDatums(storesJoinReturns({ stores: true }), tree, '').find((d) => d.inputs.length === 1);
  assert.equal(outerInput!.inputs[0]!.outerJoin, true);
});

test('join against an input without commits: only outer inputs survive', () => {
  const tree = heads({ stores: STORES, returns: null });
  assert.deepEqual(makeDatums(storesJoinReturns({}), tree, ''), []);
  assert.deepEqual(labels(makeDatums(storesJoinReturns({ stores: true }), tree, '')), [
    'stores:/store1.txt',
    'stores:/store2.txt',
    'stores:/store3.txt',
  ]);
});

const MATCHES = [
  '/u1-cam1/20261126T041500Z.json',
  '/u1-cam1/20261126T235900Z.json',
  '/u1-cam1/20261127T000100Z.json',
  '/u2-cam1/20261126T101010Z.json',
];

test('group makes one datum per groupBy key, holding every file with that key', () => {
  // pipelines/alerts.yaml: matches grouped by device and UTC day.
  const input: Input = { group: [pfs('matches', '/(*)/(????)(??)(??)*', { groupBy: '$1-$2$3$4' })] };
  const datums = makeDatums(input, heads({ matches: MATCHES }), '');
  assert.deepEqual(labels(datums), [
    'matches:/u1-cam1/20261126T041500Z.json x matches:/u1-cam1/20261126T235900Z.json',
    'matches:/u1-cam1/20261127T000100Z.json',
    'matches:/u2-cam1/20261126T101010Z.json',
  ]);
  const day = datums.find((d) => d.inputs.length === 2)!;
  assert.deepEqual(
    day.inputs.map((i) => i.groupBy),
    ['u1-cam1-20261126', 'u1-cam1-20261126'],
  );
});

test('group across inputs gathers each key from all of them, keys found in one input included', () => {
  const input: Input = {
    group: [pfs('matches', '/(*)/*.json', { groupBy: '$1' }), pfs('rules', '/(*).yaml', { groupBy: '$1' })],
  };
  const datums = makeDatums(input, heads({ matches: MATCHES, rules: ['/u1-cam1.yaml', '/u3-cam1.yaml'] }), '');
  assert.deepEqual(labels(datums), [
    [
      'matches:/u1-cam1/20261126T041500Z.json',
      'matches:/u1-cam1/20261126T235900Z.json',
      'matches:/u1-cam1/20261127T000100Z.json',
      'rules:/u1-cam1.yaml',
    ].join(' x '),
    'matches:/u2-cam1/20261126T101010Z.json',
    'rules:/u3-cam1.yaml',
  ]);
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: Pachyderm's joinOn template syntax (the name too), not a JavaScript template
test('joinOn templates: $n and ${n} are captures, $$ is a dollar, a missing group is empty', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Pachyderm's joinOn template syntax, not a JavaScript template
  const input = pfs('raw', '/(u*)-(cam*)/(*).jpg', { joinOn: '${3}@$1+$2 $$ [$9]' });
  const datums = makeDatums(input, heads({ raw: RAW }), '');
  assert.deepEqual(datums.map((d) => d.inputs[0]!.joinOn).sort(), ['a@u1+cam1 $ []', 'b@u1+cam1 $ []', 'c@u1+cam2 $ []']);
});

test('ids are stable sha256 hex; the order is by id and does not depend on the listing order', () => {
  const tree = heads({ raw: RAW });
  const datums = makeDatums(raw('/**'), tree, 's');
  for (const d of datums) {
    assert.match(d.id, /^[0-9a-f]{64}$/);
    assert.match(d.hash, /^[0-9a-f]{64}$/);
  }
  assert.deepEqual(
    datums.map((d) => d.id),
    datums.map((d) => d.id).sort(),
  );
  const shuffled = heads({ raw: [...RAW].reverse() });
  assert.deepEqual(makeDatums(raw('/**'), shuffled, 's'), datums);
  assert.deepEqual(makeDatums(raw('/**'), tree, 's'), datums);
});

function byLabel(datums: Datum[]): Map<string, Datum> {
  return new Map(datums.map((d) => [label(d), d]));
}

test('a datum hash changes with its content and the salt, and with nothing else', () => {
  const before = byLabel(makeDatums(raw('/*'), heads({ raw: RAW }), 'salt1'));

  // A new commit with the same content: same ids, same hashes.
  const recommitted = byLabel(makeDatums(raw('/*'), heads({ raw: RAW }, 'c2'), 'salt1'));
  for (const [l, d] of before) assert.deepEqual([recommitted.get(l)!.id, recommitted.get(l)!.hash], [d.id, d.hash], l);

  // One file's content changes: only its datum's hash.
  const edited = RAW.map((p) => (p === '/u1-cam1/b.jpg' ? file(p, 'new bytes') : file(p)));
  const after = byLabel(makeDatums(raw('/*'), heads({ raw: edited }), 'salt1'));
  for (const [l, d] of before) {
    assert.equal(after.get(l)!.id, d.id, l);
    assert.equal(after.get(l)!.hash === d.hash, l !== 'raw:/u1-cam1', l);
  }

  // A file added in a folder: that folder's datum changes hash, keeps its id.
  const added = byLabel(makeDatums(raw('/*'), heads({ raw: [...RAW, '/u1-cam2/z.jpg'] }), 'salt1'));
  assert.equal(added.get('raw:/u1-cam2')!.id, before.get('raw:/u1-cam2')!.id);
  assert.notEqual(added.get('raw:/u1-cam2')!.hash, before.get('raw:/u1-cam2')!.hash);
  assert.equal(added.get('raw:/u1-cam1')!.hash, before.get('raw:/u1-cam1')!.hash);

  // A file renamed inside a folder datum, same bytes: new hash.
  const renamed = RAW.map((p) => (p === '/u1-cam1/b.jpg' ? file('/u1-cam1/b2.jpg', `bytes of ${p}`) : file(p)));
  const moved = byLabel(makeDatums(raw('/*'), heads({ raw: renamed }), 'salt1'));
  assert.notEqual(moved.get('raw:/u1-cam1')!.hash, before.get('raw:/u1-cam1')!.hash);

  // A new salt (--reprocess): every hash changes, no id does.
  const resalted = byLabel(makeDatums(raw('/*'), heads({ raw: RAW }), 'salt2'));
  for (const [l, d] of before) {
    assert.equal(resalted.get(l)!.id, d.id, l);
    assert.notEqual(resalted.get(l)!.hash, d.hash, l);
  }

  // A different glob that matches the same paths is the same datum.
  const sameMatches = byLabel(makeDatums(raw('/{README,u*}'), heads({ raw: RAW }), 'salt1'));
  for (const [l, d] of before) assert.deepEqual([sameMatches.get(l)!.id, sameMatches.get(l)!.hash], [d.id, d.hash], l);
});

test('a datum id changes with the input name, repo, branch or path', () => {
  const tree = heads({ raw: ['/a'], 'raw@dev': ['/a'], other: ['/a'] });
  const ids = [
    pfs('raw', '/*'),
    pfs('raw', '/*', { name: 'frames' }),
    pfs('raw', '/*', { branch: 'dev' }),
    pfs('other', '/*', { name: 'raw' }),
    pfs('raw', '/'),
  ].map((input) => makeDatums(input, tree, '')[0]!.id);
  assert.equal(new Set(ids).size, ids.length);
  const [single] = makeDatums(frames, heads({ frames: ['/f1.jpg'], models: ['/m'] }), '');
  const [crossed] = makeDatums({ cross: [frames, models('/*')] }, heads({ frames: ['/f1.jpg'], models: ['/m'] }), '');
  assert.notEqual(crossed!.id, single!.id);
});

test('10,000 one-file datums, then one new file leaves every other datum as it was', () => {
  const paths: string[] = [];
  for (let device = 0; device < 100; device++) {
    const folder = `/u${device % 10}-cam${Math.floor(device / 10)}`;
    for (let t = 0; t < 100; t++) paths.push(`${folder}/20261126T04${String(t).padStart(4, '0')}Z.jpg`);
  }
  const files = paths.sort().map((p) => file(p));
  const input = raw('/*/*');
  // How fast is bench/engine-job-start.ts's business (engine-make-datums).
  const datums = makeDatums(input, () => ({ commit: 'c1', files }), '');
  assert.equal(datums.length, 10_000);

  const next = makeDatums(input, () => ({ commit: 'c2', files: [...files, file('/u0-cam0/20261126T050000Z.jpg')] }), '');
  const previous = new Set(datums.map((d) => `${d.id} ${d.hash}`));
  assert.deepEqual(next.filter((d) => !previous.has(`${d.id} ${d.hash}`)).map(label), ['raw:/u0-cam0/20261126T050000Z.jpg']);
});
