/**
 * `vigil serve` as a test runs it: the real CLI in a child process on 127.0.0.1 (port 0, the URL
 * read from its log), stopped with SIGTERM; every wait has a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { vigilOk } from './cli.js';

export interface Served {
  url: string;
  s3Url?: string;
  child: ChildProcess;
  /** Everything the server printed so far. */
  log(): string;
  /** SIGTERM, then the exit code (deadline 60 s). */
  stop(): Promise<number | null>;
  /** Waits until the log matches `pattern` (deadline `ms`). */
  waitForLog(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

export async function startServer(root: string, args: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'vigil.js'), 'serve', '--port', '0', ...args], {
    env: { ...process.env, VIGIL_ROOT: root, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve(code);
    }),
  );
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const waitForLog = async (pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = output.match(pattern);
      if (m) return m;
      if (exited !== undefined) throw new Error(`vigil serve exited (${exited}) before printing ${pattern}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`vigil serve did not print ${pattern} within ${ms} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const served: Served = {
    url: '',
    child,
    log: () => output,
    waitForLog,
    stop: async () => {
      if (exited === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
  try {
    served.url = (await waitForLog(/frames at (https?:\/\/\S+)\/v1\/frames/))[1]!;
    const s3 = output.match(/S3 gateway at (https?:\/\/\S+)/);
    if (s3) served.s3Url = s3[1]!;
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return served;
}

/** A new token for `device`, made with the real CLI. */
export async function addDevice(root: string, device: string): Promise<string> {
  return (await vigilOk(['device', 'add', device], { root })).trim();
}

/** A frame's file name for a capture `secondsAgo` seconds before now (whole seconds). */
export function frameName(secondsAgo: number, ext = 'jpg'): string {
  return `${formatTimestamp(new Date(Math.floor(Date.now() / 1000 - secondsAgo) * 1000))}.${ext}`;
}

/** PUT (or POST without `file`) a frame with a bearer token; the status and the JSON answer. */
export async function sendFrame(
  url: string,
  token: string | null,
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
  method = 'PUT',
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${url}/v1/frames/${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: await res.json(), headers: res.headers };
}
