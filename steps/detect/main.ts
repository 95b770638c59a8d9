import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Detection } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { sha256, writeJsonOutput } from '../../src/pfs/files.js';
import { parseFramePath } from '../../src/contract/frame-path.js';
import { outDir, pfsRoot } from '../../src/pfs/paths.js';
import { VigilError } from '../../src/pfs/errors.js';
import { startBackend, type Runtime } from './backend.js';
import { detectInFrame } from './frame.js';
import { chooseModel, loadDetector, type Detector } from './model.js';

/** The input names pipelines/detections.yaml gives its cross. */
const FRAMES = 'validated';
const MODELS = 'models';
/** validate writes accepted frames under this folder of its repo. */
const VALID_FOLDER = 'valid';

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
      const commit = env[`${MODELS}_COMMIT`];
      if (!commit) throw new VigilError(`${MODELS}_COMMIT is not set: the step needs the models input's commit for lineage`);
      const modelsDir = env[MODELS] || join(pfsRoot(env), MODELS);
      const name = await chooseModel(modelsDir, env);
      const key = `${modelsDir}\n${name}\n${commit}`;
      if (loaded?.key !== key) {
        runtime ??= await startBackend(env);
        loaded?.detector.model.dispose();
        // Errors name the file as the models repo holds it, not the worker's scratch copy.
        loaded = { key, detector: await loadDetector(modelsDir, name, runtime, `${MODELS}@${commit}:`) };
      }
      return { detector: loaded.detector, commit };
    });

  await forEachDatum(async ({ env }) => {
    const { detector, commit } = await detectorFor(env);
    const framePath = env[FRAMES];
    if (!framePath) throw new VigilError(`this datum has no ${FRAMES} input`);
    const repoPath = '/' + relative(join(pfsRoot(env), FRAMES), framePath).split(sep).join('/');
    const inValid = repoPath.startsWith(`/${VALID_FOLDER}/`) ? repoPath.slice(VALID_FOLDER.length + 1) : repoPath;
    const parsed = parseFramePath(inValid);
    if ('error' in parsed) throw new VigilError(`${FRAMES}:${repoPath} is not a validated frame: ${parsed.error}`);

    const bytes = await readFile(framePath);
    const result = await detectInFrame(detector, bytes);
    const record: Detection = {
      user: parsed.user,
      device: parsed.device,
      capturedAt: parsed.capturedAt.toISOString(),
      frame: { repo: FRAMES, commit: env[`${FRAMES}_COMMIT`], path: repoPath, sha256: sha256(bytes), size: bytes.length },
      frameSize: result.frameSize,
      model: { name: detector.name, commit, weightsSha256: detector.weightsSha256, backend: detector.runtime.backend },
      objects: result.objects,
      inferenceMs: result.inferenceMs,
      ...(result.error ? { error: result.error } : {}),
    };
    writeJsonOutput(join(outDir(env), parsed.source, `${parsed.ts}.json`), assertValid('detection', record, 'detection record'));
  });
}
