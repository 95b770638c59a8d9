import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { AlertTargets } from '../../../specs/index.js';
import { REPOS } from '../../contract/repos.js';
import { OPERATOR_SECRETS } from '../../contract/secret-names.js';
import type { PipelineSpec, SecretMount } from '../../engine/pps/spec.js';
import { VigilError } from '../../pfs/errors.js';
import { packageRoot } from '../../pfs/package-root.js';
import { defineCommand, type CliCommand } from '../command.js';

/** The Kubernetes secrets a spec's `transform.secrets` use (as files or as variables). */
function secretMounts(spec: PipelineSpec): SecretMount[] {
  return spec.transform.secrets;
}

/** The PersistentVolumeClaims a spec's `podPatch` (a JSON patch of the worker pod, as a string) mounts. */
function claimNames(spec: PipelineSpec): string[] {
  const patch = spec.request.podPatch;
  if (typeof patch !== 'string' || patch === '') return [];
  let ops: Array<{ value?: { persistentVolumeClaim?: { claimName?: string } } }>;
  try {
    ops = JSON.parse(patch);
  } catch (e) {
    throw new VigilError(`pipeline ${spec.name}: podPatch is not JSON: ${(e as Error).message}`);
  }
  return ops.flatMap((op) => (op.value?.persistentVolumeClaim?.claimName ? [op.value.persistentVolumeClaim.claimName] : []));
}

async function isFolder(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

/** A folder the printed commands read, which must exist now (a command naming a missing folder would fail half-way). */
async function existingFolder(dir: string, what: string, option: string): Promise<string> {
  if (!(await isFolder(dir))) throw new VigilError(`${option} ${dir}: no such folder (${what})`);
  return dir;
}

/**
 * The keys of a secret the alert steps mount as files: the operator's (an unset one becomes an
 * empty file, which the steps read as unset) and every customer secret the subscriptions name.
 */
async function alertSecretKeys(rulesDir: string): Promise<string[]> {
  const { expandTargets } = await import('../../../steps/alert/targets.js');
  const file = join(rulesDir, 'subscriptions.yaml');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new VigilError(`${file}: cannot read it (the customers whose secrets the alert steps need)`);
  });
  const { parse } = await import('yaml');
  const subscriptions = parse(text) as { users?: Array<{ id: string; alerts?: AlertTargets }> } | null;
  const keys = new Set<string>(OPERATOR_SECRETS);
  for (const user of subscriptions?.users ?? []) {
    for (const target of expandTargets(user.id, user.alerts ?? {})) {
      if (target.channel === 'pagerduty') keys.add(target.routingKeyEnv);
      if (target.channel === 'webhook') keys.add(target.secretEnv);
    }
  }
  return [...keys];
}

/**
 * The shell commands that write `<name>.secret.json` from the operator's environment (each key
 * from the variable of its name: the values never appear here) and hand it to Pachyderm.
 */
async function secretCommands(name: string, mounts: SecretMount[], rulesDir: string): Promise<string[]> {
  const keys = new Set<string>();
  for (const m of mounts) {
    if (m.mountPath) for (const key of await alertSecretKeys(rulesDir)) keys.add(key);
    if (m.key) keys.add(m.key);
  }
  const literals = [...keys].map((k) => `--from-literal=${k}="$${k}"`).join(' ');
  return [
    `kubectl create secret generic ${name} ${literals} --dry-run=client -o json > ${name}.secret.json`,
    `pachctl create secret -f ${name}.secret.json`,
  ];
}

export interface DeployOptions {
  pipelinesDir: string;
  modelDir: string;
  rulesDir: string;
  evalDir: string;
  /** Pachyderm's Kubernetes namespace, where the worker pods and their claims live. */
  namespace: string;
}

/**
 * `vigil deploy --print`: every command a person runs, in order, to put Vigil on an empty
 * Pachyderm cluster, derived from the same pipeline specs the embedded engine runs: build and
 * push the image the specs name, create the volume claims their podPatch mounts (the files of
 * `deploy/`), the input repos (the repos the specs read that no spec produces) and their data,
 * write each secret the specs mount from the operator's environment and create it, then the
 * pipelines, upstream first.
 */
export async function deployCommands(opts: DeployOptions): Promise<string[]> {
  const { readPipelineFolder, inputBranches, pfsInputs } = await import('../../engine/pps/spec.js');
  const { dependencyOrder } = await import('../../engine/pps/pipelines.js');
  const { pipelinesDir, modelDir, rulesDir, evalDir, namespace } = opts;
  const specs = await readPipelineFolder(pipelinesDir);
  if (specs.length === 0) throw new VigilError(`no pipeline spec in ${pipelinesDir}`);
  // Pachyderm makes each cron input's repo with its pipeline.
  const produced = new Set(specs.flatMap((s) => [s.name, ...pfsInputs(s.input).flatMap((p) => (p.cron ? [p.repo] : []))]));
  const inputRepos = [...new Set(specs.flatMap((s) => inputBranches(s.input).map((b) => b.repo)))].filter((r) => !produced.has(r)).sort();
  const images = [...new Set(specs.flatMap((s) => (s.transform.image ? [s.transform.image] : [])))].sort();
  const claims = [...new Set(specs.flatMap(claimNames))].sort();
  const secrets = new Map<string, SecretMount[]>();
  for (const mount of specs.flatMap(secretMounts)) secrets.set(mount.name, [...(secrets.get(mount.name) ?? []), mount]);
  const shown = (p: string) => relative(process.cwd(), p) || '.';
  const claimFiles = await Promise.all(
    claims.map(async (claim) => {
      const file = join(packageRoot(), 'deploy', `${claim}.pvc.yaml`);
      await stat(file).catch(() => {
        throw new VigilError(`a pipeline mounts the claim ${claim}, but ${shown(file)} is missing`);
      });
      return `kubectl apply --namespace ${namespace} -f ${shown(file)}`;
    }),
  );
  const secretLines: string[] = [];
  for (const [name, mounts] of [...secrets].sort(([a], [b]) => (a < b ? -1 : 1)))
    secretLines.push(...(await secretCommands(name, mounts, rulesDir)));
  return [
    ...images.flatMap((image) => [`docker build -t ${image} ${shown(packageRoot())}`, `docker push ${image}`]),
    ...claimFiles,
    ...inputRepos.map((repo) => `pachctl create repo ${repo}`),
    ...(inputRepos.includes(REPOS.models)
      ? [
          ...((await isFolder(modelDir)) ? [] : [`vigil deploy --export-model --model-dir ${shown(modelDir)}`]),
          `pachctl put file -r ${REPOS.models}@master:/ -f ${shown(modelDir)}`,
        ]
      : []),
    ...(inputRepos.includes(REPOS.rules)
      ? [
          `pachctl put file -r ${REPOS.rules}@master:/ -f ${shown(await existingFolder(rulesDir, 'rules.yaml and subscriptions.yaml', '--rules-dir'))}`,
        ]
      : []),
    ...(inputRepos.includes(REPOS.eval)
      ? [
          ...((await isFolder(evalDir)) ? [] : [`vigil deploy --export-eval --eval-dir ${shown(evalDir)}`]),
          `pachctl put file -r ${REPOS.eval}@master:/ -f ${shown(evalDir)}`,
        ]
      : []),
    ...secretLines,
    ...dependencyOrder(specs).map((s) => `pachctl create pipeline -f ${shown(join(pipelinesDir, s.file))}`),
  ];
}

/** Writes `files` (each a path under `dir`, and a source file or bytes) under `dir`; returns how many. */
async function writeFiles(dir: string, files: Array<{ path: string; source?: string; data?: Uint8Array }>): Promise<number> {
  for (const f of files) {
    const target = join(dir, f.path);
    await mkdir(dirname(target), { recursive: true });
    await (f.source ? copyFile(f.source, target) : writeFile(target, f.data!));
  }
  return files.length;
}

/** The default detector's files (what `vigil init` puts into `models`). */
async function defaultModel(): Promise<Array<{ path: string; source?: string; data?: Uint8Array }>> {
  const { defaultModelFiles } = await import('../../../steps/detect/default-model.js');
  return (await defaultModelFiles()).map((f) => ({ path: f.path, ...(f.file ? { source: f.file } : { data: f.data! }) }));
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'deploy',
    describe: 'put Vigil on a Pachyderm cluster: print the pachctl commands, export the default model',
    builder: (y) =>
      y
        .option('print', { type: 'boolean', describe: 'print every command that puts Vigil on an empty cluster, in order' })
        .option('pipelines', { type: 'string', describe: "folder of pipeline specs (default: the package's pipelines/)" })
        .option('model-dir', {
          type: 'string',
          default: 'vigil-models',
          describe: 'your models (a folder per model), for the printed put file; --export-model writes the default detector there',
        })
        .option('rules-dir', {
          type: 'string',
          default: join(packageRoot(), 'demo', 'rules'),
          describe: "your rules.yaml and subscriptions.yaml, for the printed put file and the secret's keys (default: the demo's)",
        })
        .option('eval-dir', {
          type: 'string',
          default: 'vigil-eval',
          describe: 'your labelled evaluation set (annotations.json and images/), for the printed put file; --export-eval writes one there',
        })
        .option('namespace', { type: 'string', default: 'default', describe: "Pachyderm's Kubernetes namespace, for the volume claims" })
        .option('export-model', { type: 'boolean', describe: 'write the default detector into --model-dir' })
        .option('export-eval', {
          type: 'boolean',
          describe: "write the fixtures' labelled set (COCO annotations.json, images/) into --eval-dir",
        })
        .check((a) => {
          if (!a.print && !a.exportModel && !a.exportEval)
            throw new VigilError('deploy: say --print, --export-model, --export-eval, or several');
          return true;
        }),
    handler: async (args) => {
      const { modelDir } = args;
      if (args.exportModel) {
        const n = await writeFiles(modelDir, await defaultModel());
        process.stderr.write(`wrote the default model (${n} files) to ${modelDir}/\n`);
      }
      if (args.exportEval) {
        const { demoEvalSet } = await import('./demo.js');
        const n = await writeFiles(args.evalDir, await demoEvalSet());
        process.stderr.write(`wrote the labelled set (${n} files) to ${args.evalDir}/\n`);
      }
      if (args.print) {
        const pipelinesDir = args.pipelines ?? join(packageRoot(), 'pipelines');
        const lines = await deployCommands({
          pipelinesDir,
          modelDir,
          rulesDir: args.rulesDir,
          evalDir: args.evalDir,
          namespace: args.namespace,
        });
        process.stdout.write(`${lines.join('\n')}\n`);
      }
    },
  }),
];
