import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachDatum } from '../../src/pfs/datums.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { groupedInput, inputFiles } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { INPUTS, datumPartition, fileRows, lineageColumns, loadError, outputPaths, unionBranch, type LoadErrorRow } from './core.js';
import { ParquetWriter } from './parquet.js';

/**
 * `vigil step warehouse`: each datum is one input's record files of one camera and UTC day (a
 * group input per member of the union: detections, matches, alerts, validated/rejected). Its
 * rows become /parquet/<table>/day=<day>/camera=<user>-<device>/part.parquet, and the files that
 * could not be loaded /parquet/load_errors/day=<day>/camera=<user>-<device>/<table>.parquet.
 * Files are read one at a time and their rows streamed into the writer, so a datum of any size
 * holds one open file and one record in memory.
 */
export async function main(): Promise<void> {
  const writer = await ParquetWriter.open();
  try {
    await forEachDatum(async ({ env }) => {
      const name = unionBranch(env);
      const files = inputFiles(groupedInput(env, name));
      if (files.length === 0) return;
      const partition = datumPartition(
        name,
        files.map((f) => f.repoPath),
      );
      const out = await writer.begin(INPUTS[name].table);
      const loadErrors: LoadErrorRow[] = [];
      for (const file of files) {
        const bytes = readFileSync(file.path);
        const src = lineageColumns(fileRef(file, bytes));
        const result = fileRows(name, partition, src, bytes.toString('utf8'));
        if ('rows' in result) out.append(result.rows);
        else loadErrors.push(loadError(name, src, result.error));
      }
      const paths = outputPaths(name, partition, files[0].repoPath);
      const parquet = outDir(env);
      await out.finish(join(parquet, paths.rows));
      if (loadErrors.length > 0) await writer.write('load_errors', loadErrors, join(parquet, paths.loadErrors));
    });
  } finally {
    writer.close();
  }
}
