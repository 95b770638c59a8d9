/** Match records and hand-laid /pfs datums for the alert stage's tests. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertTargets, Match } from '../../specs/index.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { sha256 } from '../../src/pfs/files.js';
import { vigil, type CliResult } from './cli.js';

export interface MatchOptions {
  user?: string;
  device?: string;
  ruleId?: number;
  ruleName?: string;
  cooldownSeconds?: number;
  severity?: 'critical' | 'error' | 'warning' | 'info';
  targets?: AlertTargets;
  score?: number;
  camera?: Match['camera'];
}

/** A valid match record for a person at `at` on a New York camera (UTC-5 in November). */
export function matchRecord(at: Date, o: MatchOptions = {}): Match {
  const user = o.user ?? 'u1';
  const device = o.device ?? 'cam1';
  const ts = formatTimestamp(at);
  const local = new Date(at.getTime() - 5 * 3600_000).toISOString().replace(/\.\d+Z$/, '-05:00');
  return {
    user,
    device,
    capturedAt: at.toISOString(),
    localTime: local,
    timezone: 'America/New_York',
    ...(o.camera ? { camera: o.camera } : {}),
    frame: {
      repo: 'validated',
      commit: 'f'.repeat(32),
      path: `/valid/${user}-${device}/${ts}.jpg`,
      sha256: sha256(`frame ${ts}`),
      size: 1000,
    },
    detection: {
      repo: 'detections',
      commit: 'd'.repeat(32),
      path: `/${user}-${device}/${ts}.json`,
      sha256: sha256(`det ${ts}`),
      size: 300,
    },
    model: { name: 'centernet', commit: 'm'.repeat(32), weightsSha256: sha256('weights'), backend: 'wasm' },
    rules: { repo: 'rules', commit: 'r'.repeat(32), rulesSha256: sha256('rules'), subscriptionsSha256: sha256('subs') },
    fired: [
      {
        ruleId: o.ruleId ?? 200,
        name: o.ruleName ?? 'Person after hours',
        severity: o.severity ?? 'critical',
        cooldownSeconds: o.cooldownSeconds ?? 300,
        objects: [{ label: 'person', score: o.score ?? 0.91, box: { x: 0.2, y: 0.3, w: 0.1, h: 0.4 }, zone: 'door' }],
        targets: o.targets ?? {},
      },
    ],
  };
}

/** `count` instants from `start`, `stepSeconds` apart. */
export function times(start: string, count: number, stepSeconds: number): Date[] {
  return Array.from({ length: count }, (_, i) => new Date(Date.parse(start) + i * stepSeconds * 1000));
}

/**
 * Lays one datum of the alert step under `pfsRoot`: every record at
 * matches/<user>-<device>/<ts>.json, with `frame` (when given) as each match's validated frame at
 * validated/valid/<user>-<device>/<ts>.jpg (the match's frame hash made to fit), a fresh empty
 * out/, and the datum's variables.
 */
export async function layDatum(pfsRoot: string, matches: Match[], frame?: Uint8Array): Promise<Record<string, string>> {
  await rm(pfsRoot, { recursive: true, force: true });
  let first = '';
  for (const m of matches) {
    const ts = formatTimestamp(new Date(m.capturedAt));
    const file = join(pfsRoot, 'matches', `${m.user}-${m.device}`, `${ts}.json`);
    await mkdir(join(file, '..'), { recursive: true });
    if (frame) {
      const framePath = join(pfsRoot, 'validated', 'valid', `${m.user}-${m.device}`, `${ts}.jpg`);
      await mkdir(join(framePath, '..'), { recursive: true });
      await writeFile(framePath, frame);
      m.frame = { ...m.frame, sha256: sha256(frame), size: frame.length };
    }
    await writeFile(file, `${JSON.stringify(m, null, 2)}\n`);
    first ||= file;
  }
  await mkdir(join(pfsRoot, 'out'), { recursive: true });
  return {
    PFS_ROOT: pfsRoot,
    matches: first,
    matches_COMMIT: 'c'.repeat(32),
    PACH_DATUM_ID: 'd1',
    PACH_JOB_ID: 'j1',
    PACH_OUTPUT_COMMIT_ID: 'o1',
  };
}

/** Runs `vigil step alert` as the engine would, one datum, in a child process. */
export function runAlertStep(root: string, env: Record<string, string>): Promise<CliResult> {
  return vigil(['step', 'alert'], { root, env: { PPS_WORKER_GRPC_PORT: '', ...env } });
}
