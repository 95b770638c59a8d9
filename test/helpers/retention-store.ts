/**
 * The store both retention tests start from: `raw` holds the frames laid out under
 * `<files>/raw`, `rules` no rule and u1's cam1 subscribed with a retention period, `models` a
 * stand-in `centernet/model.json` (no step reads it: detection records are made by the tests),
 * and the validated pipeline has run over the frames.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../src/pfs/package-root.js';
import { vigil, vigilOk } from './cli.js';

/** subscriptions.yaml subscribing u1's cam1 with `retention` (e.g. `{ frames: 30d, records: 2y }`). */
export const retentionSubscriptions = (retention: string) =>
  `users:\n  - id: u1\n    retention: ${retention}\n    devices:\n      - id: cam1\n        rules: []\n`;

export async function retentionStore(root: string, files: string, opts: { retention: string; modelJson: string }): Promise<void> {
  await mkdir(join(files, 'rules'), { recursive: true });
  await writeFile(join(files, 'rules', 'rules.yaml'), 'rules: []\n');
  await writeFile(join(files, 'rules', 'subscriptions.yaml'), retentionSubscriptions(opts.retention));
  await mkdir(join(files, 'models', 'centernet'), { recursive: true });
  await writeFile(join(files, 'models', 'centernet', 'model.json'), opts.modelJson);
  for (const repo of ['raw', 'rules', 'models']) {
    await vigilOk(['create', 'repo', repo], { root });
    await vigilOk(['put', 'file', '-r', `${repo}@master:/`, '-f', join(files, repo)], { root });
  }
  const check = await vigil(['rules', 'check', join(files, 'rules')], { root });
  assert.equal(check.code, 0, check.stdout + check.stderr);
  await vigilOk(['create', 'pipeline', '-f', join(packageRoot(), 'pipelines', 'validated.yaml')], { root });
  await vigilOk(['run'], { root });
}
