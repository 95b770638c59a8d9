import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { SubscriptionsFile } from '../../specs/index.js';
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';

/** Where the customers' subscriptions live: rules@master:/subscriptions.yaml (docs/ARCHITECTURE.md). */
const SUBSCRIPTIONS_PATH = '/subscriptions.yaml';
/** A device's zone when no subscription names one, as the match stage reads it. */
const DEFAULT_ZONE = 'UTC';

/**
 * Each camera's IANA time zone from the subscriptions at the head of rules, read again only
 * when that head changes: what a wall-clock EXIF time of the camera means. A camera with no
 * entry (its own, or its user's `*`) is on UTC, as in the match stage. The match stage checks
 * the file; here a zone that is missing or unreadable falls back to UTC.
 */
export class CameraZones {
  private commit: string | null = null;
  private users = new Map<string, SubscriptionsFile['users'][number]>();

  constructor(private readonly store: Store) {}

  async zoneOf(user: string, device: string): Promise<string> {
    await this.refresh();
    const entry = this.users.get(user)?.devices;
    const own = entry?.find((d) => d.id === device) ?? entry?.find((d) => d.id === '*');
    const zone = own?.timezone ?? DEFAULT_ZONE;
    return isTimeZone(zone) ? zone : DEFAULT_ZONE;
  }

  private async refresh(): Promise<void> {
    const head = await this.store.headCommit(REPOS.rules).catch(() => null); // no rules repo yet: every camera on UTC
    if ((head?.id ?? null) === this.commit) return;
    this.commit = head?.id ?? null;
    this.users = new Map();
    const file = head ? await this.store.fileAt(REPOS.rules, head.id, SUBSCRIPTIONS_PATH) : null;
    if (!file) return;
    try {
      const doc = parseYaml(await readFile(this.store.objectPath(file.sha256), 'utf8')) as SubscriptionsFile;
      for (const user of doc?.users ?? []) this.users.set(user.id, user);
    } catch {
      // An unreadable policy is the match stage's to report; its cameras are read as UTC here.
    }
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
