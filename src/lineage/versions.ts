import { StoreDamageError } from '../engine/store/damage.js';
import type { ModelVersion, RulesVersion } from '../../specs/index.js';
import { weightFiles, weightsSha256 } from '../contract/model-version.js';
import { REPOS } from '../contract/repos.js';
import { memo, type StoreView } from './store-view.js';

/**
 * The versions records name, re-checked against the store once per trace each: a detection's
 * model (by folder and commit of the models repo, the detections pipeline's input) and a match's
 * rules commit.
 */
export class VersionChecks {
  private readonly models = new Map<string, Promise<string[]>>();
  private readonly rules = new Map<string, Promise<string[]>>();

  constructor(private readonly view: StoreView) {}

  /** The model's commit exists and its weight files still hash to the recorded version. */
  modelProblems(model: ModelVersion): Promise<string[]> {
    return memo(this.models, `${model.commit}/${model.name}/${model.weightsSha256}`, async () => {
      const where = `model ${model.name} at ${REPOS.models}@${model.commit}`;
      if (!(await this.view.commit(REPOS.models, model.commit))) {
        return [`commit ${model.commit} of the model ${model.name} is missing from repo ${REPOS.models}`];
      }
      const tree = await this.view.tree(REPOS.models, model.commit);
      const manifest = tree.get(`/${model.name}/model.json`);
      if (!manifest) return [`${where}: no /${model.name}/model.json`];
      let paths: string[];
      try {
        paths = weightFiles(
          JSON.parse((await this.view.readObject(manifest.sha256, `${REPOS.models}@${model.commit}:${manifest.path}`)).toString('utf8')),
        );
      } catch (e) {
        if (e instanceof StoreDamageError) return [e.message];
        return [`${where}: model.json has no readable weightsManifest: ${(e as Error).message}`];
      }
      const weights = new Map<string, Uint8Array>();
      for (const path of paths) {
        const file = tree.get(`/${model.name}/${path}`);
        if (!file) return [`${where}: the weight file ${path} is missing`];
        try {
          weights.set(path, await this.view.readObject(file.sha256, `${REPOS.models}@${model.commit}:${file.path}`));
        } catch (e) {
          if (e instanceof StoreDamageError) return [e.message];
          throw e;
        }
      }
      const actual = weightsSha256(weights);
      return actual === model.weightsSha256
        ? []
        : [`${where}: the weight files hash to ${actual}, not the recorded ${model.weightsSha256}`];
    });
  }

  /** The rules commit exists and its rules.yaml and subscriptions.yaml still hash to what the match recorded. */
  rulesProblems(rules: RulesVersion): Promise<string[]> {
    return memo(this.rules, `${rules.repo}@${rules.commit}/${rules.rulesSha256}/${rules.subscriptionsSha256}`, async () => {
      if (!(await this.view.commit(rules.repo, rules.commit))) return [`rules commit ${rules.commit} is missing from repo ${rules.repo}`];
      const tree = await this.view.tree(rules.repo, rules.commit);
      const problems: string[] = [];
      for (const [path, recorded] of [
        ['/rules.yaml', rules.rulesSha256],
        ['/subscriptions.yaml', rules.subscriptionsSha256],
      ] as const) {
        const file = tree.get(path);
        const actual = file ? await this.view.objectHash(file.sha256) : null;
        if (actual !== recorded) {
          problems.push(
            `${rules.repo}@${rules.commit}:${path} ${file ? `hashes to ${actual}` : 'is missing'}, not the recorded ${recorded}`,
          );
        }
      }
      return problems;
    });
  }
}
