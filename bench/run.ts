import type { Bench } from './bench.js';
import { benchLine } from './bench.js';

/**
 * Every benchmark by name, in pipeline order; `npm run bench -- NAME` runs the ones whose name
 * starts with NAME. Modules load only when chosen (some load TensorFlow or DuckDB).
 */
const BENCHES: Record<string, () => Promise<Bench>> = {
  'store-put': () => import('./store-put.js').then((m) => m.bench),
  'store-commit': () => import('./store-commit.js').then((m) => m.bench),
  'engine-overhead': () => import('./engine-overhead.js').then((m) => m.bench),
  'engine-incremental': () => import('./engine-incremental.js').then((m) => m.bench),
  'engine-job-start': () => import('./engine-job-start.js').then((m) => m.bench),
  validate: () => import('./validate.js').then((m) => m.bench),
  detect: () => import('./detect.js').then((m) => m.bench),
  match: () => import('./match.js').then((m) => m.bench),
  warehouse: () => import('./warehouse.js').then((m) => m.bench),
  ingest: () => import('./ingest.js').then((m) => m.bench),
  'frame-to-alert': () => import('./frame-to-alert.js').then((m) => m.bench),
  history: () => import('./history.js').then((m) => m.bench),
  portal: () => import('./portal.js').then((m) => m.bench),
  gc: () => import('./gc.js').then((m) => m.bench),
};

// Names come first; what follows the first `--option` is the benchmarks' own (e.g. `gc --objects 100000`).
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('--'));
const wanted = firstOption < 0 ? args : args.slice(0, firstOption);
const names = Object.keys(BENCHES);
const chosen = wanted.length ? names.filter((n) => wanted.some((w) => n.startsWith(w))) : names;
if (chosen.length === 0) {
  console.error(`no benchmark named ${wanted.join(', ')}; benchmarks: ${names.join(', ')}`);
  process.exit(1);
}
for (const name of chosen) {
  const bench = await BENCHES[name]();
  console.log(`# ${bench.name}: ${bench.describe}`);
  const results = [await bench.run()].flat();
  for (const r of results) {
    for (const note of r.notes ?? []) console.log(`  ${note}`);
    console.log(benchLine(r));
  }
}
