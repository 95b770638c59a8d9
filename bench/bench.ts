/** What one benchmark measured: its figure and the baseline measured in the same run on the same input. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  /** How the figure must compare with its target, e.g. `>=0.5` (ratio) or `<=2` (value). */
  target: string;
  /** Whether `target` applies to `ratio` (value / baseline) or to `value` itself. */
  targetOn: 'ratio' | 'value';
  /** Readable lines printed before the BENCH line. */
  notes?: string[];
}

export interface Bench {
  name: string;
  describe: string;
  run(): Promise<BenchResult | BenchResult[]>;
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

/** The one machine-readable line: `BENCH name=... value=... unit=... baseline=... ratio=... target=... ok=yes|no`. */
export function benchLine(r: BenchResult): string {
  const ratio = r.baseline === 0 ? 0 : r.value / r.baseline;
  const subject = r.targetOn === 'ratio' ? ratio : r.value;
  const m = /^(>=|<=|>|<)([0-9.]+)$/.exec(r.target);
  if (!m) throw new Error(`bench ${r.name}: target "${r.target}" is not OPN (>=, <=, >, < and a number)`);
  const limit = Number(m[2]);
  const ok = { '>=': subject >= limit, '<=': subject <= limit, '>': subject > limit, '<': subject < limit }[m[1]]!;
  return `BENCH name=${r.name} value=${round(r.value)} unit=${r.unit} baseline=${round(r.baseline)} ratio=${round(ratio)} target=${r.target} ok=${ok ? 'yes' : 'no'}`;
}
