import { copyFile, link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CommitInfo, Store } from '../engine/store/store.js';

/** A commit's files laid out in a temporary folder at their repo paths, for code that reads folders. */
export interface CheckedOut {
  dir: string;
  commit: CommitInfo;
  remove(): Promise<void>;
}

/**
 * Lays out the files of `repo@ref` in a new temporary folder, each a hard link to the store's
 * read-only object (as the engine gives a step its inputs), or a copy where the temporary
 * folder is on another file system; each object is checked first (a damaged one is refused, naming it).
 */
export async function checkOut(store: Store, repo: string, ref: string): Promise<CheckedOut> {
  const commit = await store.resolveCommit(repo, ref);
  const dir = await mkdtemp(join(tmpdir(), `vigil-${repo}-`));
  try {
    for (const file of await store.listFiles(repo, commit.id)) {
      await store.checkObject(file.sha256, `${repo}@${commit.id}:${file.path}`);
      const to = join(dir, file.path);
      await mkdir(dirname(to), { recursive: true });
      await link(store.objectPath(file.sha256), to).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EXDEV') throw e;
        return copyFile(store.objectPath(file.sha256), to);
      });
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, commit, remove: () => rm(dir, { recursive: true, force: true }) };
}
