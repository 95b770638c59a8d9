/**
 * pipelines/alerts.yaml: a valid Pachyderm spec whose group input makes one datum per device
 * and UTC day, checked with the embedded engine's datum maker; and, once the engine's runner
 * lands (`vigil run`), the alert stage run through it.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertValid } from '../../specs/index.js';
import { makeDatums } from '../../src/engine/datum/create.js';
import { parsePipelineSpecs, readPipelineSpecs } from '../../src/engine/pps/spec.js';
import type { FileEntry } from '../../src/engine/store/store.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { matchRecord, times } from '../helpers/alert.js';
import { tempDir, vigilOk } from '../helpers/cli.js';

const SPEC = join(packageRoot(), 'pipelines', 'alerts.yaml');

const entry = (path: string, content = path): FileEntry => ({ path, sha256: sha256(content), size: content.length });

describe('alert: pipeline spec', () => {
  it('is a valid CreatePipelineRequest that runs `vigil step alert` with datum batching', async () => {
    // readPipelineSpecs checks the spec against Pachyderm's official schema with ajv-draft-04.
    const [spec, ...rest] = await readPipelineSpecs(SPEC);
    assert.equal(rest.length, 0);
    assert.equal(spec!.name, 'alerts');
    assert.deepEqual(spec!.transform.cmd, ['vigil', 'step', 'alert']);
    assert.equal(spec!.transform.image, 'vigil/vigil:0.1.0');
    assert.equal(spec!.transform.datumBatching, true);
    assert.deepEqual(spec!.input, {
      group: [
        { pfs: { name: 'matches', repo: 'matches', branch: 'master', glob: '/(*)/(????)(??)(??)*', groupBy: '$1-$2$3$4' } },
        {
          pfs: {
            name: 'validated',
            repo: 'validated',
            branch: 'master',
            glob: '/valid/(*)/(????)(??)(??)*',
            groupBy: '$1-$2$3$4',
            lazy: true,
          },
        },
      ],
    });
    // The same check refuses a misspelt field, so the pass above means something.
    const typo = (await readFile(SPEC, 'utf8')).replace('groupBy:', 'groupby_key:');
    assert.throws(() => parsePipelineSpecs(typo, 'alerts.yaml'), /CreatePipelineRequest[\s\S]*groupbyKey/);
  });

  it('groups matches into one datum per device and UTC day', async () => {
    const [spec] = await readPipelineSpecs(SPEC);
    const files = [
      '/u1-cam1/20261126T041500Z.json',
      '/u1-cam1/20261126T235959.500Z.json',
      '/u1-cam1/20261127T000000Z.json',
      '/u1-cam2/20261126T041500Z.json',
      '/u2-cam1/20261126T120000Z.json',
    ].map((p) => entry(p));
    const tree = (repo: string) => (repo === 'matches' ? { commit: 'c1', files } : null);
    const datums = makeDatums(spec!.input, tree, 'salt');
    const grouped = datums.map((d) => d.inputs.map((i) => i.path)).sort();
    assert.deepEqual(grouped, [
      ['/u1-cam1/20261126T041500Z.json', '/u1-cam1/20261126T235959.500Z.json'],
      ['/u1-cam1/20261127T000000Z.json'],
      ['/u1-cam2/20261126T041500Z.json'],
      ['/u2-cam1/20261126T120000Z.json'],
    ]);
    assert.ok(datums.every((d) => d.inputs.every((i) => i.name === 'matches')));

    // A new match re-runs its own device-day only.
    const more = [...files, entry('/u1-cam1/20261126T050000Z.json')].sort((a, b) => a.path.localeCompare(b.path));
    const after = makeDatums(spec!.input, (repo) => (repo === 'matches' ? { commit: 'c2', files: more } : null), 'salt');
    const changed = after.filter((d) => !datums.some((old) => old.id === d.id && old.hash === d.hash));
    assert.deepEqual(
      changed.map((d) => d.inputs[0]!.groupBy),
      ['u1-cam1-20261126'],
    );
  });
});

describe('alert: through the engine', async () => {
  const root = await tempDir();

  it('`vigil run alerts` writes one Alert per incident and no second email on a re-run', async () => {
    const frames = join(root, 'frames');
    const targets = { email: ['security@example.com'] };
    await mkdir(join(frames, 'u1-cam1'), { recursive: true });
    for (const at of [...times('2026-11-26T04:15:00Z', 40, 3), ...times('2026-11-26T04:22:00Z', 80, 2)]) {
      await writeFile(join(frames, 'u1-cam1', `${formatTimestamp(at)}.json`), JSON.stringify(matchRecord(at, { targets })));
    }
    await vigilOk(['create', 'repo', 'matches'], { root });
    await vigilOk(['create', 'repo', 'validated'], { root });
    await vigilOk(['put', 'file', 'matches@master:/', '-r', '-f', frames], { root });
    await vigilOk(['create', 'pipeline', '-f', SPEC], { root });
    await vigilOk(['run', 'alerts'], { root });
    const listed = await vigilOk(['list', 'file', 'alerts@master:/u1-cam1', '--raw'], { root });
    assert.match(listed, /u1-cam1-r200-20261126T041500Z\.json/);
    assert.match(listed, /u1-cam1-r200-20261126T042200Z\.json/);
    const alertAt = async (path: string) =>
      assertValid('alert', JSON.parse(await vigilOk(['get', 'file', `alerts@master:${path}`], { root })), path);
    const record = await alertAt('/u1-cam1/u1-cam1-r200-20261126T041500Z.json');
    assert.equal(record.frameCount, 40);
    assert.equal(record.deliveries[0]!.status, 'sent');
    assert.equal((await readdir(join(root, 'outbox'))).length, 2);

    // One more frame: the device-day re-runs, the outbox stays as it was.
    const late = new Date('2026-11-26T04:24:40Z');
    await writeFile(join(frames, 'late.json'), JSON.stringify(matchRecord(late, { targets })));
    await vigilOk(['put', 'file', `matches@master:/u1-cam1/${formatTimestamp(late)}.json`, '-f', join(frames, 'late.json')], { root });
    await vigilOk(['run', 'alerts'], { root });
    const second = await alertAt('/u1-cam1/u1-cam1-r200-20261126T042200Z.json');
    assert.equal(second.frameCount, 81);
    assert.equal((await readdir(join(root, 'outbox'))).length, 2);
  });
});
