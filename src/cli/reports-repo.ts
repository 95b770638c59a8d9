import type { CommitInfo, FileEntry, Store } from '../engine/store/store.js';
import { REPOS } from '../contract/repos.js';
import { VigilError } from '../pfs/errors.js';

/** The `reports` pipeline's latest output (reports@master): its commit and files. */
export interface LatestReports {
  commit: CommitInfo;
  files: FileEntry[];
  /** The blob of a file of that commit, read-only; a VigilError names what exists when absent. */
  blob(path: string): string;
}

export async function latestReports(store: Store): Promise<LatestReports> {
  const repos = await store.listRepos();
  if (!repos.some((r) => r.name === REPOS.reports)) {
    throw new VigilError(`there is no ${REPOS.reports} repo in ${store.root}: create the pipelines (vigil init) and run them (vigil run)`);
  }
  const commit = await store.headCommit(REPOS.reports);
  if (!commit) throw new VigilError(`the ${REPOS.reports} pipeline has not produced anything yet: run it with vigil run`);
  const files = await store.listFiles(REPOS.reports, commit.id);
  return {
    commit,
    files,
    blob(path) {
      const entry = files.find((f) => f.path === path);
      if (!entry) throw new VigilError(`${REPOS.reports}@${commit.id}:${path} does not exist`);
      return store.objectPath(entry.sha256);
    },
  };
}
