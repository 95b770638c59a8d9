/**
 * `vigil serve`'s ingest: 64 uploaders (autocannon) PUT distinct 100 KB frames for 20 s; frames
 * acknowledged per second, against a minimal node:http server writing each body with writeFile
 * and fsync into the same filesystem, loaded the same way in the same run. Group commit should
 * beat a per-file fsync.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { formatTimestamp } from '../src/contract/frame-path.js';
import { packageRoot } from '../src/pfs/package-root.js';
import { addToken } from '../src/serve/devices.js';
import { Store } from '../src/engine/store/store.js';
import { tempDir } from '../test/helpers/cli.js';
import { startServer } from '../test/helpers/serve.js';
import type { Bench, BenchResult } from './bench.js';

const CONNECTIONS = 64;
const SECONDS = 20;
const FRAME_BYTES = 100 * 1024;

interface Load {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

/** A 100 KB body that sniffs as JPEG, with a counter written into it so that every frame is distinct. */
function frameBody(): Buffer {
  const body = randomBytes(FRAME_BYTES);
  body.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return body;
}

async function load(url: string, headers: Record<string, string>): Promise<Load> {
  const body = frameBody();
  const base = Date.now() - 86_400_000;
  let n = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'PUT',
    headers,
    requests: [
      {
        setupRequest: (req) => {
          const i = n++;
          const frame = Buffer.from(body);
          frame.writeUInt32BE(i, 8);
          return { ...req, path: `/v1/frames/u1-cam1/${formatTimestamp(new Date(base + i))}.jpg`, body: frame };
        },
      },
    ],
  });
  const ok = result['2xx'];
  return {
    perSecond: ok / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

function line(name: string, l: Load): string {
  return `${name}: ${l.perSecond.toFixed(0)} frames/s acknowledged, latency p50 ${l.p50} ms, p99 ${l.p99} ms, ${l.errors} errors, ${l.non2xx} non-2xx of ${l.total}`;
}

export const bench: Bench = {
  name: 'ingest',
  describe: `vigil serve, ${CONNECTIONS} uploaders of ${FRAME_BYTES / 1024} KB frames for ${SECONDS} s, against node:http + writeFile + fsync per frame`,
  async run(): Promise<BenchResult> {
    const root = await tempDir('vigil-bench-ingest-');
    await Store.open(root);
    const { token } = await addToken(root, 'u1-cam1');
    const server = await startServer(root, ['--no-pipelines', '--queue-frames', '4096', '--queue-mb', '1024']);
    let serve: Load;
    try {
      serve = await load(server.url, { authorization: `Bearer ${token}` });
    } finally {
      await server.stop();
    }
    const head = await (await Store.open(root)).headCommit('raw');
    const stored = head ? (await (await Store.open(root)).listFiles('raw', head.id)).length : 0;
    await rm(root, { recursive: true, force: true }); // 20 s of frames: a gigabyte or more

    const dir = await tempDir('vigil-bench-fsync-');
    const baseline = spawn(process.execPath, [join(packageRoot(), 'dist', 'bench', 'fsync-server.js'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let plain: Load;
    try {
      const port = await new Promise<string>((resolve, reject) => {
        baseline.stdout!.setEncoding('utf8').on('data', (d: string) => {
          const m = /listening on (\d+)/.exec(d);
          if (m) resolve(m[1]!);
        });
        baseline.on('exit', (code) => reject(new Error(`the baseline server exited ${code}`)));
        setTimeout(() => reject(new Error('the baseline server did not start in 30 s')), 30_000).unref();
      });
      plain = await load(`http://127.0.0.1:${port}`, {});
    } finally {
      baseline.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
    return {
      name: 'ingest',
      value: serve.perSecond,
      unit: 'frames/s',
      baseline: plain.perSecond,
      target: '>=1',
      targetOn: 'ratio',
      notes: [line('vigil serve', serve), `  ${stored} frames in raw@master after the run`, line('node:http + writeFile + fsync', plain)],
    };
  },
};
