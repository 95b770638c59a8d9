/**
 * Gated promotion of the candidate model and its rollback: models@master moves to
 * models@candidate's commit only when the candidate's evaluation (model-eval-shadow) is not worse
 * than the current model's (model-eval) beyond a margin, or with --force; models@previous keeps
 * the head it replaced, and every move is a record in the promotions repo.
 */
import { readFile } from 'node:fs/promises';
import type { Promotion } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { formatTimestamp } from '../contract/frame-path.js';
import { MODEL_BRANCHES, REPOS } from '../contract/repos.js';
import type { CommitInfo, Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { storedEvaluation, type StoredEvaluation } from './model-eval.js';
import { promotionGate } from './promotion-gate.js';

export interface PromoteOptions {
  margin: number;
  force: boolean;
  reason?: string;
}

async function head(store: Store, branch: string, what: string): Promise<CommitInfo> {
  const commit = await store.headCommit(REPOS.models, branch);
  if (!commit) throw new VigilError(`${REPOS.models}@${branch} has no commit: ${what}`);
  return commit;
}

/** Makes sure the pipelines exist (model-eval-shadow is created from pipelines/shadow/ when missing) and runs them. */
async function evaluateBoth(store: Store): Promise<void> {
  const { listPipelines, putPipeline } = await import('../engine/pps/pipelines.js');
  const { shadowSpecs } = await import('./model-shadow.js');
  const existing = new Set((await listPipelines(store)).map((p) => p.name));
  if (!existing.has(REPOS.modelEval)) throw new VigilError(`pipeline ${REPOS.modelEval} not found: run \`vigil init\``);
  if (!existing.has(REPOS.modelEvalShadow)) {
    const spec = (await shadowSpecs(null)).find((s) => s.spec.name === REPOS.modelEvalShadow)!.spec;
    await putPipeline(store, spec, { update: false });
  }
  const { runWithProgress } = await import('./commands/run.js');
  for (const pipeline of [REPOS.modelEval, REPOS.modelEvalShadow]) {
    const { outcomes, aborted } = await runWithProgress(store, pipeline);
    if (aborted) throw new VigilError('interrupted: models@master was not moved');
    const failed = outcomes.find((o) => (o.job ?? o.last)?.state === 'JOB_FAILURE');
    if (failed) throw new VigilError(`${failed.pipeline} failed: ${(failed.job ?? failed.last)!.reason}; models@master was not moved`);
  }
}

function summary(e: StoredEvaluation): { evaluation: NonNullable<StoredEvaluation['ref']>; ap: number | null; ap50: number | null } {
  return { evaluation: e.ref!, ap: e.evaluation!.ap, ap50: e.evaluation!.ap50 };
}

async function record(store: Store, promotion: Promotion): Promise<string> {
  const path = `/${formatTimestamp(new Date(promotion.at))}-${promotion.action}.json`;
  if (!(await store.listRepos()).some((r) => r.name === REPOS.promotions)) {
    await store.createRepo(REPOS.promotions, { description: 'every promotion and rollback of models@master: /<time>-<action>.json' });
  }
  const bytes = Buffer.from(`${JSON.stringify(assertValid('promotion', promotion, 'promotion record'), null, 2)}\n`);
  await store.commit(
    REPOS.promotions,
    'master',
    { put: [{ path, ...(await store.addObject(bytes)) }] },
    { description: `vigil model ${promotion.action}` },
  );
  return path;
}

/** Promotes the candidate if the gate passes (or `force`); returns the record and where it lies. Throws, moving nothing, when refused. */
export async function promote(
  store: Store,
  opts: PromoteOptions,
  log: (line: string) => void,
): Promise<{ promotion: Promotion; path: string }> {
  const current = await head(store, MODEL_BRANCHES.current, 'run `vigil init`');
  const candidate = await head(
    store,
    MODEL_BRANCHES.candidate,
    'commit the model to try there first (vigil put file -r models@candidate:/ -f DIR)',
  );
  if (current.id === candidate.id)
    throw new VigilError(`${REPOS.models}@candidate is ${REPOS.models}@master already (commit ${current.id})`);
  await evaluateBoth(store);
  const now = await storedEvaluation(store, MODEL_BRANCHES.current, REPOS.modelEval);
  const next = await storedEvaluation(store, MODEL_BRANCHES.candidate, REPOS.modelEvalShadow);
  for (const e of [now, next]) if (!e.evaluation) throw new VigilError(`cannot promote: ${e.missing}`);
  const gate = promotionGate(now.evaluation!, next.evaluation!, opts.margin);
  log(`candidate ${next.model}@${candidate.id} against current ${now.model}@${current.id} on the labelled set:`);
  for (const line of gate.lines) log(`  ${line}`);
  if (!gate.passed && !opts.force) {
    throw new VigilError(
      `promotion refused: the candidate is worse than the current model beyond the margin ${opts.margin}; ${REPOS.models}@master stays at ${current.id}` +
        ' (--margin widens it; --force promotes anyway, and the record says so)',
    );
  }
  const promotion: Promotion = {
    action: 'promote',
    at: new Date().toISOString(),
    from: { commit: current.id, model: now.model },
    to: { commit: candidate.id, model: next.model },
    gate: { margin: opts.margin, current: summary(now), candidate: summary(next), passed: gate.passed },
    ...(opts.force && !gate.passed ? { forced: true } : {}),
    ...(opts.reason ? { reason: opts.reason } : {}),
  };
  await store.setBranchHead(REPOS.models, MODEL_BRANCHES.previous, current.id);
  await store.setBranchHead(REPOS.models, MODEL_BRANCHES.current, candidate.id);
  return { promotion, path: await record(store, promotion) };
}

/** The promotions recorded, oldest first, with their paths. */
async function history(store: Store): Promise<Array<{ path: string; promotion: Promotion }>> {
  const exists = (await store.listRepos()).some((r) => r.name === REPOS.promotions);
  const commit = exists ? await store.headCommit(REPOS.promotions) : null;
  if (!commit) return [];
  const files = (await store.listFiles(REPOS.promotions, commit.id)).sort((a, b) => (a.path < b.path ? -1 : 1));
  return Promise.all(
    files.map(async (f) => ({
      path: f.path,
      promotion: assertValid('promotion', JSON.parse(await readFile(store.objectPath(f.sha256), 'utf8')), `${REPOS.promotions}:${f.path}`),
    })),
  );
}

/** Moves models@master back to where the last promotion found it, and records that. */
export async function rollback(store: Store, reason: string | undefined): Promise<{ promotion: Promotion; path: string }> {
  const last = (await history(store)).at(-1);
  if (!last) throw new VigilError('nothing to roll back: no promotion is recorded in the promotions repo');
  if (last.promotion.action === 'rollback') {
    throw new VigilError(`nothing to roll back: the last promotion was rolled back already (${REPOS.promotions}:${last.path})`);
  }
  const current = await head(store, MODEL_BRANCHES.current, 'nothing to roll back');
  if (current.id !== last.promotion.to.commit) {
    throw new VigilError(
      `${REPOS.models}@master is at ${current.id}, not ${last.promotion.to.commit} as the last promotion left it: something was committed since; ` +
        `choose the commit yourself: vigil create branch ${REPOS.models}@master --head <commit>`,
    );
  }
  const promotion: Promotion = {
    action: 'rollback',
    at: new Date().toISOString(),
    from: last.promotion.to,
    to: last.promotion.from,
    undoes: last.path,
    ...(reason ? { reason } : {}),
  };
  await store.setBranchHead(REPOS.models, MODEL_BRANCHES.current, last.promotion.from.commit);
  return { promotion, path: await record(store, promotion) };
}
