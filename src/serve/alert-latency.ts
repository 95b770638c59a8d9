/**
 * Frame-to-alert latency: after each run of the urgent pipelines, the alert records its job
 * wrote or changed are read, and every delivery sent in that job whose first frame this server
 * acknowledged is measured from the frame's acknowledgement to the delivery's last attempt.
 */
import { readFile } from 'node:fs/promises';
import { assertValid } from '../../specs/index.js';
import { incidentOfRecordPath } from '../contract/incident-id.js';
import { parseValidFramePath, REPOS } from '../contract/repos.js';
import type { PipelineOutcome } from '../engine/pps/job-runner.js';
import type { Store } from '../engine/store/store.js';

export class AlertLatency {
  /** `<incident>/<target>` already measured: a grown incident repeats its deliveries. */
  private readonly measured = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly acknowledgedAt: (source: string, ts: string) => number | undefined,
    private readonly observe: (seconds: number) => void,
  ) {}

  async afterRun(outcomes: PipelineOutcome[]): Promise<void> {
    const job = outcomes.find((o) => o.pipeline === REPOS.alerts)?.job;
    if (job?.state !== 'JOB_SUCCESS' || !job.outputCommit) return;
    const commit = await this.store.resolveCommit(REPOS.alerts, job.outputCommit.id);
    // The commit's changes from a diff of the two trees: the cost of what changed, not of the repo.
    const before = await this.store.tree(REPOS.alerts, commit.parent);
    const after = await this.store.tree(REPOS.alerts, commit.id);
    const changed = [...after.changesSince(before)].flatMap((c) => (c.after && incidentOfRecordPath(c.path) !== null ? [c.after] : []));
    const jobStarted = Date.parse(job.started);
    for (const file of changed) {
      const where = `${REPOS.alerts}@${commit.id}:${file.path}`;
      const alert = assertValid('alert', JSON.parse(await readFile(this.store.objectPath(file.sha256), 'utf8')), where);
      const frame = parseValidFramePath(alert.first.frame.path);
      if ('error' in frame) continue;
      const acknowledged = this.acknowledgedAt(frame.source, frame.ts);
      if (acknowledged === undefined) continue;
      for (const delivery of alert.deliveries) {
        const key = `${alert.id}/${delivery.target}`;
        const sent = delivery.lastAttemptAt ? Date.parse(delivery.lastAttemptAt) : Number.NaN;
        if (delivery.status !== 'sent' || !(sent >= jobStarted) || this.measured.has(key)) continue;
        this.measured.add(key);
        this.observe((sent - acknowledged) / 1000);
      }
    }
    if (this.measured.size > 100_000) this.measured.clear();
  }
}
