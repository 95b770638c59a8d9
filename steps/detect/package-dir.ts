import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The installed folder of an npm package. Found from its entry point because packages with an
 * `exports` map (like @vladmandic/human) refuse to resolve `<name>/package.json`.
 */
export function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`vigil: no package.json of ${name} above ${require.resolve(name)}`);
    dir = parent;
  }
}
