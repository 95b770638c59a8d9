import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ModelConfig } from '../../specs/index.js';
import { sha256 } from '../../src/pfs/files.js';
import { VigilError } from '../../src/pfs/errors.js';
import { packageDir } from './package-dir.js';

/** The default detector's folder in the models repo. */
export const DEFAULT_MODEL_NAME = 'centernet';

/**
 * CenterNet MobileNetV3 (COCO) as shipped by @vladmandic/human 3.3.6 (MIT), pinned in
 * package.json. The hashes are of those exact files; another package version fails loudly here
 * instead of silently changing every detection.
 */
const SOURCE_PACKAGE = '@vladmandic/human';
const CENTERNET_JSON_SHA256 = 'bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05';
const CENTERNET_BIN_SHA256 = '1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef';
/** model.json names its weights file in weightsManifest; the file keeps that name beside it. */
const WEIGHTS_FILE = 'centernet.bin';

/** COCO's 80 object classes in the order of the model's class index. */
export const COCO_LABELS: readonly string[] = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
];

/** A file for the models repo: its repo path, and either a file on disk to copy or its bytes. */
export interface ModelRepoFile {
  path: string;
  file?: string;
  data?: Uint8Array;
}

async function verifiedSourceFile(name: string, expected: string): Promise<string> {
  const path = join(packageDir(SOURCE_PACKAGE), 'models', name);
  const bytes = await readFile(path).catch(() => {
    throw new VigilError(`default model file ${path} is missing; reinstall ${SOURCE_PACKAGE} (npm ci)`);
  });
  const actual = sha256(bytes);
  if (actual !== expected) {
    throw new VigilError(
      `default model file ${path} has sha256 ${actual}, expected ${expected}; reinstall ${SOURCE_PACKAGE} at the version package.json pins`,
    );
  }
  return path;
}

/** The default model's config: CenterNet takes 512x512 RGB 0-255 and emits [1,100,6] rows in input pixels. */
export function defaultModelConfig(labelsJson: Uint8Array): ModelConfig {
  return {
    description: `CenterNet MobileNetV3 trained on COCO (80 classes), from ${SOURCE_PACKAGE} 3.3.6, MIT`,
    inputName: 'tower_0/images',
    inputSize: { width: 512, height: 512 },
    resize: 'letterbox',
    valueRange: [0, 255],
    output: { format: 'rows', tensor: 'tower_0/detections', columns: ['x1', 'y1', 'x2', 'y2', 'score', 'class'], boxUnits: 'pixels' },
    labels: 'labels.json',
    sha256: { 'model.json': CENTERNET_JSON_SHA256, [WEIGHTS_FILE]: CENTERNET_BIN_SHA256, 'labels.json': sha256(labelsJson) },
  };
}

/**
 * The files `vigil init` puts into the models repo: /centernet/model.json, its weights,
 * labels.json and model.yaml. The package's files are verified against their pinned sha256.
 */
export async function defaultModelFiles(): Promise<ModelRepoFile[]> {
  const modelJson = await verifiedSourceFile('centernet.json', CENTERNET_JSON_SHA256);
  const weights = await verifiedSourceFile(WEIGHTS_FILE, CENTERNET_BIN_SHA256);
  const labels = Buffer.from(`${JSON.stringify(COCO_LABELS, null, 2)}\n`);
  const config = Buffer.from(`# The detector's contract: see specs/model-config.schema.json\n${stringify(defaultModelConfig(labels))}`);
  const dir = `/${DEFAULT_MODEL_NAME}`;
  return [
    { path: `${dir}/model.json`, file: modelJson },
    { path: `${dir}/${WEIGHTS_FILE}`, file: weights },
    { path: `${dir}/labels.json`, data: labels },
    { path: `${dir}/model.yaml`, data: config },
  ];
}
