/** One incident: its frames with the objects and scores, the rule, each delivery, the marks and the checked provenance. */
import type { Delivery, FeedbackMark } from '../../../specs/index.js';
import { framePath, incidentPath } from '../../contract/portal-urls.js';
import { REPOS } from '../../contract/repos.js';
import { hashChecks, hopLines, traceVerdict } from '../../lineage/describe.js';
import type { Hop } from '../../lineage/trace.js';
import { html, type Html } from '../../render/html.js';
import { actionsFrom, type FeedbackAction } from '../core.js';
import { FRAMES_PER_PAGE, type IncidentDetail, type IncidentFrame } from '../incident-detail.js';
import type { IncidentRow } from '../queries.js';
import { snapshotUrl } from './incidents.js';
import { card, csrfField, duration, page, query, severityBadge, stateBadge, table, utc, type PageContext } from './layout.js';

const ACTION_TEXT: Record<FeedbackAction, string> = {
  acknowledge: 'Acknowledge',
  close: 'Close',
  false_positive: 'False positive',
  reopen: 'Reopen',
};

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function frameFigure(f: IncidentFrame): Html {
  if (!f.frame) return html`<figure><p class="empty">the match record ${f.match} could not be read</p></figure>`;
  const boxes = f.objects.map(
    (o) =>
      html`<div class="box" style="left:${pct(o.box.x)};top:${pct(o.box.y)};width:${pct(o.box.w)};height:${pct(o.box.h)}"><span>${o.label} ${Math.round(o.score * 100)}%</span></div>`,
  );
  const objects = f.objects.map((o) => `${o.label} ${o.score.toFixed(2)}${o.zone ? ` in ${o.zone}` : ''}`).join(', ');
  return html`<figure><div class="framebox"><a href="${framePath(f.frame.repo, f.frame.commit, f.frame.path)}"><img src="${framePath(f.frame.repo, f.frame.commit, f.frame.path)}" alt="frame ${f.capturedAt}" loading="lazy"></a>${boxes}</div>
<figcaption>${utc(Date.parse(f.capturedAt))} · local ${f.localTime}<br>${objects}</figcaption></figure>`;
}

function deliveryRow(d: Delivery): Array<string | number | Html> {
  const status =
    d.status === 'sent' ? html`<span class="ok">sent</span>` : d.status === 'failed' ? html`<span class="bad">failed</span>` : d.status;
  const answer =
    d.error ??
    (d.deliveredAs ? `delivered as ${d.deliveredAs}` : [d.response?.status, d.response?.body].filter((x) => x !== undefined).join(' '));
  return [d.channel, d.recipient, status, d.attempts, utc(Date.parse(d.lastAttemptAt ?? '')), answer];
}

/** A hop and what it was made from, as nested lists; raw and validated frames link to their files. */
function hopTree(hop: Hop): Html {
  const [head, ...lines] = hopLines(hop);
  const file = (hop.kind === 'raw' || hop.kind === 'validated') && hop.commit ? framePath(hop.repo, hop.commit, hop.path) : null;
  return html`<li><div class="hop"><span class="${hashChecks(hop) && hop.problems.length === 0 ? 'ok' : 'bad'}">${hashChecks(hop) && hop.problems.length === 0 ? '✓' : '✗'}</span>
<span class="what">${head}</span>${file ? html` <a href="${file}">open</a>` : ''}
${lines.map((l) => html`<div class="${l.startsWith('✗') || l.endsWith('✗') ? 'bad' : ''}">${l}</div>`)}</div>
${hop.next.length ? html`<ul>${hop.next.map(hopTree)}</ul>` : ''}</li>`;
}

function markRow(m: FeedbackMark): Array<string | Html> {
  return [utc(Date.parse(m.at)), m.action.replace('_', ' '), `${m.by} (${m.role})`, m.note ?? ''];
}

export function incidentPage(ctx: PageContext, row: IncidentRow, d: IncidentDetail, message: string | null): string {
  const { alert } = d;
  const snapshot = snapshotUrl(row);
  const state = d.feedback?.state ?? 'open';
  const actions = actionsFrom(state);
  const handling = html`<form method="post" action="${incidentPath(alert.id)}/feedback" class="actions">
${csrfField(ctx.csrf)}
<input type="text" name="note" maxlength="500" placeholder="note (optional)" size="32">
${actions.map((a) => html`<button type="submit" name="action" value="${a}" class="${a === 'acknowledge' ? 'plain' : ''}">${ACTION_TEXT[a]}</button>`)}
</form>
${message ? html`<p class="error">${message}</p>` : ''}
${d.feedback ? table(['when', 'mark', 'by', 'note'], d.feedback.marks.map(markRow)) : html`<p class="empty">Nobody has marked this incident yet.</p>`}`;
  const rule = alert.rule;
  const summary = table(
    ['', ''],
    [
      [
        'camera',
        `${alert.user}-${alert.device}${alert.camera?.name ? ` (${alert.camera.name}${alert.camera.site ? `, ${alert.camera.site}` : ''})` : ''}`,
      ],
      ['rule', html`${severityBadge(rule.severity)} ${rule.name} (#${rule.id}), cooldown ${duration(rule.cooldownSeconds * 1000)}`],
      ['first frame', `${utc(Date.parse(alert.first.capturedAt))} · local ${alert.first.localTime} (${alert.timezone})`],
      ['last frame', `${utc(Date.parse(alert.last.capturedAt))} · local ${alert.last.localTime}`],
      ['frames', alert.frameCount],
      ['state', html`${stateBadge(row.state)}`],
      ['what fired', alert.objects.map((o) => `${o.label} ${o.score.toFixed(2)}`).join(', ')],
      ['record', html`<span class="mono">${REPOS.alerts}@${row.commit}:${row.path}</span>`],
    ],
  );
  const total = alert.matches.length;
  const pager = html`<div class="pager">
${d.offset > 0 ? html`<a href="${incidentPath(alert.id)}${query({ frames: Math.max(0, d.offset - FRAMES_PER_PAGE) })}">← earlier frames</a>` : ''}
<span>frames ${d.offset + 1}–${d.offset + d.frames.length} of ${total}</span>
${d.offset + d.frames.length < total ? html`<a href="${incidentPath(alert.id)}${query({ frames: d.offset + FRAMES_PER_PAGE })}">later frames →</a>` : ''}
</div>`;
  const body = html`<h1>${rule.name} on ${alert.user}-${alert.device}</h1>
<p class="sub mono">${alert.id}</p>
<div class="grid">
${card('Incident', summary)}
${card('First frame', snapshot ? html`<a href="${snapshot}"><img src="${snapshot}" alt="snapshot of ${alert.id}" style="width:100%;border-radius:4px"></a>` : html`<p class="empty">No snapshot: the frame was not available to the alert step.</p>`)}
</div>
${card('Handling', handling)}
${card('Frames', html`<div class="frames">${d.frames.map(frameFigure)}</div>${pager}`)}
${card(
  'Deliveries',
  table(['channel', 'to', 'outcome', 'attempts', 'last attempt', 'answer'], alert.deliveries.map(deliveryRow), [
    false,
    false,
    false,
    true,
    false,
    false,
  ]),
  alert.deliveries.length === 0 && 'No alert target: nobody was notified.',
)}
${card('Provenance', html`<p class="sub">${traceVerdict(d.trace)} (vigil trace --verify ${REPOS.alerts}@${row.commit}:${row.path})</p><ul class="tree">${hopTree(d.trace.root)}</ul>`)}`;
  return page(ctx, alert.id, body);
}
