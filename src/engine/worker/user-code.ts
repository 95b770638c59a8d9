import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseEnvLines } from '../../pfs/worker-protocol.js';
import { JOB_FAILURE_EXIT_CODE } from '../../pfs/errors.js';
import { packageRoot } from '../../pfs/package-root.js';
import type { Datum } from '../datum/create.js';
import { datumEnvLines, stepEnv, stopReason, type DatumResult, type JobContext, type WorkerPod } from './job-context.js';

/**
 * The pipeline's user code (transform.cmd and errCmd), as Pachyderm's worker driver runs it:
 * each run a process of its own, its output lines logged under the datum they belong to.
 */

export interface StepExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (e.g. not found). */
  spawnError?: string;
}

/** A running step (or errCmd): its own process group, so that a kill reaches whatever it started. */
export interface StepProcess {
  readonly exited: Promise<StepExit>;
  /** SIGKILLs the process group; a no-op once it has exited. */
  kill(): void;
}

interface StepOptions {
  env: Record<string, string>;
  cwd: string;
  /** Written to stdin, then stdin is closed. */
  stdin?: string;
  /** Each complete line the process writes (stdout and stderr alike, as Pachyderm's logs keep both). */
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
}

/**
 * The argv a spec's `cmd` runs: a first word `vigil` is this project's own CLI, so specs name
 * the binary the Docker image has and still run here.
 */
function resolveCommand(cmd: string[]): [string, string[]] {
  if (cmd[0] === 'vigil') return [process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), ...cmd.slice(1)]];
  return [cmd[0]!, cmd.slice(1)];
}

/** Starts `cmd` in its own process group, its output delivered line by line. */
function startStep(cmd: string[], opts: StepOptions): StepProcess {
  const [file, args] = resolveCommand(cmd);
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let done = false;
  const exited = new Promise<StepExit>((resolve) => {
    child.on('error', (e) => {
      done = true;
      resolve({ code: null, signal: null, spawnError: `cannot run ${cmd[0]}: ${(e as NodeJS.ErrnoException).code ?? e.message}` });
    });
    // 'close' (not 'exit'): every line of output has been delivered by then.
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    const source = child[stream]!.setEncoding('utf8');
    source.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) opts.onLine(line, stream);
    });
    source.on('end', () => {
      if (partial) opts.onLine(partial, stream);
      partial = '';
    });
  }
  if (opts.stdin !== undefined) {
    child.stdin!.on('error', () => {}); // a step that does not read its stdin is not an error
    child.stdin!.end(opts.stdin);
  }
  return {
    exited,
    kill() {
      if (done || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** Why a finished process counts as failed, or null when it succeeded. */
export function exitFailure(exit: StepExit, acceptReturnCode: number[] = []): string | null {
  if (exit.spawnError) return exit.spawnError;
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code === 0 || acceptReturnCode.includes(exit.code!)) return null;
  return `exit code ${exit.code}`;
}

/**
 * Why a step that exited with JOB_FAILURE_EXIT_CODE (src/pfs/errors.ts) says its whole job
 * cannot succeed: its last stderr line. The engine then fails the job once, rather than every datum alike.
 */
export function jobFailureReason(tail: StderrTail): string {
  return tail.last() ?? `the step exited with code ${JOB_FAILURE_EXIT_CODE}: no datum of the job can succeed`;
}

/** Keeps a process's last stderr lines, for the reason a datum failed. */
export class StderrTail {
  private lines: string[] = [];
  private lastLine: string | undefined;
  add(line: string): void {
    if (line.trim() === '') return;
    this.lastLine = line;
    this.lines.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    if (this.lines.length > 3) this.lines.shift();
  }
  clear(): void {
    this.lines = [];
    this.lastLine = undefined;
  }
  /** The last line, whole (a job's failure reason, which `inspect job` shows in full). */
  last(): string | undefined {
    return this.lastLine;
  }
  /** `: <last lines>`, or '' when the process printed nothing on stderr. */
  suffix(): string {
    return this.lines.length ? `: ${this.lines.join(' | ')}` : '';
  }
}

/** Starts `cmd` for the job: in transform.workingDir (else this process's), with `stdin`'s lines on its stdin. */
export function startUserCode(
  ctx: JobContext,
  cmd: string[],
  stdin: string[] | undefined,
  env: Record<string, string>,
  onLine: StepOptions['onLine'],
): StepProcess {
  return startStep(cmd, {
    env,
    cwd: ctx.spec.transform.workingDir ?? process.cwd(),
    stdin: stdin ? `${stdin.join('\n')}\n` : undefined,
    onLine,
  });
}

/** Runs one process to its end for one datum (cmd without batching, or errCmd); returns why it failed, or null. */
export async function runToEnd(
  ctx: JobContext,
  workerId: string,
  datum: Datum,
  cmd: string[],
  stdin: string[] | undefined,
  env: Record<string, string>,
  acceptReturnCode: number[],
): Promise<string | null> {
  const tail = new StderrTail();
  const proc = startUserCode(ctx, cmd, stdin, env, (line, stream) => {
    ctx.log.write(workerId, datum.id, line);
    if (stream === 'stderr') tail.add(line);
  });
  const limit = ctx.spec.datumTimeoutMs;
  let timedOut = false;
  const timer =
    limit === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          proc.kill();
        }, limit);
  const onAbort = () => proc.kill();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal.aborted) proc.kill();
  const exit = await proc.exited;
  clearTimeout(timer);
  ctx.signal.removeEventListener('abort', onAbort);
  if (timedOut) return `timed out after ${limit! / 1000}s (datumTimeout)`;
  if (ctx.signal.aborted) return stopReason(ctx.signal);
  if (exit.code === JOB_FAILURE_EXIT_CODE) ctx.failJob(jobFailureReason(tail));
  const failure = exitFailure(exit, acceptReturnCode);
  return failure && failure + tail.suffix();
}

/** What errCmd made of a datum's failed tries so far. */
export interface ErrCmdOutcome {
  /** errCmd succeeded after some try: the datum ends RECOVERED unless a later try succeeds. */
  recovered: boolean;
  /** Why errCmd failed the last time it ran. */
  failure?: string;
}

/**
 * After each failed try, as Pachyderm's Datum.run (worker/datum/datum.go): the try's output is
 * dropped, then errCmd, if the spec has one, runs with the datum's variables; its output is
 * dropped too. The datum is still tried again while tries are left (Set.WithDatum).
 */
export async function afterFailedTry(ctx: JobContext, pod: WorkerPod, datum: Datum, outcome: ErrCmdOutcome): Promise<void> {
  const { root } = pod;
  await root.clearOut();
  const { errCmd, errStdin } = ctx.spec.transform;
  if (!errCmd || ctx.signal.aborted) return;
  const env = stepEnv(ctx, pod, parseEnvLines(datumEnvLines(datum, root, ctx.jobId)));
  const failure = await runToEnd(ctx, pod.id, datum, errCmd, errStdin, env, []);
  await root.clearOut();
  if (failure) outcome.failure = failure;
  else outcome.recovered = true;
}

/**
 * A datum whose last try failed: RECOVERED when errCmd succeeded after any try (the state
 * sticks, as Datum.handleFailed keeps it), else FAILED.
 */
export function failedResult(datum: Datum, reason: string, tries: number, outcome: ErrCmdOutcome): DatumResult {
  if (outcome.recovered) return { datum, state: 'RECOVERED', outputs: [], reason, tries };
  const why = outcome.failure ? `${reason}; errCmd failed too: ${outcome.failure}` : reason;
  return { datum, state: 'FAILED', outputs: [], reason: why, tries };
}
