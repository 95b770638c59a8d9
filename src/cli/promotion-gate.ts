/** The promotion gate: is the candidate's evaluation not worse than the current model's beyond a margin? Pure. */

export interface Scores {
  /** AP@[.5:.95]; null when the set has no labelled object. */
  ap: number | null;
  ap50: number | null;
}

export interface GateVerdict {
  passed: boolean;
  /** One line per metric: both values and the difference, and whether it is within the margin. */
  lines: string[];
}

const METRICS = [
  ['AP@[.5:.95]', 'ap'],
  ['AP@0.5', 'ap50'],
] as const;

/** Passes when, for AP@[.5:.95] and AP@0.5 alike, the candidate is at least the current value minus `margin`. */
export function promotionGate(current: Scores, candidate: Scores, margin: number): GateVerdict {
  let passed = true;
  const lines = METRICS.map(([name, key]) => {
    const now = current[key];
    const next = candidate[key];
    if (now === null || next === null) {
      passed = false;
      return `${name}: no value (the evaluation set has no labelled object): nothing to compare`;
    }
    const delta = next - now;
    const ok = delta >= -margin - 1e-12;
    passed &&= ok;
    const sign = delta >= 0 ? '+' : '-';
    return `${name}: candidate ${next.toFixed(3)}, current ${now.toFixed(3)} (${sign}${Math.abs(delta).toFixed(3)}): ${ok ? 'within' : 'beyond'} the margin ${margin}`;
  });
  return { passed, lines };
}
