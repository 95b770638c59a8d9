import type { DatumResult } from '../../engine/worker/job-context.js';
import type { JobRecord } from '../../engine/pps/job-records.js';
import type { PipelineOutcome, RunProgress } from '../../engine/pps/job-runner.js';
import type { Store } from '../../engine/store/store.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { Eta } from '../eta.js';
import { openStore } from '../open-store.js';
import { printTable } from '../output.js';
import type { RecordHeads } from '../run-report.js';
import { REPOS } from '../../contract/repos.js';

const TTY_REDRAW_MS = 100;
const PLAIN_LINE_MS = 5_000;

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : ms < 3_600_000 ? `${Math.round(ms / 1000)}s` : `${(ms / 3_600_000).toFixed(1)}h`;
}

/**
 * Progress per pipeline: on a terminal, one line redrawn (datums done/total, rate, ETA) on
 * stderr; otherwise plain lines on stdout, when each job starts and then every few seconds of
 * a long job (a log file gets no control characters). The job's summary goes to stdout.
 */
class Progress implements RunProgress {
  private toProcess = 0;
  private done = 0;
  private drawn = 0;
  private eta = new Eta(0);

  constructor(private readonly tty: boolean) {}

  idle(outcome: PipelineOutcome): void {
    process.stdout.write(`${idleLine(outcome).line}\n`);
  }

  jobStarted(job: JobRecord, toProcess: number): void {
    this.toProcess = toProcess;
    this.done = 0;
    this.drawn = Date.now();
    this.eta = new Eta(toProcess);
    if (!this.tty) process.stdout.write(`${job.pipeline}: job ${job.id}: ${toProcess} datums to process, ${job.dataSkipped} skipped\n`);
    else this.draw(job, true);
  }

  datumDone(job: JobRecord, _result: DatumResult): void {
    this.done++;
    this.eta.datumDone(Date.now());
    this.draw(job, false);
  }

  jobFinished(job: JobRecord): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(`${summary(job)}\n`);
  }

  private draw(job: JobRecord, force: boolean): void {
    const now = Date.now();
    const every = this.tty ? TTY_REDRAW_MS : PLAIN_LINE_MS;
    if (!force && (now - this.drawn < every || this.done >= this.toProcess)) return;
    this.drawn = now;
    const rate = this.eta.rate();
    const left = this.eta.remainingMs(now);
    const pace = rate === undefined ? '' : `, ${rate.toFixed(1)}/s`;
    const eta = left === undefined ? '' : ` ETA ${seconds(left)}`;
    const line = `${job.pipeline}: ${this.done}/${this.toProcess} datums, ${job.dataSkipped} skipped${pace}${eta}`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stdout.write(`${line}\n`);
  }
}

function summary(job: JobRecord): string {
  const took = job.finished ? ` in ${seconds(Date.parse(job.finished) - Date.parse(job.started))}` : '';
  const counts = `${job.dataProcessed} processed, ${job.dataSkipped} skipped, ${job.dataFailed} failed, ${job.dataRecovered} recovered`;
  const expired = job.dataExpired ? ` (${job.dataExpired} of them kept their earlier outputs: their input frames expired)` : '';
  return `${job.pipeline}: job ${job.id} ${job.state}: ${counts}${expired}${took}${job.reason ? `: ${job.reason}` : ''}`;
}

/** What a pipeline without a new job says, and whether it is healthy. */
function idleLine(outcome: PipelineOutcome): { line: string; ok: boolean } {
  const { pipeline, last } = outcome;
  if (!last) return { line: `${pipeline}: nothing to process yet (its inputs have no commits)`, ok: true };
  if (last.state === 'JOB_FAILURE') {
    return { line: `${pipeline}: 0 datums processed: inputs unchanged since job ${last.id} failed: ${last.reason}`, ok: false };
  }
  return { line: `${pipeline}: up to date, 0 datums processed (last job ${last.id} ${last.state})`, ok: true };
}

/**
 * `vigil run`'s work, shared with `vigil demo`: runs the pipelines with progress on stderr (a
 * terminal) or plain lines, and stops the steps on SIGINT/SIGTERM.
 */
export async function runWithProgress(
  store: Store,
  pipeline?: string,
  tick: readonly string[] = [],
): Promise<{ outcomes: PipelineOutcome[]; aborted: boolean }> {
  const { runPipelines } = await import('../../engine/pps/job-runner.js');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const progress = new Progress(Boolean(process.stderr.isTTY));
    const outcomes = await runPipelines(store, { pipeline, signal: abort.signal, progress, tick: new Set(tick) });
    return { outcomes, aborted: abort.signal.aborted };
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

/** The end of `vigil run`: what a model or rules change did, cameras no subscription names, the totals (src/cli/run-report.ts). */
async function printRunReport(store: Store, outcomes: readonly PipelineOutcome[], before: RecordHeads): Promise<void> {
  const { changeSummary, totalsRows, unsubscribedFrames } = await import('../run-report.js');
  for (const line of await changeSummary(store, before)) process.stdout.write(`${line}\n`);
  for (const [camera, frames] of await unsubscribedFrames(store, outcomes)) {
    process.stderr.write(
      `warning: ${frames} frame(s) from camera ${camera}, which no subscription in ${REPOS.rules}@master names: no rule can fire for them (add it to subscriptions.yaml)\n`,
    );
  }
  if (!outcomes.some((o) => o.job)) return;
  process.stdout.write('totals (datums):\n');
  printTable(['PIPELINE', 'PROCESSED', 'SKIPPED', 'FAILED'], totalsRows(outcomes));
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'run',
    positionals: '[pipeline]',
    describe: 'bring every pipeline (or one and its upstream) up to date; returns when nothing is left to do',
    builder: (y) =>
      withRoot(y)
        .positional('pipeline', { type: 'string', describe: 'only this pipeline and the ones it reads from' })
        .option('tick', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: "commit a tick to PIPELINE's cron inputs now, whatever their schedule (as `pachctl run cron PIPELINE`)",
        }),
    handler: async (args) => {
      const store = await openStore(args);
      const { recordHeads } = await import('../run-report.js');
      const before = await recordHeads(store);
      const { outcomes, aborted } = await runWithProgress(store, args.pipeline, args.tick);
      if (aborted) return 130;
      await printRunReport(store, outcomes, before);
      const ok = outcomes.every((o) => (o.job ? o.job.state === 'JOB_SUCCESS' : idleLine(o).ok));
      process.stdout.write(ok ? 'nothing left to do\n' : 'some jobs failed; see `vigil list job` and `vigil logs PIPELINE`\n');
      return ok ? 0 : 1;
    },
  }),
];
