import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { forEachDatum } from '../../src/pfs/datums.js';
import { sha256 } from '../../src/pfs/files.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';
import { datumInput, datumRows, type Lineage } from './core.js';
import { ParquetWriter } from './parquet.js';

/**
 * `vigil step warehouse`: each datum is one device's records of one input of the union
 * (detections, matches, alerts, validated/rejected); its rows become
 * /parquet/<table>/device=<user>-<device>/part.parquet, and files that could not be loaded
 * /parquet/load_errors/device=<user>-<device>/<table>.parquet.
 */
export async function main(): Promise<void> {
  const writer = await ParquetWriter.open();
  try {
    await forEachDatum(async ({ env }) => {
      const input = datumInput(env);
      const inputRoot = join(pfsRoot(env), input.name);
      const files = await Promise.all(
        (await filesUnder(input.path)).map(async (file) => {
          const bytes = await readFile(file);
          const src: Lineage = { repo: input.name, path: repoPath(inputRoot, file), sha256: sha256(bytes), commit: input.commit };
          return { src, text: bytes.toString('utf8') };
        }),
      );
      const { table, rows, loadErrors } = datumRows(input.name, files);
      const partition = `device=${basename(input.path)}`;
      const parquet = join(outDir(env), 'parquet');
      if (rows.length > 0) await writer.write(table, rows, join(parquet, table, partition, 'part.parquet'));
      if (loadErrors.length > 0) await writer.write('load_errors', loadErrors, join(parquet, 'load_errors', partition, `${table}.parquet`));
    });
  } finally {
    writer.close();
  }
}

/** Every file at or below `path`, sorted. */
async function filesUnder(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The file's path in its repo: `/u1-cam1/20261126T041500Z.json`. */
function repoPath(inputRoot: string, file: string): string {
  return '/' + relative(inputRoot, file).split(sep).join('/');
}
