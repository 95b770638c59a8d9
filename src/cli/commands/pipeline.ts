import type { Argv } from 'yargs';
import type { Store } from '../../engine/store/store.js';
import type { PipelineSpec } from '../../engine/pps/spec.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { printRaw, printTable, withRawOutput } from '../output.js';

function withFile<T>(y: Argv<T>): Argv<T & { root: string | undefined; file: string }> {
  return withRoot(y).option('file', {
    alias: 'f',
    type: 'string',
    demandOption: true,
    describe: 'pipeline spec (YAML or JSON, one or several documents)',
  });
}

/** Creates (or updates) every spec of a file, upstream first; all are parsed and checked before any is stored. */
async function putSpecs(store: Store, file: string, opts: { update: boolean; reprocess?: boolean }): Promise<void> {
  const { readPipelineSpecs } = await import('../../engine/pps/spec.js');
  const { dependencyOrder, putPipeline } = await import('../../engine/pps/pipelines.js');
  const specs: PipelineSpec[] = dependencyOrder(await readPipelineSpecs(file));
  for (const spec of specs) await putPipeline(store, spec, opts);
}

/** A spec's pfs inputs in one line, as `repo@branch:glob` pairs. */
function describeInputs(inputs: { repo: string; branch: string; glob: string }[]): string {
  return inputs.map((p) => `${p.repo}@${p.branch}:${p.glob}`).join(', ');
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'create',
    noun: 'pipeline',
    describe: 'create pipelines from a spec file (its output repo takes its name); nothing runs until `vigil run`',
    builder: (y) => withFile(y),
    handler: async (args) => putSpecs(await openStore(args), args.file, { update: false }),
  }),
  defineCommand({
    verb: 'update',
    noun: 'pipeline',
    describe: "replace pipelines' specs; --reprocess processes every datum again on the next run",
    builder: (y) => withFile(y).option('reprocess', { type: 'boolean', describe: 'draw a new salt, so that no datum is skipped' }),
    handler: async (args) => putSpecs(await openStore(args), args.file, { update: true, reprocess: Boolean(args.reprocess) }),
  }),
  defineCommand({
    verb: 'list',
    noun: 'pipeline',
    describe: 'list pipelines',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const store = await openStore(args);
      const { listPipelines, pipelineInfoJson } = await import('../../engine/pps/pipelines.js');
      const { latestJobs } = await import('../../engine/pps/job-records.js');
      const { pfsInputs } = await import('../../engine/pps/inputs.js');
      const records = await listPipelines(store);
      const lastStates = await Promise.all(records.map(async (r) => (await latestJobs(store.root, r.name)).last?.state));
      if (args.raw)
        return printRaw(
          records.map((r, i) => pipelineInfoJson(r, lastStates[i])),
          args.output,
        );
      printTable(
        ['NAME', 'VERSION', 'INPUT', 'CREATED', 'LAST JOB', 'DESCRIPTION'],
        records.map((r, i) => [
          r.name,
          String(r.version),
          describeInputs(pfsInputs(r.spec.input)),
          r.created,
          lastStates[i] ?? '-',
          r.spec.description ?? '',
        ]),
      );
    },
  }),
  defineCommand({
    verb: 'inspect',
    noun: 'pipeline',
    positionals: '<name>',
    describe: 'show one pipeline (--raw: PipelineInfo with the spec as written)',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const store = await openStore(args);
      const { inspectPipeline, pipelineInfoJson } = await import('../../engine/pps/pipelines.js');
      const { latestJobs } = await import('../../engine/pps/job-records.js');
      const { pfsInputs } = await import('../../engine/pps/inputs.js');
      const record = await inspectPipeline(store, args.name);
      const { last } = await latestJobs(store.root, record.name);
      if (args.raw) return printRaw([pipelineInfoJson(record, last?.state)], args.output);
      const { spec } = record;
      const lines = [
        `Name: ${record.name}`,
        ...(spec.description ? [`Description: ${spec.description}`] : []),
        `Version: ${record.version}`,
        `Created: ${record.created}`,
        `Updated: ${record.updated}`,
        `Input: ${describeInputs(pfsInputs(spec.input))}`,
        `Transform: ${JSON.stringify(spec.transform.cmd)}${spec.transform.datumBatching ? ' (datum batching)' : ''}`,
        `Datum tries: ${spec.datumTries}`,
        `Last job: ${last ? `${last.id} ${last.state}` : '-'}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  }),
  defineCommand({
    verb: 'delete',
    noun: 'pipeline',
    positionals: '<name>',
    describe: 'delete a pipeline, its jobs and its output repo (refused while another pipeline reads it)',
    builder: (y) => withRoot(y),
    handler: async (args) => {
      const { deletePipeline } = await import('../../engine/pps/pipelines.js');
      await deletePipeline(await openStore(args), args.name);
    },
  }),
];
