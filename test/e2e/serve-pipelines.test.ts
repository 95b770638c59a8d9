import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { commitFiles } from '../helpers/engine.js';
import { afterHoursPolicy } from '../helpers/after-hours.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { addDevice, frameName, sendFrame, startServer } from '../helpers/serve.js';

// The whole path with nobody at a keyboard: `vigil serve` with the real pipelines of pipelines/;
// a camera uploads an after-hours frame with a person, and the alert email lands in the outbox.

test('a frame with a person after hours becomes an email in the outbox, with no other command', { timeout: 300_000 }, async () => {
  const root = await tempDir();
  await vigilOk(['init'], { root });
  await commitFiles(root, 'rules', await afterHoursPolicy(['cam1']));
  const token = await addDevice(root, 'u1-cam1');
  const server = await startServer(root, ['--batch-interval', '3600']);
  try {
    // The first jobs, with nothing to process, are done before the frame comes: every job started
    // has finished, and no other started for 2 s.
    await server.waitForLog(/job alerts@[0-9a-f]{32} JOB_SUCCESS/, 120_000);
    const jobsInFlight = () => server.log().match(/ started: /g)!.length - (server.log().match(/ JOB_[A-Z_]+ in /g) ?? []).length;
    for (let size = -1, until = Date.now() + 60_000; (size !== server.log().length || jobsInFlight() > 0) && Date.now() < until; ) {
      size = server.log().length;
      await new Promise((r) => setTimeout(r, 2000));
    }
    assert.equal(jobsInFlight(), 0, `the first jobs did not end within 60 s:\n${server.log()}`);
    const before = server.log().length;
    const frame = frameName(5, 'png');
    const sent = await sendFrame(
      server.url,
      token,
      `u1-cam1/${frame}`,
      await readFile(join(packageRoot(), 'test', 'fixtures', 'astronaut.png')),
    );
    assert.equal(sent.status, 201, JSON.stringify(sent.json));

    const outbox = join(root, 'outbox');
    const deadline = Date.now() + 240_000;
    let emails: string[] = [];
    while (emails.length === 0) {
      assert.ok(Date.now() < deadline, `no email within 240 s; the server printed:\n${server.log()}`);
      await new Promise((r) => setTimeout(r, 250));
      emails = (await readdir(outbox).catch(() => [])).filter((f) => f.endsWith('.eml'));
    }
    const email = await readFile(join(outbox, emails[0]!), 'utf8');
    assert.match(email, /Subject: \[CRITICAL\] Person after hours at cam1, /);
    assert.match(email, new RegExp(`valid/u1-cam1/${frame.replace('.png', '')}`));
    await server.waitForLog(/job alerts@[0-9a-f]{32} JOB_SUCCESS/);
    for (const pipeline of ['validated', 'detections', 'matches', 'alerts']) {
      assert.match(
        server.log(),
        new RegExp(`job ${pipeline}@[0-9a-f]{32} started: 1 datums to process`),
        `the log shows the ${pipeline} job`,
      );
    }
    // alerts reads validated lazily: the new frame alone does not run it, its match does, once.
    const since = server.log().slice(before);
    const alertJobs = [...since.matchAll(/job alerts@[0-9a-f]{32} started/g)];
    assert.equal(alertJobs.length, 1, since);
    assert.ok(alertJobs[0]!.index! > since.search(/job matches@[0-9a-f]{32} JOB_SUCCESS/), since);
    // The latency is measured from the alert records once the run is over.
    const scrape = async () =>
      parsePrometheus(await (await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()).samples;
    let samples = await scrape();
    for (const until = Date.now() + 20_000; !sampleValue(samples, 'vigil_frame_to_alert_seconds_count') && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 200));
      samples = await scrape();
    }
    assert.ok((sampleValue(samples, 'vigil_jobs_total', { pipeline: 'alerts', state: 'JOB_SUCCESS' }) ?? 0) >= 1);
    assert.equal(sampleValue(samples, 'vigil_frame_to_alert_seconds_count'), 1, server.log());
    const seconds = sampleValue(samples, 'vigil_frame_to_alert_seconds_sum')!;
    assert.ok(seconds > 0 && seconds < 240, String(seconds));
  } finally {
    assert.equal(await server.stop(), 0, server.log());
  }
  assert.match(server.log(), /SIGTERM: stopping[\s\S]*stopped/);
});
