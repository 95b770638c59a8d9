/**
 * Rate caps and their digest, and the deliveries record's cost, through the embedded engine: the
 * alerts, digests and deliveries pipelines (pipelines/*.yaml) on input repos, email to the .eml
 * outbox. A customer capped at one email an hour gets the first incident and has the rest held;
 * a digests tick after the hour has closed sends one digest for them, recorded so that the next
 * tick sends nothing; the deliveries records show it. A new frame re-runs only its own
 * device-day in alerts and deliveries. The later ticks are committed as Pachyderm's cron monitor
 * would make them (pps/server/monitor.go, cronTick: one file named by the tick's RFC 3339 time,
 * overwrite) at a chosen time, since the hour must have closed.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { assertValid, type IncidentDeliveries } from '../../specs/index.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { listJobs, type JobRecord } from '../../src/engine/pps/job-records.js';
import { listPipelines } from '../../src/engine/pps/pipelines.js';
import { tickCronInputs } from '../../src/engine/pps/ticker.js';
import { Store } from '../../src/engine/store/store.js';
import { sha256 } from '../../src/pfs/files.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { matchRecord } from '../helpers/alert.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { parseRaw } from '../helpers/engine.js';

const PIPELINES = join(packageRoot(), 'pipelines');
const FRAME = await readFile(join(packageRoot(), 'test', 'fixtures', 'astronaut.png'));
const TARGETS = { email: ['security@example.com'], maxPerHour: 1 };
const HOUR_MS = 3_600_000;

/** Three incidents on 26 November (20 minutes apart, cooldown 5 minutes) and one on the 27th. */
const FIRST_DAY = ['2026-11-26T04:15:00Z', '2026-11-26T04:35:00Z', '2026-11-26T04:55:00Z'];
const SECOND_DAY = ['2026-11-27T09:00:00Z'];
const LATE_FRAME = '2026-11-27T09:30:00Z';

describe('alert: rate caps, digests and the deliveries record per device-day', { timeout: 300_000 }, () => {
  it('holds what is over the cap, digests it once after the hour, and re-runs only the device-day a frame touches', async () => {
    const root = await tempDir();
    const files = join(root, 'in');
    const outbox = join(root, 'outbox');
    const addFrame = async (iso: string) => {
      const at = new Date(iso);
      const ts = formatTimestamp(at);
      const match = matchRecord(at, { targets: TARGETS, camera: { name: 'Front door', site: 'Shop' } });
      match.frame = { ...match.frame, sha256: sha256(FRAME), size: FRAME.length };
      await mkdir(join(files, 'matches', 'u1-cam1'), { recursive: true });
      await mkdir(join(files, 'validated', 'valid', 'u1-cam1'), { recursive: true });
      await writeFile(join(files, 'matches', 'u1-cam1', `${ts}.json`), JSON.stringify(match));
      await writeFile(join(files, 'validated', 'valid', 'u1-cam1', `${ts}.jpg`), FRAME);
    };
    for (const iso of [...FIRST_DAY, ...SECOND_DAY]) await addFrame(iso);
    await mkdir(join(files, 'rules'), { recursive: true });
    await writeFile(join(files, 'rules', 'rules.yaml'), 'rules: []\n');
    await mkdir(join(files, 'models', 'centernet'), { recursive: true });
    await writeFile(join(files, 'models', 'centernet', 'model.json'), '{"v": 1}');
    for (const repo of ['matches', 'validated', 'rules', 'models']) {
      await vigilOk(['create', 'repo', repo], { root });
      await vigilOk(['put', 'file', '-r', `${repo}@master:/`, '-f', join(files, repo)], { root });
    }
    for (const spec of ['alerts.yaml', 'digests.yaml', 'deliveries.yaml']) {
      await vigilOk(['create', 'pipeline', '-f', join(PIPELINES, spec)], { root });
    }

    const seen = new Set<string>();
    /** `vigil run`, and the jobs it made by pipeline. */
    const run = async (): Promise<Map<string, JobRecord>> => {
      const r = await vigil(['run'], { root });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const jobs = (await listJobs(root, ['alerts', 'digests', 'deliveries'])).filter((j) => !seen.has(j.id));
      for (const j of jobs) seen.add(j.id);
      return new Map(jobs.map((j) => [j.pipeline, j]));
    };
    const records = async (): Promise<Map<string, IncidentDeliveries>> => {
      const out = new Map<string, IncidentDeliveries>();
      for (const info of parseRaw(await vigilOk(['list', 'file', 'deliveries@master:/u1-cam1/', '--raw'], { root }))) {
        const path = info.file.path as string;
        const record = JSON.parse(await vigilOk(['get', 'file', `deliveries@master:${path}`], { root }));
        out.set(
          path
            .split('/')
            .at(-1)!
            .replace(/\.json$/, ''),
          assertValid('deliveries', record, path),
        );
      }
      return out;
    };
    const emails = async () => (await readdir(outbox)).filter((f) => f.endsWith('.eml')).sort();

    // One email an hour: the first incident is sent, the other three held.
    const first = await run();
    assert.deepEqual([first.get('deliveries')?.dataProcessed, first.get('deliveries')?.dataTotal], [2, 2], 'one datum per device-day');
    const held = await records();
    assert.equal(held.size, 4);
    const statuses = [...held.values()].map((r) => r.deliveries[0]!.status).sort();
    assert.deepEqual(statuses, ['held', 'held', 'held', 'sent']);
    assert.equal((await emails()).length, 1);

    // A late frame of the 27th: only that device-day runs again, in alerts and in deliveries.
    await addFrame(LATE_FRAME);
    for (const repo of ['matches', 'validated']) {
      await vigilOk(['put', 'file', '-r', `${repo}@master:/`, '-f', join(files, repo)], { root });
    }
    const late = await run();
    for (const pipeline of ['alerts', 'deliveries']) {
      assert.deepEqual(
        [late.get(pipeline)?.dataProcessed, late.get(pipeline)?.dataSkipped],
        [1, 1],
        `${pipeline}: the 27th processed, the 26th skipped`,
      );
    }
    assert.equal((await records()).size, 5);

    // Nothing new: no job at all (no tick of deliveries).
    assert.equal((await run()).size, 0);

    // The digests tick two hours on, when the hour the deliveries were held in has closed.
    const store = await Store.open(root);
    const digests = (await listPipelines(store)).filter((p) => p.name === 'digests');
    await tickCronInputs(store, digests, new Date(Date.now() + 2 * HOUR_MS), new Set(['digests']));
    const ticked = await run();
    assert.equal(ticked.get('digests')?.dataProcessed, 1);
    assert.equal(ticked.get('deliveries')?.dataProcessed, 2, "the device-days of the digest's incidents");
    const mails = await emails();
    assert.equal(mails.length, 2);
    const digestFile = mails.find((f) => f.startsWith('digest-u1-'))!;
    const mail = await simpleParser(await readFile(join(outbox, digestFile)));
    // Four held, unless an hour began between the runs and gave the late frame a slot of its own.
    const heldIds = [...(await records())].filter(([, r]) => r.deliveries[0]!.status === 'held').map(([id]) => id);
    assert.ok(heldIds.length >= 3, `${heldIds.length} held`);
    const subject = new RegExp(`^Vigil digest: ${heldIds.length} alerts held by your limit of 1 email notification an hour, `);
    assert.match(mail.subject ?? '', subject);
    assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.text : '', 'security@example.com');
    for (const id of heldIds) assert.ok(mail.text?.includes(`incident ${id}`), `the digest names ${id}`);
    assert.match(mail.text ?? '', /\[CRITICAL\] Person after hours at Front door \(Shop\), (Wednesday|Thursday|Friday) 2026-11-2\d/);
    assert.match(mail.html || '', /Person after hours/);

    const digested = await records();
    const digestId = digestFile.split('.')[0]!;
    for (const id of heldIds) {
      assert.deepEqual(
        digested.get(id)!.digests?.map((d) => [d.digest, d.delivery?.status]),
        [[digestId, 'sent']],
        `${id} shows its digest`,
      );
    }

    // The next tick: nothing held since, so nothing sent; the records keep the digest.
    await tickCronInputs(store, digests, new Date(Date.now() + 3 * HOUR_MS), new Set(['digests']));
    const next = await run();
    assert.equal(next.get('digests')?.dataProcessed, 1);
    assert.equal((await emails()).length, 2, 'the digest went out once');
    for (const id of heldIds) assert.equal((await records()).get(id)!.digests?.[0]?.digest, digestId);
  });
});
