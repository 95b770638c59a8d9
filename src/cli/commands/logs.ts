import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { printRaw, withRawOutput } from '../output.js';

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'logs',
    positionals: '<pipeline>',
    describe: "what a pipeline's step printed (stdout and stderr), per datum; default: its latest job",
    builder: (y) =>
      withRawOutput(withRoot(y))
        .positional('pipeline', { type: 'string', describe: 'the pipeline' })
        .option('job', { alias: 'j', type: 'string', describe: 'this job (id or unique prefix)' })
        .option('datum', {
          alias: 'd',
          type: 'string',
          describe: "only this datum's lines; without --job, from the latest job that ran it",
        }),
    handler: async (args) => {
      const store = await openStore(args);
      const { inspectPipeline } = await import('../../engine/pps/pipelines.js');
      const { inspectJob, listJobs } = await import('../../engine/pps/job-records.js');
      const { logMessageJson, readJobLog } = await import('../../engine/pps/logs.js');
      const pipeline = (await inspectPipeline(store, args.pipeline)).name;
      const { datum } = args;
      const jobs = args.job ? [await inspectJob(store.root, pipeline, args.job)] : await listJobs(store.root, [pipeline]);
      // Newest first: without --job, the latest job (or, with --datum, the latest that logged that datum).
      for (const job of datum ? jobs : jobs.slice(0, 1)) {
        const entries = await readJobLog(store.root, pipeline, job.id, datum);
        if (entries.length === 0) continue;
        if (args.raw) printRaw(entries.map(logMessageJson), args.output);
        else process.stdout.write(entries.map((e) => `${e.message}\n`).join(''));
        return;
      }
      // Said on stderr, so that a pipe reading the lines sees none.
      const which = datum ? ` for datum ${datum}` : '';
      const where =
        jobs.length === 0 ? `: ${pipeline} has no jobs yet (vigil run)` : datum && !args.job ? ' in any job' : ` in job ${jobs[0]!.id}`;
      process.stderr.write(`vigil: no log lines${which}${where}; the step printed nothing\n`);
    },
  }),
];
