/**
 * What a pipeline's job records name for the garbage collector (store/gc.ts): the nodes of each
 * job's datum state (datum-state.ts) and the outputs its datums record. Every job record counts,
 * failed ones included (`list datum` reads their state), until its pipeline is deleted.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { jsonFiles, type Mark, modifiedSince, readJson } from '../store/gc.js';
import { DatumTrees } from './datum-state.js';
import type { JobRecord } from './job-records.js';
import { ppsDir } from './pipelines.js';

export const markJobStates: Mark = async (store, live, sinceMs) => {
  const trees = new DatumTrees(store);
  const jobsDir = join(ppsDir(store.root), 'jobs');
  for (const pipeline of jsonFolders(jobsDir)) {
    const dir = join(jobsDir, pipeline);
    for (const name of jsonFiles(dir)) {
      const path = join(dir, name);
      if (name === 'latest.json' || !modifiedSince(path, sinceMs)) continue;
      const roots = readJson<JobRecord>(path)?.datums;
      if (!roots) continue;
      trees.datums.walkNodes(roots.datums, live, (datum) => {
        for (const output of datum.outputs) live.add(output.sha256);
      });
      trees.outputs.walkNodes(roots.outputs, live, () => {});
      trees.keys.walkNodes(roots.keys, live, () => {});
    }
  }
};

function jsonFolders(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
