import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { assertValid, type ModelConfig } from '../../specs/index.js';
import { defaultModelFiles } from '../../steps/detect/default-model.js';

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
