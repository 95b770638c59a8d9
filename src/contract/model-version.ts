import { createHash } from 'node:crypto';

/**
 * A detector's version as every detection records it: the sha256 over its weight files'
 * bytes, the files taken in path order (not manifest order, so regrouping the same weights
 * does not make a new version). The detect step computes it and `vigil trace` re-checks it.
 */
export function weightsSha256(files: ReadonlyMap<string, Uint8Array>): string {
  const hash = createHash('sha256');
  for (const path of [...files.keys()].sort()) hash.update(files.get(path)!);
  return hash.digest('hex');
}

/** The weight files a TensorFlow.js model.json names, in manifest order (the order the weights concatenate in). */
export function weightFiles(modelJson: { weightsManifest: Array<{ paths: string[] }> }): string[] {
  return modelJson.weightsManifest.flatMap((group) => group.paths);
}
