/**
 * Helpers for tests that run pipelines on the embedded engine: input files go in through the
 * store, pipelines are created and run through the real CLI, outputs are read back from the store.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Store } from '../../src/engine/store/store.js';
import { parseJsonStream } from '../../src/pfs/json-stream.js';
import { ObjectNodes, ObjectStore } from '../../src/engine/store/objects.js';
import { fileTrees } from '../../src/engine/store/tree.js';
import { tempDir, vigil, vigilOk, type CliResult } from './cli.js';

/** One commit to `repo@master` (created if missing): a string puts that file, null deletes it. */
export async function commitFiles(root: string, repo: string, files: Record<string, string | null>): Promise<string> {
  const store = await Store.open(root);
  if (!(await store.listRepos()).some((r) => r.name === repo)) await store.createRepo(repo);
  const put = [];
  for (const [path, text] of Object.entries(files)) {
    if (text !== null) put.push({ path, ...(await store.addObject(Buffer.from(text))) });
  }
  const del = Object.entries(files)
    .filter(([, text]) => text === null)
    .map(([path]) => path);
  return (await store.commit(repo, 'master', { put, delete: del })).id;
}

/**
 * Adds `path` to the head of `repo@master` the way a store written before `put file` checked
 * name lengths holds it: a new commit whose tree names it, in the store's own formats
 * (Store.commit refuses such a path now). Returns the commit's id.
 */
export async function plantAsOldStore(root: string, repo: string, path: string, bytes: Buffer): Promise<string> {
  const store = await Store.open(root);
  const head = (await store.headCommit(repo))!;
  const object = await store.addObject(bytes);
  const commits = join(root, 'repos', repo, 'commits');
  const parent = JSON.parse(await readFile(join(commits, `${head.id}.json`), 'utf8')) as { root: string | null } & Record<string, unknown>;
  // The tree edited below the checks Store.commit makes, its nodes stored as a commit's are.
  const objects = new ObjectStore(join(root, 'objects'), join(root, 'tmp'));
  const edit = fileTrees(new ObjectNodes(objects)).edit(parent.root);
  edit.put(path, { sha256: object.sha256, size: object.size });
  const tree = edit.persist();
  await objects.flush(tree.written);
  const id = randomUUID().replace(/-/g, '');
  const now = new Date().toISOString();
  await writeFile(
    join(commits, `${id}.json`),
    JSON.stringify({
      ...parent,
      id,
      parent: head.id,
      started: now,
      finished: now,
      sizeBytes: tree.weight,
      fileCount: tree.count,
      root: tree.hash,
    }),
  );
  await writeFile(join(root, 'repos', repo, 'branches', 'master'), `${id}\n`);
  return id;
}

/** A new temporary folder holding an empty store, for commands that need an existing one (only init, demo and create repo make one). */
export async function newStore(prefix = 'vigil-test-'): Promise<string> {
  const root = await tempDir(prefix);
  await Store.open(root);
  return root;
}

export async function createRepo(root: string, repo: string): Promise<void> {
  await (await Store.open(root)).createRepo(repo);
}

/** Every file of `repo@ref` with its text; null when the branch has no commit. */
export async function readTree(root: string, repo: string, ref = 'master'): Promise<Record<string, string> | null> {
  const store = await Store.open(root);
  if (ref === 'master' && !(await store.headCommit(repo))) return null;
  const commit = await store.resolveCommit(repo, ref);
  const files = await store.listFiles(repo, commit.id);
  const entries = await Promise.all(files.map(async (f) => [f.path, await readFile(store.objectPath(f.sha256), 'utf8')] as const));
  return Object.fromEntries(entries);
}

/** Writes the specs as one JSON stream and runs `vigil create pipeline -f` on it. */
export async function createPipelines(root: string, ...specs: object[]): Promise<void> {
  const file = join(await tempDir('vigil-spec-'), 'specs.json');
  await writeFile(file, specs.map((s) => JSON.stringify(s, null, 2)).join('\n'));
  await vigilOk(['create', 'pipeline', '-f', file], { root });
}

export function run(root: string, ...pipeline: string[]): Promise<CliResult> {
  return vigil(['run', ...pipeline], { root });
}

/** `--raw` output: pachctl's stream of indented JSON messages, one right after another. */
export function parseRaw<T = Record<string, any>>(stdout: string): T[] {
  return parseJsonStream(stdout, (message) => {
    throw new Error(`--raw output: ${message}`);
  }) as T[];
}

/** A 64-bit count of a `--raw` message as a number: protojson writes it as a string and leaves out 0. */
export function int64(value: string | undefined): number {
  return value === undefined ? 0 : Number(value);
}

export async function listJobs(root: string, pipeline: string): Promise<Record<string, any>[]> {
  return parseRaw(await vigilOk(['list', 'job', '--raw', '-p', pipeline], { root }));
}

export async function listDatums(root: string, job: string): Promise<Record<string, any>[]> {
  return parseRaw(await vigilOk(['list', 'datum', job, '--raw'], { root }));
}

/** A pfs input in a spec. */
export function pfs(repo: string, glob: string, extra: Record<string, unknown> = {}): { pfs: Record<string, unknown> } {
  return { pfs: { repo, glob, ...extra } };
}

/** A spec whose step is a shell one-liner, one process per datum. */
export function shellPipeline(name: string, input: object, script: string, extra: Record<string, unknown> = {}): object {
  const { transform, ...rest } = extra as { transform?: Record<string, unknown> };
  return { pipeline: { name }, input, transform: { cmd: ['sh', '-c', script], ...transform }, ...rest };
}
