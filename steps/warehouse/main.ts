import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { forEachDatum } from '../../src/pfs/datums.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { datumInput, inputFiles } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { datumRows, lineageColumns, unionBranch } from './core.js';
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
      const name = unionBranch(env);
      const input = datumInput(env, name);
      const files = inputFiles(input).map((file) => {
        const bytes = readFileSync(file.path);
        return { src: lineageColumns(fileRef(file, bytes)), text: bytes.toString('utf8') };
      });
      const { table, rows, loadErrors } = datumRows(name, files);
      const partition = `device=${basename(input.path)}`;
      const parquet = join(outDir(env), 'parquet');
      if (rows.length > 0) await writer.write(table, rows, join(parquet, table, partition, 'part.parquet'));
      if (loadErrors.length > 0) await writer.write('load_errors', loadErrors, join(parquet, 'load_errors', partition, `${table}.parquet`));
    });
  } finally {
    writer.close();
  }
}
