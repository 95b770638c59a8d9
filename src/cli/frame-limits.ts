/**
 * The ingest's limits, wired from the validate stage's one configuration: the config file the
 * `validated` pipeline's spec names (transform.env.VIGIL_VALIDATE_CONFIG), else the one this
 * process's environment names, else the schema's defaults; and the stage's own name and
 * capture-time check. What the server refuses early is thus exactly what validation would reject.
 */
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import type { FrameLimits } from '../serve/ingest-core.js';

export async function frameLimits(store: Store): Promise<FrameLimits> {
  const { listPipelines } = await import('../engine/pps/pipelines.js');
  const { loadConfig } = await import('../../steps/validate/config.js');
  const { checkName } = await import('../../steps/validate/core.js');
  const spec = (await listPipelines(store)).find((r) => r.name === REPOS.validated)?.spec;
  const config = await loadConfig({ ...process.env, ...spec?.transform.env });
  return {
    maxBytes: config.maxBytes,
    formats: config.formats,
    checkName: (path, now) => checkName(path, config, now).reason?.message ?? null,
  };
}
