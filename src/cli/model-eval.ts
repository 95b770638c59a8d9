/**
 * Evaluating models for the CLI: a model of the store (or of a folder) on the store's eval repo
 * (or a folder laid out like it), the rule thresholds to show beside it, and the evaluations
 * the model-eval pipelines keep.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileRef, ModelEvaluation } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { REPOS, evaluationPath } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import type { RuleThreshold } from '../../steps/detect/rule-scores.js';
import { checkOut, type CheckedOut } from './store-folder.js';

/** Where a model or the eval set comes from: a repo@ref of the store, or a folder laid out like the repo. */
export type Source = { ref: string } | { dir: string };

/** Evaluates one model (`model`, else the one detection would use) of `models` on `evalSet`. */
export async function evaluate(
  store: () => Promise<Store>,
  models: Source,
  evalSet: Source,
  model: string | undefined,
): Promise<ModelEvaluation> {
  const { startBackend } = await import('../../steps/detect/backend.js');
  const { chooseModel, loadDetector } = await import('../../steps/detect/model.js');
  const { evaluateModel } = await import('../../steps/detect/evaluate.js');
  const held: CheckedOut[] = [];
  const open = async (source: Source, repo: string) => {
    if ('dir' in source) return { dir: resolve(source.dir), name: repo, commit: undefined, shown: source.dir };
    const { repo: name, ref } = parseRepoRef(source.ref, repo);
    const out = await checkOut(await store(), name, ref);
    held.push(out);
    return { dir: out.dir, name, commit: out.commit.id, shown: `${name}@${out.commit.id}:` };
  };
  try {
    const m = await open(models, REPOS.models);
    const e = await open(evalSet, REPOS.eval);
    const name = model ?? (await chooseModel(m.dir));
    const detector = await loadDetector(m.dir, name, await startBackend(), m.shown);
    return await evaluateModel(detector, m.commit ?? `(folder ${m.shown})`, { root: e.dir, name: e.name, commit: e.commit });
  } finally {
    await Promise.all(held.map((h) => h.remove()));
  }
}

/** `repo@ref`, or `@ref` / a bare ref of `repo`. */
function parseRepoRef(arg: string, repo: string): { repo: string; ref: string } {
  const at = arg.indexOf('@');
  if (at < 0) return { repo: arg, ref: 'master' };
  return { repo: arg.slice(0, at) || repo, ref: arg.slice(at + 1) };
}

/** The rule thresholds of a rules folder (rules.yaml), or of rules@master in the store; none without either. */
export async function ruleThresholds(rulesDir: string | undefined, store: Store | null): Promise<RuleThreshold[]> {
  const { ruleThresholds: thresholds } = await import('../../steps/match/rules.js');
  if (rulesDir) return thresholds(await readFile(join(rulesDir, 'rules.yaml')));
  if (!store || !(await store.listRepos()).some((r) => r.name === REPOS.rules) || !(await store.headCommit(REPOS.rules))) return [];
  const head = (await store.headCommit(REPOS.rules))!;
  const entry = (await store.listFiles(REPOS.rules, head.id)).find((f) => f.path === '/rules.yaml');
  return entry ? thresholds(await readFile(store.objectPath(entry.sha256))) : [];
}

/** The store at `root`, or null when there is none (a command that only reads must not create one). */
export async function existingStore(root: string | null): Promise<Store | null> {
  if (!root) return null;
  const { Store } = await import('../engine/store/store.js');
  return Store.open(root);
}

/** What the evaluation pipelines hold for the models at a branch: the model in use there, and its evaluation if made of that very commit. */
export interface StoredEvaluation {
  model: string;
  modelsCommit: string;
  evaluation: ModelEvaluation | null;
  /** The record it was read from. */
  ref?: FileRef;
  /** Why there is no current evaluation, when there is none. */
  missing?: string;
}

/**
 * The evaluation of the model detection uses on `models@branch`, as `repo` (model-eval or
 * model-eval-shadow) holds it; null with a reason when the pipeline has not evaluated that
 * models commit (yet).
 */
export async function storedEvaluation(store: Store, branch: string, repo: string): Promise<StoredEvaluation> {
  const { modelInUse } = await import('../../steps/detect/model.js');
  const head = await store.headCommit(REPOS.models, branch);
  if (!head) throw new VigilError(`${REPOS.models}@${branch} has no commit`);
  const folders = [...new Set((await store.listFiles(REPOS.models, head.id)).map((f) => f.path.split('/')[1]).filter((p) => p))];
  const model = modelInUse(folders);
  const out: StoredEvaluation = { model, modelsCommit: head.id, evaluation: null };
  if (!(await store.listRepos()).some((r) => r.name === repo)) {
    return { ...out, missing: `there is no ${repo} repo: \`vigil init\` (or \`vigil model shadow\`) creates its pipeline` };
  }
  const evalHead = await store.headCommit(repo);
  const entry = evalHead && (await store.listFiles(repo, evalHead.id)).find((f) => f.path === evaluationPath(model));
  if (!entry) return { ...out, missing: `${repo} holds no evaluation of ${model} (run \`vigil run ${repo}\`)` };
  const evaluation = assertValid(
    'model-evaluation',
    JSON.parse(await readFile(store.objectPath(entry.sha256), 'utf8')),
    `${repo}:${entry.path}`,
  );
  if (evaluation.model.commit !== head.id) {
    return {
      ...out,
      missing: `${repo} evaluated ${model}@${evaluation.model.commit}, not ${REPOS.models}@${branch} (${head.id}); run \`vigil run ${repo}\``,
    };
  }
  const ref = { repo, commit: evalHead.id, path: entry.path, sha256: entry.sha256, size: entry.size };
  return { ...out, evaluation, ref };
}
