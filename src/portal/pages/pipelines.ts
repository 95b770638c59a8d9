/** The pipelines: each one's last jobs, the one running and its progress, the last failure and why, and the lag from a frame's arrival. */
import type { JobRecord } from '../../engine/pps/job-records.js';
import { html, type Html } from '../../render/html.js';
import type { PipelineStatus } from '../pipelines.js';
import { card, duration, page, table, utc, type PageContext } from './layout.js';

function took(job: JobRecord): string {
  return job.finished ? duration(Date.parse(job.finished) - Date.parse(job.started)) : '…';
}

function stateText(job: JobRecord): Html {
  const ok = job.state === 'JOB_SUCCESS';
  return html`<span class="${ok ? 'ok' : job.state === 'JOB_RUNNING' ? '' : 'bad'}">${job.state.replace('JOB_', '').toLowerCase()}</span>`;
}

function pipelineCard(p: PipelineStatus, now: number): Html {
  const running = p.running
    ? (() => {
        const { job, toProcess } = p.running;
        const done = job.dataProcessed + job.dataFailed + job.dataRecovered;
        return html`<p><strong>running</strong> job <span class="mono">${job.id}</span> since ${utc(Date.parse(job.started))}:
${done} of ${toProcess} datums done (${toProcess ? Math.round((100 * done) / toProcess) : 100}%), ${job.dataSkipped} skipped, ${job.dataFailed} failed · ${duration(now - Date.parse(job.started))} so far</p>`;
      })()
    : html`<p class="sub">idle</p>`;
  const lag = p.lag
    ? html`<p>lag from a frame's arrival: <strong>${duration(p.lag.ms)}</strong> (raw@<span class="mono">${p.lag.raw.slice(0, 12)}</span> to the end of job <span class="mono">${p.lag.job.id.slice(0, 12)}</span>, ${utc(Date.parse(p.lag.job.finished ?? ''))})</p>`
    : '';
  const failure = p.lastFailure
    ? html`<p class="bad">last failure: job <span class="mono">${p.lastFailure.job.id}</span> at ${utc(Date.parse(p.lastFailure.job.started))}: ${p.lastFailure.job.reason ?? ''}</p>
${
  p.lastFailure.datums.length
    ? table(
        ['datum', 'input', 'reason'],
        p.lastFailure.datums.map((d) => [
          html`<span class="mono">${d.id.slice(0, 12)}</span>`,
          html`<span class="mono">${d.inputs.join(' ')}</span>`,
          d.reason,
        ]),
      )
    : ''
}`
    : '';
  const jobs = table(
    ['job', 'state', 'started', 'took', 'processed', 'skipped', 'failed', 'datums', 'reason'],
    p.jobs.map((j) => [
      html`<span class="mono">${j.id.slice(0, 12)}</span>`,
      stateText(j),
      utc(Date.parse(j.started)),
      took(j),
      j.dataProcessed,
      j.dataSkipped,
      j.dataFailed,
      j.dataTotal,
      j.reason ?? '',
    ]),
    [false, false, false, false, true, true, true, true, false],
  );
  return card(
    p.name,
    html`${p.description ? html`<p class="sub">${p.description}</p>` : ''}${running}${lag}${failure}${p.jobs.length ? jobs : html`<p class="empty">no job yet</p>`}`,
  );
}

export function pipelinesPage(ctx: PageContext, pipelines: PipelineStatus[], now: number): string {
  const last = pipelines.filter((p) => p.lag).at(-1);
  const body = html`<h1>Pipelines</h1>
<p class="sub">upstream first · ${
    last?.lag
      ? html`a frame's arrival to its last stage (${last.name}): <strong>${duration(last.lag.ms)}</strong>`
      : 'no frame has gone through yet'
  }</p>
${pipelines.map((p) => pipelineCard(p, now))}
${pipelines.length === 0 ? card('No pipeline', html``, 'Create them with vigil init.') : ''}`;
  return page(ctx, 'Pipelines', body, { live: true });
}
