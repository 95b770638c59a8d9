import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelEvaluation, SubscriptionsFile } from '../../../specs/index.js';
import { MODEL_BRANCHES, REPOS } from '../../contract/repos.js';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { findStoreRoot } from '../open-store.js';

/**
 * The evaluation to hold rule thresholds against: `--eval-report`, else what model-eval holds
 * for the model detection uses at models@master in the store, if there is a store and it does;
 * otherwise null and why.
 */
async function currentEvaluation(
  report: string | undefined,
  root: string | null,
): Promise<{ evaluation: ModelEvaluation | null; why?: string }> {
  if (report) {
    const { assertValid } = await import('../../../specs/index.js');
    return { evaluation: assertValid('model-evaluation', JSON.parse(await readFile(report, 'utf8')), report) };
  }
  const { existingStore, storedEvaluation } = await import('../model-eval.js');
  const store = await existingStore(root);
  if (!store || !(await store.listRepos()).some((r) => r.name === REPOS.models) || !(await store.headCommit(REPOS.models))) {
    return {
      evaluation: null,
      why: root ? `no models commit in the store ${root}` : 'no store found (--root, VIGIL_ROOT or a .vigil folder)',
    };
  }
  const stored = await storedEvaluation(store, MODEL_BRANCHES.current, REPOS.modelEval);
  return { evaluation: stored.evaluation, why: stored.missing };
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'rules',
    noun: 'check',
    positionals: '<dir>',
    describe: 'check rules.yaml and subscriptions.yaml in DIR as the match stage will, before committing them to the rules repo',
    builder: (y) =>
      withRoot(y)
        .positional('dir', { type: 'string', describe: 'folder holding rules.yaml and subscriptions.yaml' })
        .option('models', {
          type: 'string',
          describe:
            'folder laid out like the models repo (/<model>/model.yaml) whose labels rule classes must be; default: the default model',
        })
        .option('eval-report', {
          type: 'string',
          describe:
            "a model evaluation (vigil model eval --raw) to hold minScores against; default: model-eval's for models@master in the store",
        })
        .option('recall', {
          type: 'number',
          default: 0.9,
          describe: 'the recall (0-1) a suggested minScore must keep on the evaluation set',
        }),
    handler: async (args) => {
      const { compilePolicy, readModelLabels, readPolicyFiles } = await import('../../../steps/match/rules.js');
      const dir = resolve(args.dir);
      const labels = args.models
        ? await readModelLabels(resolve(args.models), args.models)
        : await import('../../../steps/detect/default-model.js').then((m) => [{ model: m.DEFAULT_MODEL_NAME, labels: m.COCO_LABELS }]);
      const loaded = compilePolicy(await readPolicyFiles(dir, args.dir), labels);
      const { customerRetention } = await import('../retention.js');
      const { parse: parseYaml } = await import('yaml');
      const subscriptions = parseYaml(await readFile(join(dir, 'subscriptions.yaml'), 'utf8')) as SubscriptionsFile | null;
      const problems = customerRetention(subscriptions, 'subscriptions.yaml').flatMap((c) => c.problem ?? []);
      if (problems.length > 0) throw new VigilError(problems.join('\n'));
      const { ruleCount, users, deviceCount } = loaded.policy;
      process.stdout.write(
        `ok: ${ruleCount} rule(s), ${users.size} user(s), ${deviceCount} device subscription(s); ` +
          `classes checked against ${labels.map((m) => `${m.model} (${m.labels.length} labels)`).join(', ')}\n`,
      );
      const { evaluation, why } = await currentEvaluation(args.evalReport, findStoreRoot(args));
      if (!evaluation) return void process.stdout.write(`scores not checked: ${why}\n`);
      const { ruleThresholds } = await import('../../../steps/match/rules.js');
      const { checkRuleScores } = await import('../../../steps/detect/rule-scores.js');
      const rules = ruleThresholds(await readFile(join(dir, 'rules.yaml')));
      const { warnings, unchecked } = checkRuleScores(rules, evaluation, args.recall);
      const { model, evalSet } = evaluation;
      process.stdout.write(
        `scores checked against ${model.name}@${model.commit} on ${evalSet.annotations.repo}${evalSet.annotations.commit ? `@${evalSet.annotations.commit}` : ''} ` +
          `(${evalSet.images.length} images): ${warnings.length} warning(s)\n`,
      );
      for (const line of [...warnings.map((w) => `warning: ${w}`), ...unchecked.map((u) => `note: ${u}`)])
        process.stdout.write(`${line}\n`);
    },
  }),
];
