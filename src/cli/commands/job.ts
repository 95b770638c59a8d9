import { VigilError } from '../../pfs/errors.js';
import type { JobRecord } from '../../engine/pps/job-records.js';
import type { Store } from '../../engine/store/store.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { printRaw, printTable, shortCell, withRawOutput } from '../output.js';

/** `PIPELINE@JOB` (JOB a job id or a unique prefix of one); without `@JOB`, the pipeline's latest job. */
async function resolveJob(store: Store, arg: string): Promise<JobRecord> {
  const { inspectPipeline } = await import('../../engine/pps/pipelines.js');
  const { inspectJob, listJobs } = await import('../../engine/pps/job-records.js');
  const [pipeline, id] = arg.split('@', 2) as [string, string | undefined];
  await inspectPipeline(store, pipeline);
  if (id) return inspectJob(store.root, pipeline, id);
  const job = (await listJobs(store.root, [pipeline]))[0];
  if (!job) throw new VigilError(`pipeline ${pipeline} has no jobs yet (run \`vigil run\`)`);
  return job;
}

function duration(job: JobRecord): string {
  if (!job.finished) return '-';
  const ms = Date.parse(job.finished) - Date.parse(job.started);
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** pachctl's progress column: processed + skipped / total, then failures. */
function progress(job: JobRecord): string {
  const extra = [
    job.dataFailed ? `${job.dataFailed} failed` : '',
    job.dataRecovered ? `${job.dataRecovered} recovered` : '',
    job.dataExpired ? `${job.dataExpired} expired` : '',
  ].filter(Boolean);
  return `${job.dataProcessed} + ${job.dataSkipped} / ${job.dataTotal}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'list',
    noun: 'job',
    describe: 'list jobs, newest first',
    builder: (y) =>
      withRawOutput(withRoot(y)).option('pipeline', { alias: 'p', type: 'string', describe: 'only the jobs of this pipeline' }),
    handler: async (args) => {
      const store = await openStore(args);
      const { inspectPipeline, listPipelines } = await import('../../engine/pps/pipelines.js');
      const { jobInfoJson, listJobs } = await import('../../engine/pps/job-records.js');
      const pipelines = args.pipeline
        ? [(await inspectPipeline(store, args.pipeline)).name]
        : (await listPipelines(store)).map((p) => p.name);
      const jobs = await listJobs(store.root, pipelines);
      if (args.raw) return printRaw(jobs.map(jobInfoJson), args.output);
      printTable(
        ['PIPELINE', 'ID', 'STARTED', 'DURATION', 'PROGRESS', 'STATE', 'REASON'],
        jobs.map((j) => [j.pipeline, j.id, j.started, duration(j), progress(j), j.state, shortCell(j.reason ?? '')]),
      );
    },
  }),
  defineCommand({
    verb: 'inspect',
    noun: 'job',
    positionals: '<job>',
    describe: 'show one job: PIPELINE@JOB_ID (--raw: JobInfo)',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const store = await openStore(args);
      const { jobInfoJson } = await import('../../engine/pps/job-records.js');
      const job = await resolveJob(store, args.job);
      if (args.raw) return printRaw([jobInfoJson(job)], args.output);
      const lines = [
        `ID: ${job.id}`,
        `Pipeline: ${job.pipeline} (version ${job.pipelineVersion})`,
        `State: ${job.state}`,
        ...(job.reason ? [`Reason: ${job.reason}`] : []),
        `Started: ${job.started}`,
        `Duration: ${duration(job)}`,
        `Datums: ${job.dataProcessed} processed, ${job.dataSkipped} skipped, ${job.dataFailed} failed, ${job.dataRecovered} recovered, ${job.dataTotal} total`,
        ...(job.dataExpired ? [`Expired: ${job.dataExpired} skipped datums kept their earlier outputs: their input frames expired`] : []),
        `Input: ${job.inputCommits.map((c) => `${c.repo}@${c.id}`).join(', ')}`,
        `Output commit: ${job.outputCommit ? `${job.outputCommit.repo}@${job.outputCommit.id}` : '-'}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  }),
  defineCommand({
    verb: 'list',
    noun: 'datum',
    positionals: '<job>',
    describe: 'list the datums of a job: PIPELINE@JOB_ID, or PIPELINE for its latest job (--raw: DatumInfo)',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const store = await openStore(args);
      const { datumInfoJson, matchPath, readDatums } = await import('../../engine/pps/job-records.js');
      const job = await resolveJob(store, args.job);
      const datums = await readDatums(store, job);
      if (args.raw)
        return printRaw(
          datums.map((d) => datumInfoJson(job, d)),
          args.output,
        );
      printTable(
        ['ID', 'STATE', 'DATA', 'REASON'],
        datums.map((d) => {
          const data = d.inputs.map((i) => `${i.repo}@${i.commit.slice(0, 8)}:${matchPath(i)}`);
          return [
            d.id,
            d.state,
            data.length > 3 ? `${data.slice(0, 3).join(', ')} (+${data.length - 3})` : data.join(', '),
            shortCell(d.reason ?? ''),
          ];
        }),
      );
    },
  }),
];
