/**
 * The forward walk: from a camera frame to what the heads of validated, detections, matches and
 * alerts hold that was made from it. A file counts only when its own record names its parent.
 */
import { parseFramePath } from '../contract/frame-path.js';
import { parseIncidentId } from '../contract/incident-id.js';
import { REPOS, duplicateRejectionPath, frameRecordPath, rejectionPath, validFramePath } from '../contract/repos.js';
import { VigilError } from '../pfs/errors.js';
import { hopKind, type Hop, type Ref } from './hop.js';
import type { StoreView } from './store-view.js';
import { noteDamage, type Walk } from './walk.js';

function sameFile(ref: Ref, hop: Hop): boolean {
  return ref.repo === hop.repo && ref.path === hop.path && ref.sha256 === hop.sha256;
}

export class Forward {
  constructor(
    private readonly view: StoreView,
    private readonly walk: Walk,
  ) {}

  /** Fills `root.next` (and theirs, down to the incidents) with what the heads derived from the frame `root`. */
  async from(root: Hop): Promise<void> {
    const frame = parseFramePath(root.path);
    if ('error' in frame) throw new VigilError(`${root.path} is not a camera frame: ${frame.error}`);
    // A second file of the frame (another extension) is rejected as a duplicate, under a path of its own.
    const rejection =
      (await this.derivedAtHead(REPOS.validated, rejectionPath(frame), root)) ??
      (await this.derivedAtHead(REPOS.validated, duplicateRejectionPath(root.path)!, root));
    const validated = await this.derivedAtHead(REPOS.validated, validFramePath(frame), root);
    root.next = [validated, rejection].filter((h): h is Hop => h !== null);
    if (!validated) return;
    const detection = await this.derivedAtHead(REPOS.detections, frameRecordPath(frame), validated);
    if (!detection) return;
    validated.next = [detection];
    const match = await this.derivedAtHead(REPOS.matches, frameRecordPath(frame), detection);
    if (!match) return;
    detection.next = [match];
    for (const path of await noteDamage(match, [], () => this.incidentPaths(frame.source, frame.capturedAt))) {
      const incident = await this.derivedAtHead(REPOS.alerts, path, match);
      if (incident) match.next.push(incident);
    }
  }

  /** `path` at the head of `repo` when its record names `parent` as a source; null when absent or derived from something else. */
  private async derivedAtHead(repo: string, path: string, parent: Hop): Promise<Hop | null> {
    // Damage met looking at the head (its commit record, a tree node) is noted on the hop whose child is sought.
    return noteDamage(parent, null, async () => {
      const head = await this.view.head(repo);
      if (!head || !(await this.view.tree(repo, head.id)).get(path)) return null;
      const { hop, sources } = await this.walk.examine(hopKind(repo, path)!, { repo, commit: head.id, path });
      return sources.some((s) => sameFile(s.ref, parent)) ? hop : null;
    });
  }

  /**
   * The incident files of the frame's device at the head of alerts that may hold a frame captured
   * at `at`: same UTC day, started no later. A file not named as an incident id may hold anything.
   */
  private async incidentPaths(source: string, at: Date): Promise<string[]> {
    const head = await this.view.head(REPOS.alerts);
    if (!head) return [];
    const day = at.toISOString().slice(0, 10);
    const paths: string[] = [];
    for (const { path } of (await this.view.tree(REPOS.alerts, head.id)).files(`/${source}`)) {
      if (hopKind(REPOS.alerts, path) !== 'alert') continue;
      const start = parseIncidentId(path.slice(path.lastIndexOf('/') + 1).replace(/\.json$/, ''))?.start;
      if (!start || (start.toISOString().slice(0, 10) === day && start <= at)) paths.push(path);
    }
    return paths;
  }
}
