import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { EVAL_SET, REPOS } from '../../contract/repos.js';
import type { FileEntry, Store } from '../../engine/store/store.js';
import { VigilError } from '../../pfs/errors.js';
import { packageRoot } from '../../pfs/package-root.js';
import { writeNewFile } from '../../pfs/durable.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { defaultOutbox, formatSummary, summarise } from '../demo-summary.js';
import { openOrCreateStore } from '../open-store.js';
import { initStore } from './init.js';
import { runWithProgress } from './run.js';

/** A file to put at `path` in a repo, read from `source` on disk. */
export interface DemoFile {
  path: string;
  source: string;
}

/** demo/frames.yaml: repo paths in `raw` and the sample photograph each one is. */
async function demoFrames(demoDir: string): Promise<DemoFile[]> {
  const manifestPath = join(demoDir, 'frames.yaml');
  const { parse } = await import('yaml');
  const manifest = parse(await readFile(manifestPath, 'utf8')) as { source: string; frames: Record<string, string> };
  const sourceDir = resolve(dirname(manifestPath), manifest.source);
  return Object.entries(manifest.frames).map(([path, file]) => ({ path: `/${path}`, source: join(sourceDir, file) }));
}

/** The hand-labelled set of test/fixtures/eval as the eval repo holds it: /annotations.json, and each image it names under /images/. */
export async function demoEvalSet(): Promise<DemoFile[]> {
  const fixtures = join(packageRoot(), 'test', 'fixtures');
  const annotations = join(fixtures, 'eval', 'annotations.json');
  const { images } = JSON.parse(await readFile(annotations, 'utf8')) as { images: Array<{ file_name: string }> };
  return [
    { path: EVAL_SET.annotations, source: annotations },
    ...images.map((i) => ({ path: `${EVAL_SET.images}/${i.file_name}`, source: join(fixtures, i.file_name) })),
  ];
}

/**
 * Puts the files that are new or changed against the branch head in one commit, and nothing
 * when every file is already there: re-running the demo must not make new commits, or every
 * pipeline would run again.
 */
async function putChanged(store: Store, repo: string, files: DemoFile[]): Promise<number> {
  const head = await store.headCommit(repo);
  const current = new Map<string, FileEntry>((head ? await store.listFiles(repo, head.id) : []).map((f) => [f.path, f]));
  const put: FileEntry[] = [];
  for (const f of files) {
    const object = await store.addObject(f.source, { batch: true });
    if (current.get(f.path)?.sha256 !== object.sha256) put.push({ path: f.path, ...object });
  }
  if (put.length > 0) await store.commit(repo, 'master', { put }, { description: 'vigil demo' });
  return put.length;
}

/** The demo's operator for the portal. */
const DEMO_USER = 'demo';

/**
 * The demo operator's password: made once and kept in the store folder (`demo-password`, readable
 * by its owner only), so that every run of the demo prints the same sign-in.
 */
async function demoPassword(root: string): Promise<string> {
  const file = join(root, 'demo-password');
  const held = await readFile(file, 'utf8').catch(() => null);
  if (held?.trim()) return held.trim();
  const password = randomBytes(12).toString('base64url');
  await writeNewFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The demo: a store with sample rules and frames, every pipeline run, and what came out. */
async function demo(store: Store, log: (line: string) => void): Promise<number> {
  const demoDir = join(packageRoot(), 'demo');
  log(`store: ${store.root}`);
  await initStore(store, undefined, log);
  const rules = ['rules.yaml', 'subscriptions.yaml'].map((f) => ({ path: `/${f}`, source: join(demoDir, 'rules', f) }));
  const newRules = await putChanged(store, REPOS.rules, rules);
  const newFrames = await putChanged(store, REPOS.raw, await demoFrames(demoDir));
  const newEval = await putChanged(store, REPOS.eval, await demoEvalSet());
  log(
    `rules: ${newRules ? `${newRules} file(s) committed` : 'unchanged'}; frames: ${newFrames ? `${newFrames} new frame(s) committed to raw` : 'no new frames'}; ` +
      `eval: ${newEval ? `${newEval} file(s) of the labelled set committed` : 'unchanged'}`,
  );

  const { outcomes, aborted } = await runWithProgress(store);
  if (aborted) return 130;
  const failed = outcomes.filter((o) => o.job && o.job.state !== 'JOB_SUCCESS');
  const processed = outcomes.reduce((n, o) => n + (o.job?.dataProcessed ?? 0), 0);
  log(processed === 0 ? 'nothing new to process: every pipeline is up to date' : `processed ${processed} datums`);
  const password = await demoPassword(store.root);
  const { addUser } = await import('../../portal/users.js');
  await addUser(store.root, { name: DEMO_USER, password, replace: true });
  log('');
  log(formatSummary(await summarise(store, defaultOutbox(store.root)), store.root, { user: DEMO_USER, password }));
  if (failed.length > 0) {
    throw new VigilError(
      `jobs failed: ${failed.map((o) => `${o.pipeline} (${o.job!.reason})`).join('; ')}; see \`vigil logs PIPELINE --root ${store.root}\``,
    );
  }
  return 0;
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'demo',
    describe: 'create a store with sample rules and camera frames, run every pipeline and summarise what came out; safe to run again',
    builder: (y) => withRoot(y),
    handler: async (args) => demo(await openOrCreateStore(args), (line) => process.stdout.write(`${line}\n`)),
  }),
];
