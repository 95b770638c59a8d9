/** The cameras: last frame, their rhythm, which went silent; one camera's days: frames, threats, frames refused and why. */
import { horizontalBars, type Bar } from '../../render/charts.js';
import { COLORS } from '../../render/colors.js';
import { html } from '../../render/html.js';
import { SILENT_FLOOR_MS, SILENT_INTERVALS } from '../core.js';
import { cameraSilent, type CameraDay, type CameraRow } from '../queries.js';
import { card, duration, page, query, table, utc, type PageContext } from './layout.js';

const rule = `silent: no frame for more than max(${duration(SILENT_FLOOR_MS)}, ${SILENT_INTERVALS} × the camera's median interval over the day before its last frame)`;

export function camerasPage(ctx: PageContext, cameras: CameraRow[], now: number, today: string): string {
  const silent = cameras.filter((c) => cameraSilent(c, now));
  const rows = cameras.map((c) => [
    html`<a href="/cameras/${c.user}-${c.device}">${c.user}-${c.device}</a>`,
    cameraSilent(c, now) ? html`<span class="bad">silent for ${duration(now - c.lastMs)}</span>` : html`<span class="ok">sending</span>`,
    utc(c.lastMs),
    c.medianIntervalMs === null ? '—' : duration(c.medianIntervalMs),
    duration(c.silentAfterMs),
    c.framesToday,
    c.rejectedToday,
  ]);
  const body = html`<h1>Cameras</h1>
<p class="sub">${rule} · frames as the warehouse holds them</p>
${card(
  `Silent cameras: ${silent.length}`,
  html`<p>${silent.map((c) => html`<a href="/cameras/${c.user}-${c.device}">${c.user}-${c.device}</a> (last frame ${utc(c.lastMs)}) `)}</p>`,
  silent.length === 0 && 'Every camera is sending.',
)}
${card(
  `${cameras.length} camera${cameras.length === 1 ? '' : 's'}`,
  table(['camera', 'status', 'last frame', 'median interval', 'silent after', `frames ${today}`, `rejected ${today}`], rows, [
    false,
    false,
    false,
    false,
    false,
    true,
    true,
  ]),
  cameras.length === 0 && 'No camera has sent a frame the warehouse holds yet.',
)}`;
  return page(ctx, 'Cameras', body, { live: true });
}

export function cameraPage(ctx: PageContext, camera: CameraRow, days: CameraDay[], now: number): string {
  const reasons = new Map<string, number>();
  for (const d of days) for (const [code, n] of Object.entries(d.reasons)) reasons.set(code, (reasons.get(code) ?? 0) + n);
  const reasonBars: Bar[] = [...reasons]
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => ({ label: code, segments: [{ value: n, color: COLORS.rejections }] }));
  const source = `${camera.user}-${camera.device}`;
  const body = html`<h1>Camera ${source}</h1>
<p class="sub">last frame ${utc(camera.lastMs)} · ${
    cameraSilent(camera, now)
      ? html`<span class="bad">silent for ${duration(now - camera.lastMs)}</span>`
      : html`<span class="ok">sending</span>`
  } · median interval ${camera.medianIntervalMs === null ? '—' : duration(camera.medianIntervalMs)} · silent after ${duration(camera.silentAfterMs)}
 · <a href="/incidents${query({ camera: source })}">its incidents</a></p>
${card(
  'Per day (UTC)',
  table(
    ['day', 'frames analysed', 'objects', 'threats', 'frames rejected', 'why'],
    days.map((d) => [
      d.day,
      d.frames,
      d.objects,
      d.threats,
      d.rejected,
      Object.entries(d.reasons)
        .map(([code, n]) => `${code} ${n}`)
        .join(', '),
    ]),
    [false, true, true, true, true, false],
  ),
  days.length === 0 && 'No frame yet.',
)}
${card('Why frames were rejected', horizontalBars(reasonBars, { title: 'Rejected frames per reason' }), reasonBars.length === 0 && 'No frame was rejected.')}`;
  return page(ctx, source, body, { live: true });
}
