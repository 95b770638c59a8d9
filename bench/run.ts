import type { Bench } from './bench.js';
import { benchLine } from './bench.js';

/** Every benchmark, by name; `npm run bench -- NAME` runs the ones whose name starts with NAME. */
const BENCHES: Array<() => Promise<Bench>> = [];

const wanted = process.argv.slice(2);
const benches = await Promise.all(BENCHES.map((load) => load()));
const chosen = wanted.length ? benches.filter((b) => wanted.some((w) => b.name === w || b.name.startsWith(w))) : benches;
if (chosen.length === 0) {
  console.error(`no benchmark named ${wanted.join(', ')}; benchmarks: ${benches.map((b) => b.name).join(', ')}`);
  process.exit(1);
}
for (const bench of chosen) {
  console.log(`# ${bench.name}: ${bench.describe}`);
  const results = [await bench.run()].flat();
  for (const r of results) {
    for (const note of r.notes ?? []) console.log(`  ${note}`);
    console.log(benchLine(r));
  }
}
