import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Detection } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { REPOS, frameRecordPath, parseValidFramePath } from '../../src/contract/repos.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { VigilError } from '../../src/pfs/errors.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { writeJsonOutput } from '../../src/pfs/files.js';
import { datumInput, inputCommit } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { startBackend, type Runtime } from './backend.js';
import { detectInFrame } from './frame.js';
import { chooseModel, loadDetector, modelVersion, type Detector } from './model.js';

/**
 * A model problem (missing file, sha256 mismatch, unusable config) must fail the whole job at
 * once, not each datum in turn, so it ends the worker process instead of failing the datum.
 */
async function orExit<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    process.stderr.write(`vigil: ${e instanceof VigilError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  }
}

interface Loaded {
  key: string;
  detector: Detector;
}

/** `vigil step detect`: one detection record per validated frame, with the model version that made it. */
export async function main(): Promise<void> {
  let runtime: Runtime | undefined;
  let loaded: Loaded | undefined;

  // Loaded on the first datum (its files arrive with it) and again only if the models commit changes.
  const detectorFor = (env: Record<string, string>): Promise<{ detector: Detector; commit: string }> =>
    orExit(async () => {
      const models = datumInput(env, REPOS.models);
      const commit = inputCommit(models);
      const name = await chooseModel(models.path, env);
      const key = `${models.path}\n${name}\n${commit}`;
      if (loaded?.key !== key) {
        runtime ??= await startBackend(env);
        loaded?.detector.model.dispose();
        // Errors name the file as the models repo holds it, not the worker's scratch copy.
        loaded = { key, detector: await loadDetector(models.path, name, runtime, `${models.name}@${commit}:`) };
      }
      return { detector: loaded.detector, commit };
    });

  await forEachDatum(async ({ env }) => {
    const { detector, commit } = await detectorFor(env);
    const frame = datumInput(env, REPOS.validated);
    const parsed = parseValidFramePath(frame.repoPath);
    if ('error' in parsed) throw new VigilError(`${frame.name}:${frame.repoPath} is not a validated frame: ${parsed.error}`);

    const bytes = await readFile(frame.path);
    const result = await detectInFrame(detector, bytes);
    const record: Detection = {
      user: parsed.user,
      device: parsed.device,
      capturedAt: parsed.capturedAt.toISOString(),
      frame: fileRef(frame, bytes),
      frameSize: result.frameSize,
      model: modelVersion(detector, commit),
      objects: result.objects,
      inferenceMs: result.inferenceMs,
      ...(result.error ? { error: result.error } : {}),
    };
    writeJsonOutput(join(outDir(env), frameRecordPath(parsed)), assertValid('detection', record, 'detection record'));
  });
}
