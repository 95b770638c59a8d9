import { join } from 'node:path';

/** The root of the `/pfs` contract: `/pfs` under Pachyderm, `$PFS_ROOT` under the embedded engine. */
export function pfsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.PFS_ROOT || '/pfs';
}

/** Where a step writes its output: `<root>/out`. */
export function outDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(pfsRoot(env), 'out');
}
