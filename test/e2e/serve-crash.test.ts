import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { Store } from '../../src/engine/store/store.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { vigilOk } from '../helpers/cli.js';
import { newStore } from '../helpers/engine.js';
import { addDevice, sendFrame, startServer } from '../helpers/serve.js';

// Crash test: under a steady upload load the server is killed with SIGKILL at 20 random moments;
// after each kill every frame that was answered 201 is in raw, and the store opens cleanly; at the
// end `vigil fsck` finds nothing wrong (records a kill left before its head moved included).

const KILLS = 20;
const UPLOADERS = 6;

test('SIGKILL at 20 random moments under load loses no acknowledged frame', { timeout: 600_000 }, async () => {
  const root = await newStore();
  const token = await addDevice(root, 'u1-cam1');
  const jpeg = await readFile(join(packageRoot(), 'test', 'fixtures', 'rocket.jpg'));
  const acknowledged = new Map<string, string>(); // path → sha256
  let next = 0;
  const start = Date.now() - 120_000;
  let answered = 0;

  for (let kill = 0; kill < KILLS; kill++) {
    const server = await startServer(root, ['--no-pipelines', '--commit-interval-ms', String(20 + Math.floor(Math.random() * 150))]);
    let stop = false;
    const uploader = async () => {
      while (!stop) {
        const n = next++;
        // Distinct names (one ms apart) and distinct bytes (a counter after the JPEG's end).
        const path = `u1-cam1/${formatTimestamp(new Date(start + n))}.jpg`;
        const body = Buffer.concat([jpeg, Buffer.from(`#${n}`)]);
        try {
          const r = await sendFrame(server.url, token, path, body);
          if (r.status === 201 || r.status === 200) acknowledged.set(`/${path}`, r.json.sha256);
          answered++;
        } catch {
          return; // the server died under this request: unanswered, so not acknowledged
        }
      }
    };
    const load = Array.from({ length: UPLOADERS }, uploader);
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 1300));
    server.child.kill('SIGKILL');
    await server.stop();
    stop = true;
    await Promise.all(load);

    const store = await Store.open(root);
    const head = await store.headCommit('raw');
    const files = new Map((head ? await store.listFiles('raw', head.id) : []).map((f) => [f.path, f]));
    const lost = [...acknowledged].filter(([path, sha]) => files.get(path)?.sha256 !== sha);
    assert.deepEqual(lost, [], `after kill ${kill + 1}: acknowledged frames missing from raw`);
    for (const commit of await store.listCommits('raw')) await store.listFiles('raw', commit.id);
    for (const file of files.values()) await access(store.objectPath(file.sha256));
  }
  assert.ok(acknowledged.size > KILLS * 5, `the load was steady: ${acknowledged.size} frames acknowledged, ${answered} answers`);
  await vigilOk(['fsck'], { root });
});
