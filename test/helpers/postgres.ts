/**
 * A real PostgreSQL server for a test: Debian's `postgresql` binaries (/usr/lib/postgresql/<v>/bin),
 * a cluster made with initdb in a fresh temp folder, listening only on 127.0.0.1 at a free port,
 * stopped by `stop()`. The server refuses to run as root (CI runs as root), so when the test runs
 * as root the server runs as the `postgres` user the package creates. `findPostgres()` says why
 * there is none, for a skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Postgres {
  url: string;
  stop(): void;
}

/** The folder of the newest installed server's binaries, or why there is none. */
export function findPostgres(): { bin: string } | { missing: string } {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) return { missing: "PostgreSQL is not installed (scripts/install-test-deps installs Debian's postgresql)" };
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0]!;
  return { bin: join(base, newest, 'bin') };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a throwaway server whose superuser is `vigil` with `password`; its URL names the `postgres` database. */
export async function startPostgres(bin: string, password: string): Promise<Postgres> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args;
    const r = spawnSync(asRoot ? 'runuser' : join(bin, cmd), argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout || r.error?.message}`);
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chmodSync(dir, 0o755);
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  run('initdb', ['-D', data, '-U', 'vigil', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return { url: `postgres://vigil:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, stop };
}
