import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { JOB_FAILURE_EXIT_CODE, JobFailure, VigilError } from './errors.js';
import { pfsRoot } from './paths.js';
import {
  BATCHING_NOT_ENABLED,
  DATUM_ID_VAR,
  decodeNextDatumRequest,
  decodeNextDatumResponse,
  encodeNextDatumRequest,
  encodeNextDatumResponse,
  NEXT_DATUM_PATH,
  type NextDatumRequest,
  type NextDatumResponse,
  parseEnvLines,
  WORKER_PORT_VAR,
} from './worker-protocol.js';

/** One datum as a step sees it: Pachyderm's variables (`<input name>` = its path, `PACH_DATUM_ID`, ...). */
export interface Datum {
  env: Record<string, string>;
}

export type DatumHandler = (datum: Datum) => Promise<void>;

type WorkerClient = grpc.Client & {
  NextDatum(req: NextDatumRequest, cb: (err: grpc.ServiceError | null, res: NextDatumResponse) => void): void;
};

/** The `pachyderm.worker.Worker` service of worker.proto, as a grpc-js client calls it. */
export const WORKER_SERVICE = {
  NextDatum: {
    path: NEXT_DATUM_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeNextDatumRequest,
    requestDeserialize: decodeNextDatumRequest,
    responseSerialize: encodeNextDatumResponse,
    responseDeserialize: decodeNextDatumResponse,
  },
} satisfies grpc.ServiceDefinition;

/**
 * Options for a NextDatum client: no channelz (gRPC's live call statistics, which nothing here
 * reads), whose bookkeeping would cost every call.
 */
export const WORKER_CHANNEL_OPTIONS = { 'grpc.enable_channelz': 0 } as const;

/** A user's error is its message alone (one clear line in the logs); anything else, a bug, its stack. */
function describeError(e: unknown): string {
  if (e instanceof VigilError) return e.message;
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/** A JobFailure ends the step at once, its message the last stderr line, with the code the engine takes as the job's failure. */
function endIfJobFailure(e: unknown): void {
  if (!(e instanceof JobFailure)) return;
  process.stderr.write(`${e.message.split('\n').join('; ')}\n`);
  process.exit(JOB_FAILURE_EXIT_CODE);
}

/**
 * Whether this process serves a datum-batching worker. A Pachyderm worker sets
 * PPS_WORKER_GRPC_PORT in every pod (pps/server/worker_rc.go, workerPodSpec), batching or not;
 * what differs is the process's own environment (worker/driver/driver.go, UserCodeEnv): without
 * batching the step runs once per datum and gets the datum's variables (PACH_DATUM_ID, one
 * variable per input); with it the step starts with none and asks NextDatum for each datum
 * (worker/pipeline/transform/worker.go, handleDatumSetBatching). A process with no worker port
 * at all runs outside any worker (`vigil step`, tests) on the datum of its environment.
 */
export function datumBatching(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[WORKER_PORT_VAR]) && !env[DATUM_ID_VAR];
}

/**
 * Runs `handle` on every datum of this worker. With datum batching (see datumBatching) it loops
 * on NextDatum, reporting each datum's failure in the next call; the worker ends the process
 * when no datum is left, so this never returns then. Without batching the process is one
 * datum, described by its own environment, and a failure exits non-zero.
 */
export async function forEachDatum(handle: DatumHandler): Promise<void> {
  if (!datumBatching(process.env)) {
    try {
      await handle({ env: { ...(process.env as Record<string, string>) } });
    } catch (e) {
      endIfJobFailure(e);
      throw e;
    }
    return;
  }
  const Client = grpc.makeGenericClientConstructor(WORKER_SERVICE, 'Worker');
  const address = `127.0.0.1:${process.env[WORKER_PORT_VAR]}`;
  const client = new Client(address, grpc.credentials.createInsecure(), WORKER_CHANNEL_OPTIONS) as unknown as WorkerClient;
  const next = (error: string) =>
    new Promise<NextDatumResponse>((resolve, reject) =>
      client.NextDatum({ error }, (err, res) => {
        if (!err) return resolve(res);
        if (err.details === BATCHING_NOT_ENABLED)
          reject(new Error(`the worker at ${address} says "${BATCHING_NOT_ENABLED}": set transform.datumBatching in the pipeline spec`));
        else reject(err);
      }),
    );
  let error = '';
  for (;;) {
    const res = await next(error);
    // The response carries the datum's variables; Pachyderm also writes them to /pfs/.env.
    const lines = res.env.length > 0 ? res.env : (await readFile(join(pfsRoot(), '.env'), 'utf8')).split('\n');
    const env = { ...(process.env as Record<string, string>), ...parseEnvLines(lines) };
    try {
      await handle({ env });
      error = '';
    } catch (e) {
      endIfJobFailure(e);
      error = describeError(e);
      process.stderr.write(`datum ${env.PACH_DATUM_ID ?? '?'} failed: ${error}\n`);
    }
  }
}
