import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { io } from '@tensorflow/tfjs';
import type { DetectorOutput, ModelConfig, ModelVersion } from '../../specs/index.js';
import { assertValid } from '../../specs/index.js';
import { sha256 } from '../../src/pfs/files.js';
import { weightFiles, weightsSha256 } from '../../src/contract/model-version.js';
import { VigilError } from '../../src/pfs/errors.js';
import type { Runtime, Tf } from './backend.js';
import type { OutputTensor, Size } from './core.js';
import { DEFAULT_MODEL_NAME } from './default-model.js';
import { decodeOutput, detectorOutput, outputTensorNames } from './output.js';

type GraphModel = Awaited<ReturnType<Tf['loadGraphModel']>>;
type ModelArtifacts = io.ModelArtifacts;

/** A loaded, verified, warmed-up detector and everything a detection record says about it. */
export interface Detector {
  name: string;
  weightsSha256: string;
  config: ModelConfig;
  /** How to read the detections: config.output, or the rows its older fields describe. */
  output: DetectorOutput;
  labels: readonly string[];
  input: Size;
  inputLayout: 'nhwc' | 'nchw';
  inputName: string;
  inputDtype: 'float32' | 'int32';
  model: GraphModel;
  /** Graphs with control flow or dynamic shapes (e.g. NMS inside) only run with executeAsync. */
  needsAsync: boolean;
  runtime: Runtime;
}

/** The model version every record made with the detector carries: folder, models commit, weights, backend. */
export function modelVersion(detector: Detector, commit: string): ModelVersion {
  return { name: detector.name, commit, weightsSha256: detector.weightsSha256, backend: detector.runtime.backend };
}

/** Of the model folders of a models commit, the one detection uses: `VIGIL_MODEL`, else the only folder, else `centernet`. */
export function modelInUse(folders: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIGIL_MODEL) return env.VIGIL_MODEL;
  return folders.length === 1 ? folders[0] : DEFAULT_MODEL_NAME;
}

/** modelInUse for the models input laid out in `modelsDir`. */
export async function chooseModel(modelsDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.VIGIL_MODEL) return env.VIGIL_MODEL;
  const entries = await readdir(modelsDir, { withFileTypes: true }).catch(() => {
    throw new VigilError(`the models input ${modelsDir} is missing`);
  });
  return modelInUse(
    entries.filter((e) => e.isDirectory()).map((e) => e.name),
    env,
  );
}

/** A model's folder, and how errors name it (a repo path in a pipeline, the folder elsewhere). */
interface ModelFolder {
  dir: string;
  shown: string;
}

function fail(folder: ModelFolder, file: string, problem: string): never {
  throw new VigilError(`model file ${folder.shown}/${file} ${problem}`);
}

async function readModelFile(folder: ModelFolder, file: string): Promise<Buffer> {
  return readFile(join(folder.dir, file)).catch(() => fail(folder, file, 'is missing'));
}

function parseJson(folder: ModelFolder, file: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    fail(folder, file, `is not JSON: ${(e as Error).message}`);
  }
}

/** Reads and checks model.yaml. */
async function readConfig(folder: ModelFolder): Promise<{ config: ModelConfig; output: DetectorOutput }> {
  const text = (await readModelFile(folder, 'model.yaml')).toString('utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    fail(folder, 'model.yaml', `is not YAML: ${(e as Error).message}`);
  }
  let config: ModelConfig;
  try {
    config = assertValid('model-config', raw, `model file ${folder.shown}/model.yaml`);
  } catch (e) {
    throw new VigilError((e as Error).message);
  }
  const output = detectorOutput(config);
  if ('error' in output) fail(folder, 'model.yaml', `is unusable: ${output.error}`);
  return { config, output };
}

/** Checks every file model.yaml lists a sha256 for, before anything is parsed from it. */
async function verifyHashes(folder: ModelFolder, config: ModelConfig): Promise<void> {
  for (const [file, expected] of Object.entries(config.sha256 ?? {})) {
    const actual = sha256(await readModelFile(folder, file));
    if (actual !== expected) fail(folder, file, `is corrupt: sha256 ${actual}, expected ${expected} (model.yaml)`);
  }
}

async function readLabels(folder: ModelFolder, config: ModelConfig): Promise<string[]> {
  if (Array.isArray(config.labels)) return config.labels;
  const file = config.labels;
  const labels = parseJson(folder, file, await readModelFile(folder, file));
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) fail(folder, file, 'is not a JSON array of labels');
  return labels;
}

/** model.json: the artifacts TensorFlow.js loads, with the weights listed by file. */
type ModelJson = Omit<ModelArtifacts, 'weightSpecs' | 'weightData'> & {
  weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
};

/** model.json and its weights as TensorFlow.js artifacts, and the sha256 over the weight files in path order. */
async function readArtifacts(folder: ModelFolder): Promise<{ artifacts: ModelArtifacts; weightsSha256: string }> {
  const json = parseJson(folder, 'model.json', await readModelFile(folder, 'model.json')) as ModelJson;
  if (!json?.modelTopology || !Array.isArray(json.weightsManifest)) {
    fail(folder, 'model.json', 'is not a TensorFlow.js graph model (no modelTopology or weightsManifest)');
  }
  const paths = weightFiles(json);
  const weights = new Map<string, Buffer>();
  for (const path of paths) weights.set(path, await readModelFile(folder, path));
  const data = Buffer.concat(paths.map((p) => weights.get(p)!));
  return {
    artifacts: {
      ...json,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    },
    weightsSha256: weightsSha256(weights),
  };
}

/**
 * Loads the model in `<modelsDir>/<name>`: checks model.yaml, verifies the listed sha256s,
 * builds the graph, checks its input against the config and runs it once so the first frame
 * does not pay for compilation. Any problem is a VigilError naming the file, under
 * `shownAs/<name>/` (default: the folder itself).
 */
export async function loadDetector(modelsDir: string, name: string, runtime: Runtime, shownAs = modelsDir): Promise<Detector> {
  const folder: ModelFolder = { dir: join(modelsDir, name), shown: `${shownAs}/${name}` };
  const { config, output } = await readConfig(folder);
  await verifyHashes(folder, config);
  const labels = await readLabels(folder, config);
  const { artifacts, weightsSha256 } = await readArtifacts(folder);
  const { tf } = runtime;
  let model: GraphModel;
  try {
    model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    fail(folder, 'model.json', `cannot be loaded with its weights: ${(e as Error).message}`);
  }
  const input = model.inputs.find((i) => i.name === (config.inputName ?? model.inputs[0]?.name));
  if (!input || (!config.inputName && model.inputs.length !== 1)) {
    fail(folder, 'model.yaml', `must name inputName, one of the model's inputs: ${model.inputs.map((i) => i.name).join(', ')}`);
  }
  const inputLayout = config.inputLayout ?? 'nhwc';
  const [, ...dims] = input.shape ?? [];
  const [h, w, c] = inputLayout === 'nhwc' ? dims : [dims[1], dims[2], dims[0]];
  const fixed = (d: number | undefined, want: number) => d === undefined || d === -1 || d === want;
  if (!fixed(h, config.inputSize.height) || !fixed(w, config.inputSize.width) || !fixed(c, 3)) {
    fail(
      folder,
      'model.yaml',
      `inputSize ${config.inputSize.width}x${config.inputSize.height} (${inputLayout}) does not fit the model's input ${input.name} [${input.shape?.join(',')}]`,
    );
  }
  if (input.dtype !== 'float32' && input.dtype !== 'int32') {
    fail(folder, 'model.json', `input ${input.name} is ${input.dtype}; Vigil feeds float32 or int32`);
  }
  const detector: Detector = {
    name,
    weightsSha256,
    config,
    output,
    labels,
    runtime,
    model,
    needsAsync: false,
    input: config.inputSize,
    inputLayout,
    inputName: input.name,
    inputDtype: input.dtype,
  };
  // The warm-up inference also finds out how the graph must run, and checks that its outputs fit the format.
  const blank = new Uint8Array(config.inputSize.width * config.inputSize.height * 3);
  let outputs: Map<string, OutputTensor>;
  try {
    outputs = await infer(detector, blank);
  } catch {
    detector.needsAsync = true;
    try {
      outputs = await infer(detector, blank);
    } catch (e) {
      fail(folder, 'model.yaml', `does not fit the model: a test inference failed: ${(e as Error).message}`);
    }
  }
  try {
    decodeOutput(output, outputs, detector.input);
  } catch (e) {
    fail(folder, 'model.yaml', `does not fit the model's outputs: ${(e as Error).message}`);
  }
  return detector;
}

/**
 * Pixel levels 0-255 (RGB, row by row) as the values the model takes, in its dimension order:
 * int32 as they are, float32 mapped onto valueRange.
 */
function toInputValues(rgb: Uint8Array, detector: Detector): Int32Array | Float32Array {
  const [low, high] = detector.inputDtype === 'int32' ? [0, 255] : detector.config.valueRange;
  const scale = (high - low) / 255;
  const values = detector.inputDtype === 'int32' ? new Int32Array(rgb.length) : new Float32Array(rgb.length);
  const plane = rgb.length / 3;
  // nchw: all red values, then all green, then all blue.
  const at = detector.inputLayout === 'nhwc' ? (i: number) => i : (i: number) => (i % 3) * plane + Math.floor(i / 3);
  for (let i = 0; i < rgb.length; i++) values[at(i)] = rgb[i] * scale + low;
  return values;
}

/** The outputs the detector's format reads, from one inference on an RGB image of exactly the input size. */
export async function infer(detector: Detector, rgb: Uint8Array): Promise<Map<string, OutputTensor>> {
  const { tf } = detector.runtime;
  const { width, height } = detector.input;
  const shape: [number, number, number, number] = detector.inputLayout === 'nhwc' ? [1, height, width, 3] : [1, 3, height, width];
  const pixels = tf.tensor4d(toInputValues(rgb, detector), shape, detector.inputDtype);
  try {
    const feed = { [detector.inputName]: pixels };
    const names = outputTensorNames(detector.output);
    // A graph model hands back a lone tensor, not a list of one, when one output is asked for.
    const results = [detector.needsAsync ? await detector.model.executeAsync(feed, names) : detector.model.execute(feed, names)].flat();
    try {
      const values = await Promise.all(results.map((t) => t.data()));
      return new Map(names.map((name, i) => [name, { values: values[i] as Float32Array, shape: results[i].shape }]));
    } finally {
      for (const t of results) t.dispose();
    }
  } finally {
    pixels.dispose();
  }
}
