import { join, resolve } from 'node:path';
import { REPOS } from '../../contract/repos.js';
import type { Store } from '../../engine/store/store.js';
import { packageRoot } from '../../pfs/package-root.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openOrCreateStore } from '../open-store.js';

/** The input repos of the architecture, created by `vigil init`. */
const INPUT_REPOS = [
  { name: REPOS.raw, description: 'camera frames: /<user>-<device>/<ts>.<jpg|jpeg|png|webp>' },
  { name: REPOS.rules, description: 'policies as data: /rules.yaml, /subscriptions.yaml' },
  { name: REPOS.models, description: 'detector weights: /<model-name>/model.json, *.bin, labels.json' },
  { name: REPOS.eval, description: 'the labelled evaluation set: /annotations.json (COCO), /images/<file_name>' },
];

async function commitDefaultModel(store: Store): Promise<string> {
  if (await store.headCommit(REPOS.models)) return `${REPOS.models}: has commits; left as it is`;
  const { defaultModelFiles } = await import('../../../steps/detect/default-model.js');
  const files = await defaultModelFiles();
  const put = [];
  for (const f of files) {
    const source = f.file ?? f.data;
    if (source === undefined) throw new Error(`default model file ${f.path} has neither a file nor data`);
    put.push({ path: f.path, ...(await store.addObject(source, { batch: true })) });
  }
  const commit = await store.commit(REPOS.models, 'master', { put }, { description: 'default detector (vigil init)' });
  return `${REPOS.models}: default detector committed (${put.length} files, commit ${commit.id})`;
}

/**
 * Creates the input repos, commits the default detector into an empty `models`, and creates
 * or updates every pipeline in `pipelinesDir` in dependency order. Safe to run again.
 */
export async function initStore(store: Store, pipelinesDir: string | undefined, log: (line: string) => void): Promise<void> {
  const { readPipelineFolder } = await import('../../engine/pps/spec.js');
  const { dependencyOrder, listPipelines, putPipeline } = await import('../../engine/pps/pipelines.js');
  // Every spec is read and checked before anything is created.
  const specs = await readPipelineFolder(resolve(pipelinesDir ?? join(packageRoot(), 'pipelines')));
  const ordered = dependencyOrder(specs);

  const repos = new Set((await store.listRepos()).map((r) => r.name));
  for (const repo of INPUT_REPOS) {
    if (repos.has(repo.name)) continue;
    await store.createRepo(repo.name, { description: repo.description });
    log(`repo ${repo.name}: created`);
  }
  log(await commitDefaultModel(store));
  const existing = new Set((await listPipelines(store)).map((p) => p.name));
  for (const spec of ordered) {
    const { action, record } = await putPipeline(store, spec, { update: existing.has(spec.name) });
    log(`pipeline ${spec.name}: ${action}${action === 'unchanged' ? '' : ` (version ${record.version})`}`);
  }
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'init',
    describe: 'create the input repos (raw, rules, models, eval), the default detector and every pipeline in pipelines/; safe to run again',
    builder: (y) =>
      withRoot(y).option('pipelines', { type: 'string', describe: "folder of pipeline specs (default: this package's pipelines/)" }),
    handler: async (args) => {
      await initStore(await openOrCreateStore(args), args.pipelines, (line) => process.stdout.write(`${line}\n`));
    },
  }),
];
