/**
 * A datum-batching step for the engine tests, run by pipelines as `node dist/test/helpers/batch-step.js`.
 * For each datum it writes every file under `$PFS_ROOT/<input>/` (input `raw`, or $STEP_INPUT)
 * to out/ at the same path, upper-cased, and logs `pid <pid> datum <id>` on stderr. A file
 * holding `fail` makes the datum report an error over NextDatum; `crash` exits the process;
 * `dangle` puts a link to nothing in out/ instead, an output the engine cannot store.
 *
 * `node --test dist/test/` runs every file under test/, this one too: outside a pipeline
 * (no PFS_ROOT) it does nothing.
 */
import { readdir, readFile, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { forEachDatum } from '../../src/pfs/datums.js';
import { writeOutput } from '../../src/pfs/files.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

if (process.env.PFS_ROOT) {
  await forEachDatum(async ({ env }) => {
    process.stderr.write(`pid ${process.pid} datum ${env.PACH_DATUM_ID}\n`);
    const inputDir = join(pfsRoot(env), env.STEP_INPUT ?? 'raw');
    for (const file of await filesUnder(inputDir)) {
      const text = await readFile(file, 'utf8');
      if (text.includes('crash')) process.exit(3);
      if (text.includes('fail')) throw new Error(`cannot process ${relative(inputDir, file)}`);
      if (text.includes('dangle')) {
        await symlink(join(inputDir, 'nowhere'), join(outDir(env), relative(inputDir, file)));
        continue;
      }
      writeOutput(join(outDir(env), relative(inputDir, file)), text.toUpperCase());
    }
  });
}
