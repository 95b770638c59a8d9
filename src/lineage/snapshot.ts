/**
 * The reader of an alert's snapshot, `alerts:/<user>-<device>/<incident>.jpg`: an image with no
 * lineage of its own, written beside its incident's record, which names it (path and sha256). Its
 * source is that record at the same commit; the record must name these very bytes.
 */
import type { Alert } from '../../specs/index.js';
import { incidentOfSnapshotPath, incidentPaths } from '../contract/incident-id.js';
import type { StoreView } from './store-view.js';
import type { Reader } from './walk.js';

/** What the record beside it says its snapshot is; undefined when it is not readable JSON (its own hop says why). */
async function namedSnapshot(view: StoreView, object: string, where: string): Promise<Alert['snapshot'] | null | undefined> {
  try {
    return (JSON.parse((await view.readObject(object, where)).toString('utf8')) as Partial<Alert>).snapshot ?? null;
  } catch {
    return undefined;
  }
}

export function snapshotReader(view: StoreView): Reader {
  return async ({ hop, entry }) => {
    const incident = incidentOfSnapshotPath(hop.path)!;
    const recordPath = incidentPaths(incident).record;
    const record = (await view.tree(hop.repo, hop.commit!)).get(recordPath);
    if (!record) {
      hop.problems.push(`no incident record ${recordPath} beside it in ${hop.repo}@${hop.commit}`);
      return { sources: [] };
    }
    const named = await namedSnapshot(view, record.sha256, `${hop.repo}@${hop.commit}:${recordPath}`);
    if (named === null) hop.problems.push(`the incident record ${recordPath} names no snapshot`);
    else if (named && (named.path !== hop.path || named.sha256 !== entry.sha256)) {
      hop.problems.push(`the incident record ${recordPath} names ${named.path} (sha256 ${named.sha256}) as its snapshot, not these bytes`);
    }
    hop.summary = `the snapshot of incident ${incident}`;
    return { sources: [{ ref: { repo: hop.repo, commit: hop.commit, path: recordPath, sha256: record.sha256 }, kinds: ['alert'] }] };
  };
}
