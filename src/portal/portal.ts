/**
 * The portal assembled for `vigil serve`: its index built at the store's current heads, its
 * routes for the server's app, and a companion that keeps the index following the repos while
 * the server runs (and hears from the scheduler which job is running).
 */
import type { Store } from '../engine/store/store.js';
import type { RouteGroup } from '../serve/app.js';
import type { Companion, ServeParts } from '../serve/service.js';
import { JobHistory, type LiveJob } from './pipelines.js';
import { PortalIndex } from './portal-index.js';
import { portalRoutes } from './routes.js';
import { Sessions, sessionKey } from './session.js';
import { UserDirectory } from './users.js';

export interface Portal {
  routes: RouteGroup;
  /** Starts following the repos; the companion stops it. */
  start(parts: ServeParts): Promise<Companion>;
  index: PortalIndex;
}

export interface PortalOptions {
  /** How often the repos' heads are checked for new work, ms. */
  pollMs: number;
  log(line: string): void;
  now?(): number;
}

export async function openPortal(store: Store, opts: PortalOptions): Promise<Portal> {
  const index = await PortalIndex.open(store, opts.log);
  let live: (pipeline: string) => LiveJob | null = () => null;
  let diskLow: () => string | null = () => null;
  const routes = portalRoutes({
    store,
    index,
    users: new UserDirectory(store.root),
    sessions: new Sessions(await sessionKey(store.root)),
    jobs: new JobHistory(store),
    liveJob: (pipeline) => live(pipeline),
    diskLow: () => diskLow(),
    log: opts.log,
    now: opts.now ?? Date.now,
  });
  return {
    routes,
    index,
    async start(parts) {
      const { scheduler } = parts;
      if (scheduler) live = (pipeline) => scheduler.running().get(pipeline) ?? null;
      diskLow = () => parts.disk.low();
      index.start(opts.pollMs);
      return { stop: () => index.stop() };
    },
  };
}
