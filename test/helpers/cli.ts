import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/pfs/package-root.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A new empty folder for a store (or anything else a test writes). */
export function tempDir(prefix = 'vigil-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Runs the real `vigil` CLI (bin/vigil.js) as a user would, against the store in `root`. */
export function vigil(
  args: string[],
  opts: { root: string; input?: string | Buffer; env?: Record<string, string>; cwd?: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), ...args], {
      cwd: opts.cwd ?? packageRoot(),
      env: { ...process.env, VIGIL_ROOT: opts.root, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Like vigil(), but fails the test with the command's stderr when it exits non-zero. */
export async function vigilOk(args: string[], opts: Parameters<typeof vigil>[1]): Promise<string> {
  const r = await vigil(args, opts);
  if (r.code !== 0) throw new Error(`vigil ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return r.stdout;
}
