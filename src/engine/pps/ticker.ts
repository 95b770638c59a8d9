/**
 * Cron inputs' ticks, as Pachyderm's pipeline monitor makes them (pps/server/monitor.go,
 * makeCronCommits and cronTick): each cron input reads its own repo, `<pipeline>_<name>`, made
 * with the pipeline; a tick is a commit to its master holding one empty file named by the
 * tick's time (RFC 3339, `/2026-11-26T04:15:00Z`), alone when the input says `overwrite`. The
 * next tick follows the latest file's time (else the input's `start`, else the pipeline's
 * creation) on the schedule. A cluster's monitor waits for each tick; the embedded engine ticks
 * when it runs: `vigil run` (and `vigil serve`) commit the tick that is due, if any, before the
 * pipelines run. Ticks missed while nothing ran are not made up one by one: the latest due one
 * stands for them, since a job reads only its input's head.
 */
import type { Store } from '../store/store.js';
import { parseCronSpec } from './cron.js';
import { pfsInputs } from './inputs.js';
import type { PipelineRecord } from './pipelines.js';
import type { PfsInput, PipelineSpec } from './spec.js';

/** A cron input, as the spec normalises it: a pfs input on its tick repo, with its schedule. */
export type CronPfsInput = PfsInput & { cron: NonNullable<PfsInput['cron']> };

/** The cron inputs of a spec. */
export function cronInputs(spec: PipelineSpec): CronPfsInput[] {
  return pfsInputs(spec.input).filter((p): p is CronPfsInput => p.cron !== undefined);
}

/** Creates the cron repos a spec reads that do not exist yet (Pachyderm does so in CreatePipeline). */
export async function createCronRepos(store: Store, spec: PipelineSpec): Promise<void> {
  const repos = new Set((await store.listRepos()).map((r) => r.name));
  for (const input of cronInputs(spec)) {
    if (!repos.has(input.repo)) await store.createRepo(input.repo, { description: `Cron tick repo for pipeline ${spec.name}.` });
  }
}

/** The RFC 3339 name of a tick, as Go's time.RFC3339 writes a UTC time. */
export function tickName(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The tick a run should commit at `now`, or null: the latest scheduled time after the last tick that is not after `now`. */
export function dueTick(spec: string, latest: Date, now: Date): Date | null {
  const schedule = parseCronSpec(spec, 'cron spec');
  let due: Date | null = null;
  // Bounded: an @every 1s schedule a month behind would otherwise take millions of steps.
  for (let next = schedule.next(latest), steps = 0; next && next <= now && steps < 100_000; next = schedule.next(next), steps++) due = next;
  return due;
}

export interface Tick {
  pipeline: string;
  repo: string;
  tick: string;
}

/** The tick each cron input of `records` is due now (or, for the pipelines in `force`, at `now` whatever the schedule says). */
export async function dueTicks(
  store: Store,
  records: PipelineRecord[],
  now: Date,
  force: ReadonlySet<string> = new Set(),
): Promise<Array<{ record: PipelineRecord; input: CronPfsInput; at: Date }>> {
  const due: Array<{ record: PipelineRecord; input: CronPfsInput; at: Date }> = [];
  for (const record of records) {
    for (const input of cronInputs(record.spec)) {
      const head = await store.headCommit(input.repo, 'master');
      const files = head ? await store.listFiles(input.repo, head.id) : [];
      const last = files
        .map((f) => Date.parse(f.path.slice(1)))
        .filter((t) => !Number.isNaN(t))
        .sort((a, b) => a - b)
        .at(-1);
      const start = Date.parse(input.cron.start ?? record.created);
      const latest = new Date(Math.max(last ?? start, start));
      const at = force.has(record.name) ? now : dueTick(input.cron.spec, latest, now);
      if (at && (last === undefined || at.getTime() > last)) due.push({ record, input, at });
    }
  }
  return due;
}

/**
 * Commits the due tick of every cron input of `records` (or, for the pipelines in `force`, a
 * tick at `now` whatever the schedule says, as `pachctl run cron` does); returns the ticks made.
 */
export async function tickCronInputs(
  store: Store,
  records: PipelineRecord[],
  now: Date,
  force: ReadonlySet<string> = new Set(),
): Promise<Tick[]> {
  const ticks: Tick[] = [];
  for (const { record, input, at } of await dueTicks(store, records, now, force)) {
    const empty = await store.addObject(Buffer.alloc(0));
    const file = { path: `/${tickName(at)}`, ...empty };
    await store.commit(input.repo, 'master', input.cron.overwrite ? { put: [file], replace: true } : { put: [file] }, {
      description: `cron tick ${tickName(at)} for pipeline ${record.name}`,
    });
    ticks.push({ pipeline: record.name, repo: input.repo, tick: tickName(at) });
  }
  return ticks;
}
