/**
 * `vigil migrate`: a store of format 1, where each commit named one manifest object holding its
 * whole tree as a JSON array, upgraded in place to format 2, where it names the root of a Merkle
 * Search Tree (tree.ts). Under the store lock, each commit record is rewritten atomically (rename)
 * once its tree's nodes are durable; a record already converted is skipped, so a migration killed
 * anywhere is finished by running it again. store.json says format 2 last: until then every other
 * verb refuses the store. The format-1 manifests stay in objects/, unreferenced.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { VigilError } from '../../pfs/errors.js';
import { atomicWriteFile, removeStaleTmpFiles } from '../../pfs/durable.js';
import { readJsonFile } from '../../pfs/files.js';
import { acquireLock } from './lock.js';
import type { Mst } from './mst.js';
import { ObjectNodes, ObjectStore } from './objects.js';
import { STORE_FORMAT } from './store.js';
import { type FileEntry, type FileValue, fileTrees } from './tree.js';

/** What a format-1 commit record holds beyond format 2's fields: the manifest object. */
interface Format1Commit {
  id: string;
  tree?: string;
  root?: string | null;
  [field: string]: unknown;
}

/** What the store-level conversion hands to the conversions of other records (jobs), run before format 2 is written. */
export interface MigrationContext {
  root: string;
  /** Node storage over the store's objects. */
  nodes: ObjectNodes;
  /** Makes nodes written through `nodes` durable (Persisted.written). */
  flush(written: string[]): Promise<void>;
  trees: Mst<FileValue>;
  say(line: string): void;
}

/** Upgrades the store at `root` to format 2; returns false when it was already. */
export async function migrateStore(
  root: string,
  opts: { say(line: string): void; more?: (ctx: MigrationContext) => Promise<void> },
): Promise<boolean> {
  const abs = resolve(root);
  const marker = join(abs, 'store.json');
  const current = await readJsonFile<{ format?: number; created?: string }>(marker);
  if (!current) throw new VigilError(`there is no store at ${abs} (no store.json)`);
  if (current.format === STORE_FORMAT) {
    opts.say(`the store ${abs} is already format ${STORE_FORMAT}: nothing to do`);
    return false;
  }
  if (current.format !== 1) throw new VigilError(`the store ${abs} has format ${current.format}; vigil migrate upgrades format 1`);

  const release = await acquireLock(join(abs, 'lock'), { waitMs: 5000, what: `the store ${abs}` });
  try {
    const tmp = join(abs, 'tmp');
    await removeStaleTmpFiles(tmp);
    const objects = new ObjectStore(join(abs, 'objects'), tmp);
    const nodes = new ObjectNodes(objects);
    const trees = fileTrees(nodes);
    const repos = (await readdir(join(abs, 'repos'))).filter((n) => !n.startsWith('.')).sort();
    const flush = (written: string[]) => objects.flush(written);
    for (const repo of repos) await convertCommits(join(abs, 'repos', repo), repo, objects, trees, opts.say);
    await opts.more?.({ root: abs, nodes, flush, trees, say: opts.say });
    await atomicWriteFile(marker, `${JSON.stringify({ ...current, format: STORE_FORMAT, migrated: new Date().toISOString() })}\n`, {
      tmpDir: tmp,
    });
    opts.say(`the store ${abs} is now format ${STORE_FORMAT}`);
    return true;
  } finally {
    await release();
  }
}

async function convertCommits(
  dir: string,
  repo: string,
  objects: ObjectStore,
  trees: Mst<FileValue>,
  say: (line: string) => void,
): Promise<void> {
  const files = (await readdir(join(dir, 'commits')).catch(() => [])).filter((f) => f.endsWith('.json')).sort();
  let converted = 0;
  for (const [i, file] of files.entries()) {
    const path = join(dir, 'commits', file);
    const record = JSON.parse(await readFile(path, 'utf8')) as Format1Commit;
    if (record.tree === undefined && 'root' in record) continue;
    const manifest = await readFile(objects.path(record.tree!), 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new VigilError(`commit ${repo}@${record.id}: its tree ${record.tree} cannot be read (${e.code ?? e.message})`);
    });
    const entries = (JSON.parse(manifest) as FileEntry[]).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const tree = trees.buildSync(entries.map((e) => ({ key: e.path, value: { sha256: e.sha256, size: e.size } })));
    await objects.flush(tree.written);
    const { tree: _manifest, ...rest } = record;
    const next = { ...rest, sizeBytes: tree.weight, fileCount: tree.count, root: tree.hash };
    await atomicWriteFile(path, `${JSON.stringify(next, null, 2)}\n`, { tmpDir: join(dir, '..', '..', 'tmp') });
    converted++;
    say(`${repo}: commit ${record.id} converted (${i + 1}/${files.length}, ${tree.count} files)`);
  }
  if (converted === 0) say(`${repo}: ${files.length} commits already converted`);
}
