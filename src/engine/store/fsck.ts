/**
 * The check of a whole store, as `git fsck` checks a repository (`vigil fsck`): every object
 * re-hashed; every commit record parsed, its parent present; every branch head naming a commit;
 * every tree node reachable from a commit decoded, and the objects its files name present. Each
 * problem names what is damaged and where it is used (`repo@commit:path` when known).
 *
 * Read-only, and safe while pipelines write: what appears during the check (an object, a commit,
 * a moved head) is looked up again before it counts as missing, what goes (a deleted repo) is
 * skipped, and files in tmp/ not yet renamed into place are never looked at.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreDamageError } from './damage.js';
import { mapLimit } from './parallel.js';
import { COMMIT_ID, type CommitRecord, oneLine, parseCommitRecord, type Store } from './store.js';
import { fileTrees } from './tree.js';

export interface FsckProblem {
  /** What is damaged: `object <sha256>`, `tree node <sha256>`, a record and its file, a branch. */
  what: string;
  /** What is wrong with it, e.g. `is damaged: its bytes hash to <sha256>`. */
  fault: string;
  /** Where it is used: `repo@commit:path` for a file, `repo@commit` for a tree node; a few, when many. */
  usedBy: string[];
  /** How many places use it in all (more than usedBy names when many do). */
  uses: number;
}

export interface FsckProgress {
  phase: 'objects' | 'commits' | 'trees';
  done: number;
  total: number;
}

export interface FsckSummary {
  objects: number;
  repos: number;
  commits: number;
  branches: number;
  treeNodes: number;
  /** File entries read from the tree nodes (a file shared by many commits counts once per node). */
  files: number;
  /** Objects whose bytes were removed on purpose (retention, erasure): expected, not problems. */
  expired: number;
  problems: number;
}

/** Objects hashed at once: enough to keep a disk busy without starving a 2-core machine. */
const HASH_PARALLEL = 4;
/** Uses named per damaged object; the rest are counted. */
const USES_NAMED = 3;
const OBJECT_NAME = /^[0-9a-f]{62}$/;
const FANOUT = /^[0-9a-f]{2}$/;

/** One problem as a line: what, what is wrong, and where it is used. */
export function describeProblem(p: FsckProblem): string {
  if (p.uses === 0) return `${p.what} ${p.fault}`;
  const more = p.uses > p.usedBy.length ? ` and ${p.uses - p.usedBy.length} more` : '';
  return `${p.what} ${p.fault} (used by ${p.usedBy.join(', ')}${more})`;
}

/** An object whose problem waits for the tree walk to say where it is used. */
interface Pending {
  fault: string;
  usedBy: string[];
  uses: number;
}

export async function fsckStore(
  store: Store,
  onProblem: (problem: FsckProblem) => void,
  onProgress: (progress: FsckProgress) => void = () => {},
): Promise<FsckSummary> {
  const summary: FsckSummary = { objects: 0, repos: 0, commits: 0, branches: 0, treeNodes: 0, files: 0, expired: 0, problems: 0 };
  const report = (problem: FsckProblem) => {
    summary.problems++;
    onProblem(problem);
  };

  // Objects: each re-hashed. A damaged one is reported after the tree walk, which finds its uses.
  const objectsDir = join(store.root, 'objects');
  const names: string[] = [];
  for (const fan of (await readdir(objectsDir)).filter((d) => FANOUT.test(d)).sort()) {
    for (const name of (await readdir(join(objectsDir, fan))).sort()) {
      if (OBJECT_NAME.test(name)) names.push(fan + name);
      else report({ what: `objects/${fan}/${name}`, fault: 'is no object: its name is no sha256', usedBy: [], uses: 0 });
    }
  }
  const present = new Set<string>();
  const damaged = new Map<string, Pending>();
  let hashed = 0;
  await mapLimit(names, HASH_PARALLEL, async (sha) => {
    try {
      await store.checkObject(sha, '');
      present.add(sha);
    } catch (e) {
      if (!(e instanceof StoreDamageError)) throw e;
      // Gone since it was listed (a collector removed it): whether something needs it, the walk says.
      if ((await exists(store.objectPath(sha))) || !e.fault.startsWith('is missing')) {
        present.add(sha);
        damaged.set(sha, { fault: e.fault, usedBy: [], uses: 0 });
      }
    }
    onProgress({ phase: 'objects', done: ++hashed, total: names.length });
  });
  summary.objects = names.length;

  // Commit records and branch heads, repo by repo.
  const reposDir = join(store.root, 'repos');
  const commits: Array<{ repo: string; record: CommitRecord }> = [];
  const repos = (await readdir(reposDir)).filter((n) => !n.startsWith('.')).sort();
  for (const [i, repo] of repos.entries()) {
    const dir = join(reposDir, repo);
    const repoText = await readIfPresent(join(dir, 'repo.json'));
    if (repoText === null) continue; // being created, or deleted meanwhile
    summary.repos++;
    try {
      JSON.parse(repoText);
    } catch (e) {
      report({
        what: `the record of repo ${repo} (repos/${repo}/repo.json)`,
        fault: `is damaged: ${oneLine((e as Error).message)}`,
        usedBy: [],
        uses: 0,
      });
    }
    const records = new Map<string, CommitRecord | null>();
    const readRecord = async (id: string): Promise<CommitRecord | null | undefined> => {
      if (records.has(id)) return records.get(id);
      const text = COMMIT_ID.test(id) ? await readIfPresent(join(dir, 'commits', `${id}.json`)) : null;
      if (text === null) return undefined;
      summary.commits++;
      let record: CommitRecord | null = null;
      try {
        record = parseCommitRecord(text, repo, id);
        commits.push({ repo, record });
      } catch (e) {
        if (!(e instanceof StoreDamageError)) throw e;
        report({ what: e.what, fault: e.fault, usedBy: [], uses: 0 });
      }
      records.set(id, record);
      return record;
    };
    const files = (await readdir(join(dir, 'commits')).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
    for (const file of files) await readRecord(file.slice(0, -'.json'.length));
    for (const [id, record] of [...records]) {
      if (record?.parent && (await readRecord(record.parent)) === undefined) {
        report({ what: `commit ${record.parent} of repo ${repo}`, fault: 'is missing', usedBy: [`${repo}@${id} (its parent)`], uses: 1 });
      }
    }
    for (const branch of (await readdir(join(dir, 'branches')).catch(() => [] as string[])).sort()) {
      const head = await readIfPresent(join(dir, 'branches', branch));
      if (head === null) continue;
      summary.branches++;
      // A head moved since the records were listed names a commit written since: read it now.
      if ((await readRecord(head.trim())) === undefined) {
        report({
          what: `the head of branch ${repo}@${branch} (repos/${repo}/branches/${branch})`,
          fault: `is damaged: it names commit ${JSON.stringify(head.trim())}, which repo ${repo} does not hold`,
          usedBy: [],
          uses: 0,
        });
      }
    }
    onProgress({ phase: 'commits', done: i + 1, total: repos.length });
  }

  // Trees: every node reachable from a commit's root, once, and the objects its files name.
  const trees = fileTrees(store.nodeStorage(), 1024 * 1024);
  const visited = new Set<string>();
  const missing = new Map<string, Pending>();
  const use = (pending: Pending, where: string) => {
    if (pending.usedBy.length < USES_NAMED) pending.usedBy.push(where);
    pending.uses++;
  };
  for (const [i, { repo, record }] of commits.entries()) {
    const where = `${repo}@${record.id}`;
    const stack = record.root ? [record.root] : [];
    while (stack.length > 0) {
      const hash = stack.pop()!;
      if (visited.has(hash)) continue;
      visited.add(hash);
      summary.treeNodes++;
      let node: ReturnType<typeof trees.nodeAt>;
      try {
        node = trees.nodeAt(hash);
      } catch (e) {
        if (!(e instanceof StoreDamageError)) throw e;
        damaged.delete(hash); // reported here, as the tree node it is
        report({ what: e.what, fault: e.fault, usedBy: [where], uses: 1 });
        continue;
      }
      stack.push(...node.children);
      for (const { key, value } of node.entries) {
        summary.files++;
        const bad = damaged.get(value.sha256);
        if (bad) use(bad, `${where}:${key}`);
        else if (!present.has(value.sha256)) {
          if (await exists(store.objectPath(value.sha256)))
            present.add(value.sha256); // written since the objects were listed
          else if (await store.expiry.get(value.sha256)) {
            present.add(value.sha256); // counted once, as the files that name it are not problems
            summary.expired++;
          } else {
            const gone = missing.get(value.sha256) ?? { fault: 'is missing from the store', usedBy: [], uses: 0 };
            missing.set(value.sha256, gone);
            use(gone, `${where}:${key}`);
          }
        }
      }
    }
    onProgress({ phase: 'trees', done: i + 1, total: commits.length });
  }

  for (const [sha, p] of [...damaged, ...missing]) {
    report({
      what: `object ${sha}`,
      fault: p.uses === 0 ? `${p.fault}; no commit's tree names it` : p.fault,
      usedBy: p.usedBy,
      uses: p.uses,
    });
  }
  return summary;
}

async function readIfPresent(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  });
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
