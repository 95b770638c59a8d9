import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Store } from '../../engine/store.js';
import { VigilError } from '../../errors.js';
import { packageRoot } from '../../pfs/package-root.js';
import { withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';

/** The input repos of the architecture, created by `vigil init`. */
const INPUT_REPOS = [
  { name: 'raw', description: 'camera frames: /<user>-<device>/<ts>.<jpg|jpeg|png|webp>' },
  { name: 'rules', description: 'policies as data: /rules.yaml, /subscriptions.yaml' },
  { name: 'models', description: 'detector weights: /<model-name>/model.json, *.bin, labels.json' },
];

interface ModelFile {
  path: string;
  file?: string;
  data?: Uint8Array;
}

/**
 * The default detector from the detect step (the CLI is where engine and steps meet). Null,
 * with the reason, when this build has no such module.
 */
async function defaultModelFiles(): Promise<{ files: ModelFile[] } | { missing: string }> {
  const module = join(packageRoot(), 'dist', 'steps', 'detect', 'default-model.js');
  let loaded: { defaultModelFiles?: () => Promise<ModelFile[]> };
  try {
    loaded = (await import(pathToFileURL(module).href)) as typeof loaded;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('default-model')) {
      return { missing: 'steps/detect/default-model.ts is not in this build' };
    }
    throw e;
  }
  if (typeof loaded.defaultModelFiles !== 'function') return { missing: 'steps/detect/default-model.ts exports no defaultModelFiles()' };
  return { files: await loaded.defaultModelFiles() };
}

async function commitDefaultModel(store: Store): Promise<string> {
  if (await store.headCommit('models')) return 'models: has commits; left as it is';
  const model = await defaultModelFiles();
  if ('missing' in model) return `models: no default detector committed (${model.missing}); put one with \`vigil put file models@master:/<model>/ -r -f DIR\``;
  const put = [];
  for (const f of model.files) {
    const source = f.file ?? f.data;
    if (source === undefined) throw new Error(`default model file ${f.path} has neither a file nor data`);
    put.push({ path: f.path, ...(await store.addObject(source, { batch: true })) });
  }
  const commit = await store.commit('models', 'master', { put }, { description: 'default detector (vigil init)' });
  return `models: default detector committed (${put.length} files, commit ${commit.id})`;
}

export const commands: CliCommand[] = [
  {
    verb: 'init',
    describe: 'create the input repos (raw, rules, models), the default detector and every pipeline in pipelines/; safe to run again',
    builder: (y) =>
      withRoot(y).option('pipelines', { type: 'string', describe: "folder of pipeline specs (default: this package's pipelines/)" }),
    handler: async (args) => {
      const store = await openStore(args);
      const { readPipelineSpecs } = await import('../../engine/spec.js');
      const { dependencyOrder, listPipelines, putPipeline } = await import('../../engine/pipelines.js');
      const dir = resolve((args.pipelines as string | undefined) ?? join(packageRoot(), 'pipelines'));
      // Every spec is read and checked before anything is created.
      let files: string[];
      try {
        files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
      } catch (e) {
        throw new VigilError(`cannot read the pipelines folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      const specs = (await Promise.all(files.map((f) => readPipelineSpecs(join(dir, f))))).flat();
      const seen = new Set<string>();
      for (const spec of specs) {
        if (seen.has(spec.name)) throw new VigilError(`pipeline "${spec.name}" is defined twice in ${dir}`);
        seen.add(spec.name);
      }
      const ordered = dependencyOrder(specs);

      const repos = new Set((await store.listRepos()).map((r) => r.name));
      for (const repo of INPUT_REPOS) {
        if (repos.has(repo.name)) continue;
        await store.createRepo(repo.name, { description: repo.description });
        process.stdout.write(`repo ${repo.name}: created\n`);
      }
      process.stdout.write((await commitDefaultModel(store)) + '\n');
      const existing = new Set((await listPipelines(store)).map((p) => p.name));
      for (const spec of ordered) {
        const { action, record } = await putPipeline(store, spec, { update: existing.has(spec.name) });
        process.stdout.write(`pipeline ${spec.name}: ${action}${action === 'unchanged' ? '' : ` (version ${record.version})`}\n`);
      }
    },
  },
];
