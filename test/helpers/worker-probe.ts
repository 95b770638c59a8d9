/**
 * A step for the worker-environment tests, run by pipelines as `node dist/test/helpers/worker-probe.js`,
 * batching or not: it records the names of the variables its process started with in
 * `$PROBE_DIR/<pid>.env` (outside the repos, since a batching step has no datum before
 * NextDatum), then, as a real step, goes through the step kit's forEachDatum and copies each
 * datum's input files to out/. Asked to (PROBE_NEXT_DATUM), a non-batching step first calls
 * NextDatum itself and writes what the worker answered to out/next-datum/<datum id>.
 *
 * `node --test dist/test/` runs every file under test/, this one too: outside a pipeline
 * (no PROBE_DIR) it does nothing.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { forEachDatum, WORKER_CHANNEL_OPTIONS, WORKER_SERVICE } from '../../src/pfs/datums.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';

/** The worker's answer to one NextDatum call: `ok` or the error's message. */
function askNextDatum(port: string): Promise<string> {
  const Client = grpc.makeGenericClientConstructor(WORKER_SERVICE, 'Worker');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), WORKER_CHANNEL_OPTIONS) as unknown as {
    NextDatum(req: { error: string }, cb: (err: grpc.ServiceError | null) => void): void;
    close(): void;
  };
  return new Promise((resolve) =>
    client.NextDatum({ error: '' }, (err) => {
      client.close();
      resolve(err ? `${grpc.status[err.code]}: ${err.details}` : 'ok');
    }),
  );
}

const probeDir = process.env.PROBE_DIR;
if (probeDir) {
  await writeFile(join(probeDir, `${process.pid}.env`), Object.keys(process.env).sort().join('\n'));
  await forEachDatum(async ({ env }) => {
    if (env.PROBE_NEXT_DATUM) {
      await mkdir(join(outDir(env), 'next-datum'), { recursive: true });
      await writeFile(join(outDir(env), 'next-datum', env.PACH_DATUM_ID!), await askNextDatum(env.PPS_WORKER_GRPC_PORT!));
    }
    const inputDir = join(pfsRoot(env), 'raw');
    for (const entry of await readdir(inputDir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const file = join(entry.parentPath, entry.name);
      await copyFile(file, join(outDir(env), relative(inputDir, file)));
    }
  });
}
