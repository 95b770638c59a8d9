/**
 * `vigil step evaluate`, the model-eval pipeline's step: runs one model of the models repo on
 * every image of the labelled set in the eval repo and writes its evaluation (COCO metrics,
 * evaluation.ts) with the provenance of both, `/<model>.json`. The same code serves `vigil
 * model eval`, which runs it outside the engine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CocoAnnotations, ModelEvaluation } from '../../specs/index.js';
import { assertValid, validatorFor, describeErrors } from '../../specs/index.js';
import { EVAL_SET, REPOS, evaluationPath } from '../../src/contract/repos.js';
import { forEachDatum } from '../../src/pfs/datums.js';
import { VigilError } from '../../src/pfs/errors.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { writeJsonOutput } from '../../src/pfs/files.js';
import { datumInput, inputCommit, type InputFile } from '../../src/pfs/inputs.js';
import { outDir } from '../../src/pfs/paths.js';
import { startBackend, type Runtime } from './backend.js';
import { evaluateDetections, type DetectedBox, type LabelledBox } from './evaluation.js';
import { detectInFrame } from './frame.js';
import { loadDetector, modelVersion, type Detector } from './model.js';

/** The eval repo as a step or the CLI sees it: where its files lie, and its name and commit for lineage. */
export interface EvalSetFolder {
  /** The repo's root on disk. */
  root: string;
  name: string;
  commit?: string;
}

const fileOf = (set: EvalSetFolder, repoPath: string): InputFile => ({
  name: set.name,
  ...(set.commit ? { commit: set.commit } : {}),
  path: join(set.root, repoPath),
  repoPath,
});

/** annotations.json, checked: the schema, then that every reference resolves and nothing is given twice. */
function checkAnnotations(bytes: Buffer, where: string): CocoAnnotations {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new VigilError(`${where} is not JSON: ${(e as Error).message}`);
  }
  const validate = validatorFor('coco-annotations');
  if (!validate(raw)) throw new VigilError(describeErrors(where, validate.errors).join('\n'));
  const problems: string[] = [];
  const unique = (kind: string, keys: Array<number | string>) => {
    const seen = new Set<number | string>();
    keys.forEach((k, i) => {
      if (seen.has(k)) problems.push(`${where}: ${kind}[${i}] repeats ${JSON.stringify(k)}`);
      seen.add(k);
    });
  };
  unique(
    'images',
    raw.images.map((i) => i.id),
  );
  unique(
    'images',
    raw.images.map((i) => i.file_name),
  );
  unique(
    'categories',
    raw.categories.map((c) => c.id),
  );
  unique(
    'categories',
    raw.categories.map((c) => c.name),
  );
  const images = new Set(raw.images.map((i) => i.id));
  const categories = new Set(raw.categories.map((c) => c.id));
  raw.annotations.forEach((a, i) => {
    if (!images.has(a.image_id)) problems.push(`${where}: annotations[${i}].image_id ${a.image_id} names no image`);
    if (!categories.has(a.category_id)) problems.push(`${where}: annotations[${i}].category_id ${a.category_id} names no category`);
    if (a.iscrowd === 1)
      problems.push(`${where}: annotations[${i}] is a crowd region (iscrowd 1), which Vigil does not evaluate; remove it`);
  });
  if (problems.length) throw new VigilError(problems.join('\n'));
  return raw;
}

/**
 * Runs the detector on every image of the set and evaluates what it found. An image that is
 * missing, cannot be decoded or is not the size annotations.json gives is the set's mistake:
 * a VigilError naming it.
 */
export async function evaluateModel(detector: Detector, modelCommit: string, set: EvalSetFolder): Promise<ModelEvaluation> {
  const annotationsFile = fileOf(set, EVAL_SET.annotations);
  const where = `${set.name}${set.commit ? `@${set.commit}` : ''}:${EVAL_SET.annotations}`;
  const annotationsBytes = await readFile(annotationsFile.path).catch(() => {
    throw new VigilError(`${where} is missing: the eval repo holds COCO annotations there and the images under ${EVAL_SET.images}/`);
  });
  const coco = checkAnnotations(annotationsBytes, where);
  const labelOf = new Map(coco.categories.map((c) => [c.id, c.name]));
  const truths: LabelledBox[] = coco.annotations.map((a) => ({
    image: a.image_id,
    label: labelOf.get(a.category_id)!,
    box: a.bbox as [number, number, number, number],
  }));
  const detections: DetectedBox[] = [];
  const images = [];
  for (const image of coco.images) {
    const file = fileOf(set, `${EVAL_SET.images}/${image.file_name}`);
    const shown = `${set.name}:${file.repoPath}`;
    const bytes = await readFile(file.path).catch(() => {
      throw new VigilError(`${shown} is missing: ${where} lists it (image ${image.id})`);
    });
    const result = await detectInFrame(detector, bytes);
    if (result.error) throw new VigilError(`${shown}: ${result.error}`);
    const { width, height } = result.frameSize;
    if (width !== image.width || height !== image.height) {
      throw new VigilError(`${shown} is ${width}x${height}, but ${where} says ${image.width}x${image.height} (image ${image.id})`);
    }
    for (const o of result.objects) {
      detections.push({
        image: image.id,
        label: o.label,
        score: o.score,
        box: [o.box.x * width, o.box.y * height, o.box.w * width, o.box.h * height],
      });
    }
    images.push(fileRef(file, bytes));
  }
  const evaluation = evaluateDetections(
    coco.images.map((i) => i.id),
    coco.categories.map((c) => c.name),
    truths,
    detections,
  );
  return assertValid(
    'model-evaluation',
    {
      model: modelVersion(detector, modelCommit),
      evalSet: { annotations: fileRef(annotationsFile, annotationsBytes), images },
      ...evaluation,
    },
    'model evaluation',
  );
}

/** The pipeline's step: a datum is one model folder of `models` (glob /*) crossed with the whole eval repo. */
export async function main(): Promise<void> {
  let runtime: Runtime | undefined;
  await forEachDatum(async ({ env }) => {
    const models = datumInput(env, REPOS.models);
    const name = models.repoPath.split('/')[1];
    if (!name || models.repoPath !== `/${name}`) throw new VigilError(`${models.name}:${models.repoPath} is not a model folder (/<model>)`);
    const commit = inputCommit(models);
    runtime ??= await startBackend(env);
    const detector = await loadDetector(models.root, name, runtime, `${models.name}@${commit}:`);
    try {
      const evalSet = datumInput(env, REPOS.eval);
      const evaluation = await evaluateModel(detector, commit, { root: evalSet.root, name: evalSet.name, commit: inputCommit(evalSet) });
      writeJsonOutput(join(outDir(env), evaluationPath(name)), evaluation);
    } finally {
      detector.model.dispose();
    }
  });
}
