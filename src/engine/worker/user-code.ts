import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../pfs/package-root.js';

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

export interface StepOptions {
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
export function resolveCommand(cmd: string[]): [string, string[]] {
  if (cmd[0] === 'vigil') return [process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), ...cmd.slice(1)]];
  return [cmd[0]!, cmd.slice(1)];
}

export function startStep(cmd: string[], opts: StepOptions): StepProcess {
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
