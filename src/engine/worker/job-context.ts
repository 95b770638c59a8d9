import { WORKER_PORT_VAR } from '../../pfs/worker-protocol.js';
import type { Datum } from '../datum/create.js';
import { StoreDamageError } from '../store/damage.js';
import type { JobLog } from '../pps/logs.js';
import type { PipelineSpec } from '../pps/spec.js';
import type { FileEntry, Store } from '../store/store.js';
import type { DatumRoot } from './datum-root.js';
import type { DatumSetLimit } from './datum-sets.js';
import type { WarmWorkers } from './warm-workers.js';

/**
 * A job as its workers see it: what processDatums is given, the queue of datums the workers
 * take from, and the variables each datum gives the step.
 */

export interface DatumResult {
  datum: Datum;
  state: 'SUCCESS' | 'FAILED' | 'RECOVERED';
  /** What the datum wrote under out/ (none unless SUCCESS). */
  outputs: FileEntry[];
  reason?: string;
  tries: number;
}

export interface ProcessDatumsOptions {
  store: Store;
  spec: PipelineSpec;
  jobId: string;
  /** The job's scratch folder; worker i's PFS_ROOT is `<workDir>/w<i>`. */
  workDir: string;
  /** What every process of the job starts from: the caller's environment, the spec's env and secrets, the pod's variables, VIGIL_ROOT. */
  env: Record<string, string>;
  log: JobLog;
  /** Job timeout or user interrupt: processes are killed, datums in flight fail with the signal's reason. */
  signal: AbortSignal;
  onResult(result: DatumResult): void;
  /** A long-running caller's pool that keeps datum-batching steps warm from one job to the next (see WarmWorkers). */
  workers?: WarmWorkers;
}

export interface JobContext extends ProcessDatumsOptions {
  /** Why the step cannot run at all, once a worker found out. */
  fatal: string | undefined;
  /** Fails the whole job with `reason` and stops its workers (the step cannot run, or said no datum can succeed). */
  failJob(reason: string): void;
  /** The job's datums to process, once `planned` has settled. */
  datums: Datum[];
  planned: Promise<void>;
  /** A datum-batching worker's step runs (started, or resumed warm): the plan is made from then on (see processDatums). */
  stepStarted(): void;
  /** The next datum no worker has taken. */
  next: number;
  /** How much a datum-batching step's process serves before it is restarted, once `planned` has settled (datum-sets.ts). */
  setLimit: DatumSetLimit;
  /** The objects of datums' inputs re-hashed in this job and found sound (see takeDatum). */
  checkedObjects: Set<string>;
}

/**
 * The next datum no worker has taken; none once the job is stopped. A datum whose input objects
 * are damaged or missing in the store fails here, with a reason naming the file and the object,
 * and the next is taken: the step never sees damaged bytes, and no retry or errCmd can mend them.
 */
export function takeDatum(ctx: JobContext): Datum | undefined {
  for (;;) {
    const datum = ctx.signal.aborted ? undefined : ctx.datums[ctx.next++];
    const damaged = datum && damagedInput(ctx, datum);
    if (!damaged) return datum;
    ctx.onResult({ datum, state: 'FAILED', outputs: [], reason: damaged, tries: 0 });
  }
}

/**
 * Why the datum's inputs cannot be shown to the step: an object re-hashed from the store that is
 * damaged, missing or unreadable; null when all are sound. Each object is checked once per job
 * (the model files every datum of detect reads, once), synchronously like the datum's layout.
 */
function damagedInput(ctx: JobContext, datum: Datum): string | null {
  for (const input of datum.inputs) {
    if (input.emptyFiles) continue; // the step sees empty placeholders, never the objects
    for (const file of input.files) {
      if (ctx.checkedObjects.has(file.sha256)) continue;
      const where = `${input.repo}@${input.commit}:${file.path}`;
      try {
        ctx.store.checkObjectSync(file.sha256, where);
      } catch (e) {
        if (e instanceof StoreDamageError) return e.message;
        return `${where}: object ${file.sha256} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      }
      ctx.checkedObjects.add(file.sha256);
    }
  }
  return null;
}

/** Whether a datum is left for a worker to take. */
export function datumsLeft(ctx: JobContext): boolean {
  return ctx.next < ctx.datums.length;
}

/** Why the job was stopped, as a datum in flight records it. */
export function stopReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'stopped');
}

/** Pachyderm's per-datum variables, as `.env` lines and the NextDatum response carry them. */
export function datumEnvLines(datum: Datum, root: DatumRoot, jobId: string): string[] {
  const lines: string[] = [];
  for (const input of datum.inputs) {
    lines.push(`${input.name}=${root.inputPath(input.name, input.path)}`, `${input.name}_COMMIT=${input.commit}`);
    if (input.joinOn !== undefined) lines.push(`PACH_DATUM_${input.name}_JOIN_ON=${input.joinOn}`);
    if (input.groupBy !== undefined) lines.push(`PACH_DATUM_${input.name}_GROUP_BY=${input.groupBy}`);
  }
  lines.push(`PACH_DATUM_ID=${datum.id}`, `PACH_JOB_ID=${jobId}`, `PACH_OUTPUT_COMMIT_ID=${jobId}`);
  return lines;
}

/**
 * One worker of a job, as a Pachyderm worker pod: its id (`w<index>`), the datum root its step
 * sees as PFS_ROOT, and the port of its worker gRPC server, which a pod always has
 * (PPS_WORKER_GRPC_PORT) and which answers NextDatum with `datum batching not enabled` unless
 * a datum-batching session runs (next-datum-server.ts).
 */
export interface WorkerPod {
  readonly id: string;
  readonly root: DatumRoot;
  readonly port: number;
}

/**
 * The environment of a process the worker starts, as Pachyderm's: the job's (the pod's
 * variables, see podEnvironment in pps/step-env.ts), the worker's own (pps/server/worker_rc.go,
 * workerPodSpec: PPS_POD_NAME, PPS_WORKER_GRPC_PORT), the job's ids (worker/driver/driver.go,
 * UserCodeEnv: PACH_JOB_ID, PACH_OUTPUT_COMMIT_ID), PFS_ROOT (Vigil's: where /pfs is), then `extra`.
 */
export function stepEnv(ctx: JobContext, pod: WorkerPod, extra: Record<string, string>): Record<string, string> {
  return {
    ...ctx.env,
    PFS_ROOT: pod.root.dir,
    PPS_POD_NAME: `${ctx.spec.name}-${pod.id}`,
    [WORKER_PORT_VAR]: String(pod.port),
    PACH_JOB_ID: ctx.jobId,
    PACH_OUTPUT_COMMIT_ID: ctx.jobId,
    ...extra,
  };
}
