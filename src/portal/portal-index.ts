/**
 * Keeps the index (index-db.ts) at the heads of the repos the portal reads: alerts@master,
 * feedback@master and warehouse@master. Each refresh looks at the three heads (a branch file
 * each) and syncs the repos whose head moved, file by file; the server refreshes every
 * `pollMs` and right after the portal's own commits, so new work shows within a second or two
 * of landing, whoever committed it. `version` changes with every head indexed: pages poll it to
 * reload themselves.
 */
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { alertsSource } from './alerts.js';
import { feedbackSource } from './feedback.js';
import { IndexDb, type IndexSource } from './index-db.js';
import { cameraRhythms, type CameraRhythm } from './queries.js';
import { warehouseSource } from './warehouse.js';

export class PortalIndex {
  /** The commit each repo is indexed at ('' before its first commit). */
  private readonly indexed = new Map<string, string>();
  private readonly sources: IndexSource[];
  /** The commit being synced, for the alerts source (its snapshots' address). */
  private syncing = '';
  private refreshing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Every camera's last frame and rhythm, as of the warehouse indexed (worked out once per warehouse commit). */
  cameras: CameraRhythm[] = [];

  private constructor(
    private readonly store: Store,
    readonly db: IndexDb,
    private readonly log: (line: string) => void,
  ) {
    this.sources = [alertsSource(store, () => this.syncing, log), feedbackSource(store, log), warehouseSource(store)];
  }

  /** An index of `store`, built to the current heads. */
  static async open(store: Store, log: (line: string) => void): Promise<PortalIndex> {
    const index = new PortalIndex(store, await IndexDb.open(), log);
    await index.refresh();
    return index;
  }

  /** The heads indexed, as one string: it changes whenever a page's data may have. */
  get version(): string {
    return this.sources.map((s) => `${s.repo}@${this.indexed.get(s.repo) ?? ''}`).join(' ');
  }

  /** The commit `repo` is indexed at ('' when it has none yet). */
  commitOf(repo: string): string {
    return this.indexed.get(repo) ?? '';
  }

  /** Syncs every repo whose head moved; one refresh at a time (a caller during one waits for it, then runs its own). */
  async refresh(): Promise<boolean> {
    const before = this.refreshing ?? Promise.resolve(false);
    const mine: Promise<boolean> = before.catch(() => false).then(() => this.refreshOnce());
    this.refreshing = mine;
    return mine;
  }

  private async refreshOnce(): Promise<boolean> {
    let changed = false;
    for (const source of this.sources) {
      const head = await this.store.headCommit(source.repo).catch((e: unknown) => {
        if (e instanceof VigilError) return null; // the repo does not exist (yet)
        throw e;
      });
      const id = head?.id ?? '';
      if (this.indexed.get(source.repo) === id) continue;
      this.syncing = id;
      const started = Date.now();
      const moved = await this.db.sync(source, head ? await this.store.listFiles(source.repo, head.id) : []);
      if (moved && source.repo === REPOS.warehouse && Date.now() - started > 1000) {
        this.log(`portal: indexed ${source.repo}@${id} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      if (source.repo === REPOS.warehouse) {
        await this.db.summarise();
        this.cameras = await cameraRhythms(this.db);
      }
      this.indexed.set(source.repo, id);
      changed = true;
    }
    return changed;
  }

  /** Refreshes every `pollMs` until stopped; a refresh that fails is logged and tried again at the next tick. */
  start(pollMs: number): void {
    this.timer = setInterval(() => {
      this.refresh().catch((e: unknown) => this.log(`portal: the index could not be refreshed: ${(e as Error).message}`));
    }, pollMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.refreshing?.catch(() => {});
    await this.db.close();
  }
}
