/** The pages that watch the system: today's overview, the cameras, the pipelines, and the version live pages poll. */
import { REPOS } from '../contract/repos.js';
import { html } from '../render/html.js';
import type { ServeApp } from '../serve/app.js';
import { customerScope, dayOf, maySeeCamera, parseDay, type Viewer } from './core.js';
import { cameraPage, camerasPage } from './pages/cameras.js';
import { utc } from './pages/layout.js';
import { overviewPage } from './pages/overview.js';
import { pipelinesPage } from './pages/pipelines.js';
import { pipelineStatuses } from './pipelines.js';
import { cameraDays, cameraSilent, listCameras, overview } from './queries.js';
import { notFound, PageError, type PortalParts, type SignedIn } from './route-kit.js';

export function statusRoutes(app: ServeApp, p: PortalParts, signedIn: SignedIn): void {
  const camerasOf = (viewer: Viewer, today: string) => listCameras(p.index.db, p.index.cameras, customerScope(viewer), today);

  /** Which commits a page's numbers come from, and when it was drawn. */
  const asOf = () => {
    const short = (repo: string) => p.index.commitOf(repo).slice(0, 12) || '(none yet)';
    return html`threats and frames from warehouse@<span class="mono">${short(REPOS.warehouse)}</span>, incidents from alerts@<span class="mono">${short(REPOS.alerts)}</span> · drawn ${utc(p.now())}`;
  };

  app.get(
    '/portal/version',
    signedIn(async (c) => c.json({ version: p.index.version })),
  );

  app.get(
    '/',
    signedIn(async (c, ctx) => {
      const now = p.now();
      const today = dayOf(now);
      const asked = c.req.query('day');
      const day = asked === undefined || asked === '' ? today : parseDay(asked);
      if (!day) throw new PageError(400, `day=${asked}: write the day as YYYY-MM-DD, e.g. ${today}`);
      const silent = p.index.cameras.filter((cam) => maySeeCamera(ctx.viewer, `${cam.user}-${cam.device}`) && cameraSilent(cam, now));
      return overviewPage(ctx, await overview(p.index.db, customerScope(ctx.viewer), day, now), today, silent.length, asOf());
    }),
  );

  app.get(
    '/cameras',
    signedIn(async (_c, ctx) => {
      const now = p.now();
      const today = dayOf(now);
      return camerasPage(ctx, await camerasOf(ctx.viewer, today), now, today);
    }),
  );

  app.get(
    '/cameras/:source',
    signedIn(async (c, ctx) => {
      const source = c.req.param('source') ?? '';
      const now = p.now();
      const camera = maySeeCamera(ctx.viewer, source)
        ? (await camerasOf(ctx.viewer, dayOf(now))).find((cam) => `${cam.user}-${cam.device}` === source)
        : undefined;
      if (!camera) throw notFound('camera');
      return cameraPage(ctx, camera, await cameraDays(p.index.db, camera.user, camera.device, 14), now);
    }),
  );

  app.get(
    '/pipelines',
    signedIn(async (_c, ctx) => pipelinesPage(ctx, await pipelineStatuses(p.store, p.jobs, (pipeline) => p.liveJob(pipeline)), p.now()), {
      operatorOnly: true,
    }),
  );
}
