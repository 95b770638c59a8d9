import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { REPOS } from '../../contract/repos.js';
import type { PipelineSpec } from '../../engine/pps/spec.js';
import { VigilError } from '../../pfs/errors.js';
import { packageRoot } from '../../pfs/package-root.js';
import { defineCommand, type CliCommand } from '../command.js';

/** The Kubernetes secrets a spec's `transform.secrets` use (as files or as variables). */
function secretNames(spec: PipelineSpec): string[] {
  const transform = spec.request.transform as { secrets?: Array<{ name?: string | null } | null> | null } | null | undefined;
  return (transform?.secrets ?? []).flatMap((s) => (s?.name ? [s.name] : []));
}

/**
 * `vigil deploy --print`: the pachctl commands that put Vigil on a Pachyderm cluster, derived
 * from the same pipeline specs the embedded engine runs. Input repos are the repos the specs
 * read that no spec produces; secrets, the ones they mount, each from `<name>.secret.json`,
 * which the operator writes (a pipeline whose secret is missing does not start).
 */
export async function deployCommands(pipelinesDir: string, modelDir: string, rulesDir: string, evalDir: string): Promise<string[]> {
  const { readPipelineFolder, inputBranches, pfsInputs } = await import('../../engine/pps/spec.js');
  const { dependencyOrder } = await import('../../engine/pps/pipelines.js');
  const specs = await readPipelineFolder(pipelinesDir);
  if (specs.length === 0) throw new VigilError(`no pipeline spec in ${pipelinesDir}`);
  // Pachyderm makes each cron input's repo with its pipeline.
  const produced = new Set(specs.flatMap((s) => [s.name, ...pfsInputs(s.input).flatMap((p) => (p.cron ? [p.repo] : []))]));
  const inputRepos = [...new Set(specs.flatMap((s) => inputBranches(s.input).map((b) => b.repo)))].filter((r) => !produced.has(r)).sort();
  const secrets = [...new Set(specs.flatMap(secretNames))].sort();
  const shown = (p: string) => relative(process.cwd(), p) || '.';
  return [
    ...inputRepos.map((repo) => `pachctl create repo ${repo}`),
    ...(inputRepos.includes(REPOS.models)
      ? [`vigil deploy --export-model --model-dir ${shown(modelDir)}`, `pachctl put file -r ${REPOS.models}@master:/ -f ${shown(modelDir)}`]
      : []),
    ...(inputRepos.includes(REPOS.rules) ? [`pachctl put file -r ${REPOS.rules}@master:/ -f ${shown(rulesDir)}`] : []),
    ...(inputRepos.includes(REPOS.eval) ? [`pachctl put file -r ${REPOS.eval}@master:/ -f ${shown(evalDir)}`] : []),
    ...secrets.map((name) => `pachctl create secret -f ${name}.secret.json`),
    ...dependencyOrder(specs).map((s) => `pachctl create pipeline -f ${shown(join(pipelinesDir, s.file))}`),
  ];
}

/** Writes the default detector's files (what `vigil init` puts into `models`) under `dir`. */
async function exportDefaultModel(dir: string): Promise<number> {
  const { defaultModelFiles } = await import('../../../steps/detect/default-model.js');
  const files = await defaultModelFiles();
  for (const f of files) {
    const target = join(dir, f.path);
    await mkdir(dirname(target), { recursive: true });
    await (f.file ? copyFile(f.file, target) : writeFile(target, f.data!));
  }
  return files.length;
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'deploy',
    describe: 'put Vigil on a Pachyderm cluster: print the pachctl commands, export the default model',
    builder: (y) =>
      y
        .option('print', { type: 'boolean', describe: 'print the pachctl commands, input repos first, pipelines upstream first' })
        .option('pipelines', { type: 'string', describe: "folder of pipeline specs (default: the package's pipelines/)" })
        .option('model-dir', {
          type: 'string',
          default: 'vigil-models',
          describe: 'where --export-model writes the model, and what the printed put file reads',
        })
        .option('rules-dir', {
          type: 'string',
          default: 'rules',
          describe: 'your rules.yaml and subscriptions.yaml, for the printed put file',
        })
        .option('eval-dir', {
          type: 'string',
          default: 'eval',
          describe: 'your labelled evaluation set (annotations.json and images/), for the printed put file',
        })
        .option('export-model', { type: 'boolean', describe: 'write the default detector into --model-dir' })
        .check((a) => {
          if (!a.print && !a.exportModel) throw new VigilError('deploy: say --print, --export-model, or both');
          return true;
        }),
    handler: async (args) => {
      const { modelDir } = args;
      if (args.exportModel) {
        const n = await exportDefaultModel(modelDir);
        process.stderr.write(`wrote the default model (${n} files) to ${modelDir}/\n`);
      }
      if (args.print) {
        const pipelinesDir = args.pipelines ?? join(packageRoot(), 'pipelines');
        const lines = await deployCommands(pipelinesDir, modelDir, args.rulesDir, args.evalDir);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
    },
  }),
];
