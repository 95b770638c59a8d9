/**
 * Keeps the index (index-db.ts) at the heads of the repos the portal reads: alerts@master,
 * feedback@master and warehouse@master. Each refresh looks at the three heads (a branch file
 * each) and syncs the repos whose head moved, file by file; the server refreshes every
 * `pollMs` and right after the portal's own commits, so new work shows within a second or two
 * of landing, whoever committed it. `version` changes with every head indexed: pages poll it to
 * reload themselves. A file whose bytes expired (retention, erasure) is left out, and its rows
 * with it: when objects expire (the store's expiry stamp moves) every repo is synced again, so
 * that nothing past its retention stays shown.
 */
import { REPOS } from '../contract/repos.js';
import { describeExpiry } from '../engine/store/expiry.js';
import type { FileEntry, Store } from '../engine/store/store.js';
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
  /** The store's expiry stamp the index was last synced at. */
  private expiryStamp = '';
  /** Per repo, the files (`path\0sha256`) found expired since that stamp: left out without looking again. */
  private expired = new Map<string, Set<string>>();
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
    const stamp = await this.store.expiry.stamp();
    const recheck = stamp !== this.expiryStamp;
    if (recheck) this.expired = new Map();
    for (const source of this.sources) {
      const head = await this.store.headCommit(source.repo).catch((e: unknown) => {
        if (e instanceof VigilError) return null; // the repo does not exist (yet)
        throw e;
      });
      const id = head?.id ?? '';
      if (this.indexed.get(source.repo) === id && !recheck) continue;
      this.syncing = id;
      const started = Date.now();
      const entries = head ? await this.withoutExpired(source, id, await this.store.listFiles(source.repo, head.id), recheck) : [];
      const moved = await this.db.sync(source, entries);
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
    this.expiryStamp = stamp;
    return changed;
  }

  /** The entries whose bytes are there (all looked at when `recheck`, else those not indexed yet); the expired are left out, and logged. */
  private async withoutExpired(source: IndexSource, commit: string, entries: FileEntry[], recheck: boolean): Promise<FileEntry[]> {
    const known = this.expired.get(source.repo) ?? new Set<string>();
    this.expired.set(source.repo, known);
    const found: string[] = [];
    const kept: FileEntry[] = [];
    for (const entry of entries) {
      if (!source.wants(entry.path) || (!recheck && this.db.holds(source.repo, entry))) {
        kept.push(entry);
        continue;
      }
      const key = `${entry.path}\0${entry.sha256}`;
      if (known.has(key)) continue;
      const expiry = await this.store.expiry.expiredNow(entry.sha256);
      if (!expiry) kept.push(entry);
      else {
        known.add(key);
        found.push(describeExpiry(expiry));
      }
    }
    if (found.length > 0) {
      this.log(
        `portal: ${found.length} file${found.length === 1 ? '' : 's'} of ${source.repo}@${commit} left out: ${found[0]}${found.length > 1 ? ' (and others)' : ''}`,
      );
    }
    return kept;
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
