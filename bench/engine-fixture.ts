/**
 * The engine benchmarks' shared setup (built once per `npm run bench`): a store with 10,000
 * one-file datums, a datum-batching pipeline whose step does nothing (bench/noop-step.ts), the
 * first full `vigil run` over it, and the baseline: the same step served the same number of
 * datums by a bare NextDatum server that does no engine work at all.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/engine/store/store.js';
import { NextDatumServer } from '../src/engine/worker/next-datum-server.js';
import { packageRoot } from '../src/pfs/package-root.js';

export const DATUMS = 10_000;

const NOOP_STEP = join(packageRoot(), 'dist', 'bench', 'noop-step.js');

export interface EngineFixture {
  root: string;
  /** Wall time of the first `vigil run` (every datum processed). */
  firstRunMs: number;
  /** Wall time of the bare protocol over as many datums, with as many workers. */
  bareMs: number;
  workers: number;
}

let fixture: Promise<EngineFixture> | undefined;

export function engineFixture(): Promise<EngineFixture> {
  fixture ??= build();
  return fixture;
}

/** Runs the real CLI; returns its stdout and wall time, failing on a non-zero exit. */
export async function timedVigil(args: string[], root: string): Promise<{ stdout: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), ...args, '--root', root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`vigil ${args.join(' ')} exited ${code}\n${stdout}${stderr}`);
  return { stdout, ms };
}

/**
 * What the engine's read check costs on `repos`' heads: each file's object re-hashed once, as a
 * job's workers check a datum's inputs (Store.checkObjectSync, once per object and job), in ms.
 * Measured apart from the run it is part of, to give the check's share of the run's time.
 */
export async function inputCheckMs(
  root: string,
  repos: string[],
  only?: (path: string) => boolean,
): Promise<{ ms: number; objects: number }> {
  const store = await Store.open(root);
  const objects = new Set<string>();
  for (const repo of repos) {
    const head = await store.headCommit(repo);
    if (head) for (const f of await store.listFiles(repo, head.id)) if (!only || only(f.path)) objects.add(f.sha256);
  }
  const started = performance.now();
  for (const sha of objects) store.checkObjectSync(sha, repos.join(','));
  return { ms: performance.now() - started, objects: objects.size };
}

/** `part` of `whole` as a percentage, for the `check share: N%` lines. */
export function share(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(2)}%`;
}

/** One new frame-sized file in raw, as a camera would add it. */
export async function addOneFile(root: string, name: string): Promise<void> {
  const store = await Store.open(root);
  const put = [{ path: `/${name}.txt`, ...(await store.addObject(Buffer.from(`${name}\n`))) }];
  await store.commit('raw', 'master', { put });
}

async function build(): Promise<EngineFixture> {
  const root = await mkdtemp(join(tmpdir(), 'vigil-bench-engine-'));
  const store = await Store.open(root);
  await store.createRepo('raw');
  const put = [];
  for (let i = 0; i < DATUMS; i++) {
    put.push({
      path: `/frame-${String(i).padStart(5, '0')}.txt`,
      ...(await store.addObject(Buffer.from(`frame ${i}\n`), { batch: true })),
    });
  }
  await store.commit('raw', 'master', { put });
  const spec = join(root, 'noop.json');
  await writeFile(
    spec,
    JSON.stringify({
      pipeline: { name: 'noop' },
      input: { pfs: { repo: 'raw', glob: '/*' } },
      transform: { cmd: ['node', NOOP_STEP], datumBatching: true },
    }),
  );
  await timedVigil(['create', 'pipeline', '-f', spec], root);

  const workers = availableParallelism();
  const bareMs = await bareProtocol(DATUMS, workers);
  const first = await timedVigil(['run'], root);
  if (!new RegExp(`JOB_SUCCESS: ${DATUMS} processed`).test(first.stdout)) throw new Error(`unexpected first run:\n${first.stdout}`);
  return { root, firstRunMs: first.ms, bareMs, workers };
}

/** The noop step on `workers` processes, each served by a NextDatum server that only hands out variables. */
async function bareProtocol(datums: number, workers: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      let kill = () => {};
      const server = await NextDatumServer.start(async () => {
        if (next >= datums) {
          kill();
          finished();
          return null;
        }
        next++;
        return [`raw=/pfs/raw/frame-${next}.txt`, `raw_COMMIT=0`, `PACH_DATUM_ID=${next}`, 'PACH_JOB_ID=0', 'PACH_OUTPUT_COMMIT_ID=0'];
      });
      const child = spawn(process.execPath, [NOOP_STEP], {
        env: { ...process.env, PPS_WORKER_GRPC_PORT: String(server.port), PFS_ROOT: tmpdir() },
        stdio: 'ignore',
      });
      kill = () => child.kill('SIGKILL');
      await done;
      server.close();
    }),
  );
  return performance.now() - started;
}
