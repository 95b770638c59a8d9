/** How `vigil model eval` prints an evaluation: the headline metrics, then a row per class and rule threshold. */
import type { ModelEvaluation } from '../../specs/index.js';
import { operatingPoint } from '../../steps/detect/evaluation.js';
import type { RuleThreshold } from '../../steps/detect/rule-scores.js';
import { printTable } from './output.js';

const fixed = (x: number | null, digits = 3) => (x === null ? '-' : x.toFixed(digits));

export function printEvaluation(evaluation: ModelEvaluation, rules: readonly RuleThreshold[]): void {
  const { model, evalSet } = evaluation;
  const labelled = evaluation.classes.reduce((n, c) => n + c.groundTruth, 0);
  const set = evalSet.annotations;
  process.stdout.write(
    `${model.name}@${model.commit} (weights ${model.weightsSha256.slice(0, 12)}, ${model.backend}) on ${set.repo}${set.commit ? `@${set.commit}` : ''}: ` +
      `${evalSet.images.length} images, ${labelled} labelled objects\n` +
      `AP@[.5:.95] ${fixed(evaluation.ap)}   AP@0.5 ${fixed(evaluation.ap50)}\n\n`,
  );
  const rows: string[][] = [];
  for (const c of evaluation.classes) {
    const base = [c.label, String(c.groundTruth), fixed(c.ap50), fixed(c.ap)];
    const using = rules.filter((r) => r.classes.includes(c.label));
    const thresholds = [...new Set(using.map((r) => r.minScore))].sort((a, b) => a - b);
    if (thresholds.length === 0) rows.push([...base, '-', '', '', '']);
    for (const minScore of thresholds) {
      const p = operatingPoint(c, minScore);
      const ids = using.filter((r) => r.minScore === minScore).map((r) => r.ruleId);
      rows.push([
        ...base,
        minScore.toFixed(2),
        ids.join(','),
        fixed(p.precision, 2),
        p.recall === null ? '-' : `${p.recall.toFixed(2)} (${p.truePositives}/${c.groundTruth})`,
      ]);
    }
  }
  printTable(['CLASS', 'LABELLED', 'AP@0.5', 'AP', 'MIN SCORE', 'RULES', 'PRECISION', 'RECALL'], rows);
}
