import { VigilError } from '../../pfs/errors.js';
import type { Store } from '../../engine/store/store.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openOrCreateStore, openStore } from '../open-store.js';
import { formatBytes, printRaw, printTable, withRawOutput } from '../output.js';

/** Who reads `repo` among the pipelines, and whether one writes it (a pipeline's output repo takes its name). */
async function pipelineUse(store: Store, repo: string): Promise<{ readers: string[]; producer: boolean }> {
  const { listPipelines, pipelinesReading } = await import('../../engine/pps/pipelines.js');
  const readers = await pipelinesReading(store, repo);
  const producer = (await listPipelines(store)).some((p) => p.name === repo);
  return { readers, producer };
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'create',
    noun: 'repo',
    positionals: '<name>',
    describe: 'create a repo',
    builder: (y) => withRoot(y).option('description', { alias: 'd', type: 'string', describe: 'what the repo holds' }),
    handler: async (args) => {
      const store = await openOrCreateStore(args);
      await store.createRepo(args.name, { description: args.description });
    },
  }),
  defineCommand({
    verb: 'list',
    noun: 'repo',
    describe: 'list repos',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const store = await openStore(args);
      const repos = await store.listRepos();
      if (args.raw) {
        const { repoInfoJson } = await import('../../engine/store/pfs-json.js');
        return printRaw(repos.map(repoInfoJson), args.output);
      }
      printTable(
        ['NAME', 'CREATED', 'SIZE (MASTER)', 'DESCRIPTION'],
        repos.map((r) => [r.name, r.created, formatBytes(r.sizeBytes), r.description ?? '']),
      );
    },
  }),
  defineCommand({
    verb: 'inspect',
    noun: 'repo',
    positionals: '<name>',
    describe: 'show one repo',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const store = await openStore(args);
      const repo = await store.inspectRepo(args.name);
      if (args.raw) {
        const { repoInfoJson } = await import('../../engine/store/pfs-json.js');
        return printRaw([repoInfoJson(repo)], args.output);
      }
      process.stdout.write(
        `Name: ${repo.name}\nDescription: ${repo.description ?? ''}\nCreated: ${repo.created}\n` +
          `Size of HEAD on master: ${formatBytes(repo.sizeBytes)}\nBranches: ${repo.branches.join(', ')}\n`,
      );
    },
  }),
  defineCommand({
    verb: 'delete',
    noun: 'repo',
    positionals: '<name>',
    describe: 'delete a repo and all its commits (refused while a pipeline reads or writes it)',
    builder: (y) => withRoot(y),
    handler: async (args) => {
      const { name } = args;
      const store = await openStore(args);
      await store.inspectRepo(name);
      const { readers, producer } = await pipelineUse(store, name);
      if (readers.length) {
        throw new VigilError(
          `repo "${name}" is an input of pipeline${readers.length > 1 ? 's' : ''} ${readers.join(', ')}; ` +
            `delete ${readers.length > 1 ? 'them' : 'it'} first (vigil delete pipeline NAME)`,
        );
      }
      if (producer) {
        throw new VigilError(
          `repo "${name}" is the output of pipeline ${name}; delete the pipeline instead (vigil delete pipeline ${name})`,
        );
      }
      await store.deleteRepo(name);
    },
  }),
];
