/**
 * What `vigil run` and `vigil trace` tell people, on a store the real pipelines filled (`vigil
 * init`, the sample rules, one night-time frame of a person on a subscribed camera and one on a
 * camera no subscription names): the totals, the unsubscribed camera, the threats a rules commit
 * took away, incident ids traced (also once withdrawn), a frame's extension suggested, a bad
 * rules commit failing its job once with one clear message.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { int64, listJobs } from '../helpers/engine.js';

const FIXTURES = join(packageRoot(), 'test', 'fixtures');
const FRAME = '/u1-cam1/20261126T041500Z.png';
const STRANGER = '/u9-cam3/20261126T041500Z.png';
const INCIDENT = 'u1-cam1-r200-20261126T041500Z';

describe('vigil run and trace for people', { timeout: 400_000 }, () => {
  it('says totals, unsubscribed cameras, threats lost; traces incident ids; fails a bad rules commit once', async () => {
    const root = await tempDir('vigil-run-report-');
    const ok = (args: string[]) => vigilOk(args, { root });
    await ok(['init']);
    await ok(['put', 'file', 'rules@master:/', '-r', '-f', join(FIXTURES, 'rules')]);
    const upload = join(root, 'upload');
    for (const frame of [FRAME, STRANGER]) {
      await mkdir(join(upload, frame, '..'), { recursive: true });
      await copyFile(join(FIXTURES, 'astronaut.png'), join(upload, frame));
    }
    await ok(['put', 'file', 'raw@master:/', '-r', '-f', upload]);

    // 1. Totals per pipeline, and the camera no subscription names.
    const first = await vigil(['run'], { root });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /totals \(datums\):\nPIPELINE\s+PROCESSED\s+SKIPPED\s+FAILED\n/);
    assert.match(first.stdout, /^validated\s+2\s+0\s+0$/m);
    assert.match(first.stdout, /^matches\s+2\s+0\s+0$/m);
    assert.match(first.stdout, /^total\s+\d+\s+\d+\s+0\n(.|\n)*nothing left to do\n$/m);
    assert.match(first.stderr, /^warning: 1 frame\(s\) from camera u9-cam3, which no subscription in rules@master names/m);

    // 2. An incident id traces like its record; the rules and model lines verified; a wrong extension gets the right one.
    const traced = await ok(['trace', INCIDENT]);
    assert.match(traced, new RegExp(`^incident alerts@[0-9a-f]{32}:/u1-cam1/${INCIDENT}\\.json\\n`));
    assert.match(traced, /rules rules@[0-9a-f]{32}: rules\.yaml [0-9a-f]{64}, subscriptions\.yaml [0-9a-f]{64} ✓$/m);
    assert.match(traced, /model centernet at models@[0-9a-f]{32}, weights [0-9a-f]{64}, \w+ backend ✓$/m);
    const wrongExt = await vigil(['trace', '--frame', 'raw@master:/u1-cam1/20261126T041500Z.jpg'], { root });
    assert.equal(wrongExt.code, 1);
    assert.equal(
      wrongExt.stderr,
      'vigil: file "/u1-cam1/20261126T041500Z.jpg" not found in raw@master; did you mean raw@master:/u1-cam1/20261126T041500Z.png?\n',
    );

    // 3. A rules commit that stops rule 200 firing on a person: the threat lost is said, per rule and customer.
    const rules = join(root, 'rules.yaml');
    const sample = await readFile(join(FIXTURES, 'rules', 'rules.yaml'), 'utf8');
    await writeFile(rules, sample.replace('classes: [person]', 'classes: [bicycle]'));
    await ok(['put', 'file', 'rules@master:/rules.yaml', '-f', rules]);
    const diff = await ok(['diff', 'file', 'rules@master:/rules.yaml']);
    assert.match(diff, /^--- rules@[0-9a-f]{32}:\/rules\.yaml\n\+\+\+ rules@[0-9a-f]{32}:\/rules\.yaml\n/);
    assert.match(diff, /^-\s+classes: \[person\]\n\+\s+classes: \[bicycle\]$/m);
    const second = await ok(['run']);
    assert.match(second, /^matches: threats \(rules fired on frames\) gained 0, lost 1, on 1 frame\(s\) that were there before:\n/m);
    assert.match(
      second,
      /^ {2}rule 200 "Person after hours" for u1: \+0 -1 \(e\.g\. \/u1-cam1\/20261126T041500Z\.json: person \d\.\d\d\)$/m,
    );
    assert.match(await ok(['diff', 'file', 'matches@master:/', '--name-only']), /^-\s+\/u1-cam1\/20261126T041500Z\.json\s/m);

    // 4. The withdrawn incident is found in the history of alerts.
    const withdrawn = await vigil(['trace', INCIDENT], { root });
    assert.equal(withdrawn.code, 0, withdrawn.stderr);
    assert.match(
      withdrawn.stderr,
      /^vigil: incident u1-cam1-r200-20261126T041500Z is no longer in alerts@master \(withdrawn\); tracing alerts@[0-9a-f]{32}/,
    );
    assert.match(withdrawn.stdout, /^incident alerts@/);
    assert.match(
      (await vigil(['trace', 'u1-cam1-r100-20261126T041500Z'], { root })).stderr,
      /no incident u1-cam1-r100-20261126T041500Z in alerts@master nor in its history/,
    );

    // 5. An invalid rules commit: the matches job fails once, with the one message, no stack, a short REASON cell.
    await writeFile(rules, sample.replace('[dog, cat, bear]', '[dog, cat, racoon]'));
    await ok(['put', 'file', 'rules@master:/rules.yaml', '-f', rules]);
    const bad = await vigil(['run'], { root });
    assert.equal(bad.code, 1);
    const [job] = await listJobs(root, 'matches');
    assert.equal(job.state, 'JOB_FAILURE');
    assert.equal(int64(job.data_processed), 0);
    assert.match(job.reason, /^no frame can be matched against rules@[0-9a-f]{32}: .*"racoon" is not a label of the model/);
    // Each worker's step says it once (a worker may have started before the first one failed the job), as the job's reason.
    const logs = await ok(['logs', 'matches']);
    const said = logs.split('\n').filter((l) => l.includes('racoon'));
    assert.ok(said.length >= 1 && said.every((l) => l === job.reason), `the error is logged as the job's reason:\n${logs}`);
    assert.doesNotMatch(logs, /^\s+at /m, 'no stack');
    const row = (await ok(['list', 'job', '-p', 'matches'])).split('\n')[1]!;
    const cell = row.slice(row.indexOf('JOB_FAILURE') + 'JOB_FAILURE'.length).trim();
    assert.ok(cell.length <= 60 && cell.endsWith('…'), cell);
    assert.match(await ok(['inspect', 'job', `matches@${job.job.id}`]), /racoon" is not a label of the model/);
  });
});
