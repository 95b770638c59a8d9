/**
 * Rule thresholds held against what the model scores on the evaluation set: a rule whose
 * minScore for a class lies above every score the model gave a labelled object of that class
 * can never fire on one, and nothing else tells the person who wrote it. Pure: rules and an
 * evaluation in, sentences out.
 */
import type { ModelEvaluation } from '../../specs/index.js';
import { bestFoundScore, minScoreForRecall, operatingPoint } from './evaluation.js';

/** What a rule asks of each of its classes. */
export interface RuleThreshold {
  ruleId: number;
  classes: readonly string[];
  minScore: number;
}

export interface ScoreCheck {
  /** A threshold the model misses on the set: one sentence each, naming the rule, class and model, with a threshold that would do. */
  warnings: string[];
  /** Classes of a rule the set has no labelled object of, whose thresholds nothing checks. */
  unchecked: string[];
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
/** A suggested minScore, rounded down so that the detection it is taken from still passes. */
const floor2 = (x: number) => (Math.floor(x * 100 + 1e-9) / 100).toFixed(2);

/**
 * For every rule and class the set labels: a warning when the rule's minScore is above the best
 * score the model gave a labelled object of the class, or keeps fewer than `recall` (0-1) of
 * them; each suggests the highest minScore that keeps `recall`, when one does.
 */
export function checkRuleScores(rules: readonly RuleThreshold[], evaluation: ModelEvaluation, recall: number): ScoreCheck {
  const model = `${evaluation.model.name}@${evaluation.model.commit}`;
  const byLabel = new Map(evaluation.classes.filter((c) => c.groundTruth > 0).map((c) => [c.label, c]));
  const warnings: string[] = [];
  const unchecked: string[] = [];
  for (const rule of rules) {
    const missing = rule.classes.filter((label) => !byLabel.has(label));
    if (missing.length) unchecked.push(`rule ${rule.ruleId}: the evaluation set labels no ${missing.join(', ')}: unchecked`);
    for (const label of rule.classes) {
      const cls = byLabel.get(label);
      if (!cls) continue;
      const at = `${rule.minScore.toFixed(2)}`;
      const best = bestFoundScore(cls);
      const point = operatingPoint(cls, rule.minScore);
      const suggested = minScoreForRecall(cls, recall);
      const found = cls.detections.filter((d) => d.truePositive).length;
      const advice =
        suggested === null
          ? `no minScore finds ${percent(recall)} of them: the model finds ${found} of ${cls.groundTruth} at any score`
          : `minScore ${floor2(suggested)} finds ${operatingPoint(cls, Number(floor2(suggested))).truePositives} of ${cls.groundTruth} (recall ${percent(recall)} or more)`;
      if (best === null) {
        warnings.push(
          `rule ${rule.ruleId}: ${model} finds none of the ${cls.groundTruth} labelled ${label} of the evaluation set at any score; the rule cannot fire on one`,
        );
      } else if (best < rule.minScore) {
        warnings.push(
          `rule ${rule.ruleId}: no ${label} in the evaluation set scored above ${best.toFixed(2)} with ${model}; at ${at} the rule would miss all of them (${cls.groundTruth} labelled); ${advice}`,
        );
      } else if ((point.recall ?? 0) < recall) {
        warnings.push(
          `rule ${rule.ruleId}: at ${at} the rule would find ${point.truePositives} of the ${cls.groundTruth} labelled ${label} of the evaluation set with ${model} (${percent(point.recall ?? 0)}); ${advice}`,
        );
      }
    }
  }
  return { warnings, unchecked };
}
