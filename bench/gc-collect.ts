/**
 * The gc bench's measured process (bench/gc.ts): `list` reads every object's name and mtime,
 * `collect` runs the collection `vigil gc` runs (grace 0: every object was written before it starts); prints the seconds, its peak
 * memory and what it did as one JSON line.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { markJobStates } from '../src/engine/pps/gc-roots.js';
import { collectGarbage } from '../src/engine/store/gc.js';
import { Store } from '../src/engine/store/store.js';

const [root, mode] = process.argv.slice(2) as [string, 'list' | 'collect'];
const started = performance.now();
let result: Record<string, unknown>;
if (mode === 'list') {
  const objectsDir = join(root, 'objects');
  let listed = 0;
  for (const fan of readdirSync(objectsDir)) {
    for (const name of readdirSync(join(objectsDir, fan))) {
      lstatSync(join(objectsDir, fan, name));
      listed++;
    }
  }
  result = { listed };
} else {
  const report = await collectGarbage(await Store.open(root), { graceMs: 0, marks: [markJobStates] });
  result = { report };
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, ...result })}\n`);
