/**
 * `vigil serve` ticks cron inputs by itself: in a store made by `vigil init`, with no frame
 * arriving and no other command, a pipeline on an `@every 5s` cron input gets a job for tick
 * after tick, as the digests pipeline gets one five minutes past each hour. (5 s is longer than a
 * run takes, so a run's own tick commit, which the server notices as an input commit, does not
 * set off the next run: only the schedule does.)
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, vigilOk } from '../helpers/cli.js';
import { startServer } from '../helpers/serve.js';

test('vigil serve runs a cron pipeline on each tick that comes due, with no input commit', { timeout: 120_000 }, async () => {
  const root = await tempDir();
  await vigilOk(['init'], { root });
  const spec = join(root, 'ticker.json');
  await writeFile(
    spec,
    JSON.stringify({
      pipeline: { name: 'ticker' },
      input: { cron: { name: 'tick', spec: '@every 5s', overwrite: true } },
      transform: { cmd: ['sh', '-c', 'cp "$tick" "$PFS_ROOT/out/"'] },
    }),
  );
  await vigilOk(['create', 'pipeline', '-f', spec], { root });
  const server = await startServer(root, ['--batch-interval', '1']);
  try {
    const deadline = Date.now() + 60_000;
    const jobs = () => server.log().match(/job ticker@[0-9a-f]{32} JOB_SUCCESS/g) ?? [];
    while (jobs().length < 3) {
      assert.ok(Date.now() < deadline, `fewer than 3 ticker jobs within 60 s; the server printed:\n${server.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    assert.equal(await server.stop(), 0, server.log());
  }
  const ticks = (await vigilOk(['list', 'file', 'ticker@master:/'], { root })).match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g) ?? [];
  assert.equal(ticks.length, 1, 'overwrite: the output holds the latest tick only');
});
