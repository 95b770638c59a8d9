import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/pfs/package-root.js';

// There is no Docker engine here, so the Dockerfile is checked by reading it: what it copies
// must exist in the build context, and what it runs must exist in the build.
const root = packageRoot();
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest };
  });
const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').filter(Boolean);

/** Stages, each a list of its instructions, split at FROM. */
const stages = instructions.reduce<Array<typeof instructions>>((acc, ins) => {
  if (ins.op === 'FROM') acc.push([]);
  acc.at(-1)?.push(ins);
  return acc;
}, []);
const finalStage = stages.at(-1)!;

test('the Dockerfile is multi-stage and the final image runs as a non-root user', () => {
  assert.ok(stages.length >= 2, 'several FROM stages');
  const user = finalStage.filter((i) => i.op === 'USER').at(-1);
  assert.ok(user, 'the final stage sets USER');
  assert.notEqual(user.args[0], 'root');
  assert.notEqual(user.args[0], '0');
});

test('every path the Dockerfile copies from the build context exists and is not ignored', () => {
  const copies = instructions.filter((i) => (i.op === 'COPY' || i.op === 'ADD') && !i.args.some((a) => a.startsWith('--from')));
  assert.ok(copies.length > 0);
  for (const copy of copies) {
    const sources = copy.args.filter((a) => !a.startsWith('--')).slice(0, -1);
    for (const src of sources) {
      assert.ok(existsSync(join(root, src)), `COPY ${src}: no such path in the project`);
      assert.ok(!ignored.includes(src.replace(/\/$/, '')), `COPY ${src}: excluded by .dockerignore`);
    }
  }
});

test('the entrypoint is vigil, linked to the CLI the build compiles', () => {
  const entry = finalStage.find((i) => i.op === 'ENTRYPOINT');
  assert.ok(entry, 'ENTRYPOINT in the final stage');
  assert.deepEqual(JSON.parse(entry.args.join(' ')), ['vigil']);
  const link = finalStage.find((i) => i.op === 'RUN' && i.args.join(' ').includes('/usr/local/bin/vigil'));
  assert.ok(link, 'a RUN puts vigil on PATH');
  const target = /ln -s (\S+) \/usr\/local\/bin\/vigil/.exec(link.args.join(' '))?.[1];
  assert.equal(target, '/app/bin/vigil.js');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.bin.vigil, 'bin/vigil.js');
  // bin/vigil.js loads the compiled CLI, which `npm ci` (prepare) builds in the build stage.
  assert.match(readFileSync(join(root, 'bin', 'vigil.js'), 'utf8'), /\.\.\/dist\/src\/cli\/main\.js/);
  // That file is src/cli/main.ts compiled: tsc writes <outDir>/<path below rootDir>.
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  assert.deepEqual([tsconfig.compilerOptions.outDir, tsconfig.compilerOptions.rootDir], ['dist', '.']);
  assert.ok(existsSync(join(root, 'src', 'cli', 'main.ts')), 'the CLI entry the launcher loads is src/cli/main.ts');
  assert.ok(
    finalStage.some((i) => i.op === 'COPY' && i.args.includes('/app/dist')),
    'the final stage copies dist/',
  );
});

test('the image carries the GPU backend and a CUDA base', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.ok(pkg.optionalDependencies['@tensorflow/tfjs-node-gpu'], 'tfjs-node-gpu is an optional dependency');
  assert.match(dockerfile, /require\('@tensorflow\/tfjs-node-gpu'\)/, 'the build fails if the GPU backend did not install');
  assert.match(dockerfile, /ARG CUDA_IMAGE=nvidia\/cuda:/);
  assert.match(stages.at(-1)![0].args[0], /CUDA_IMAGE/);
});

test("the CUDA base is one libtensorflow 2.9.1 (tfjs-node-gpu 4.22's) loads: CUDA 11 from 11.2 on, cuDNN 8, a runtime image", () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.match(pkg.optionalDependencies['@tensorflow/tfjs-node-gpu'], /^4\.22\./, 'the CUDA pin below was chosen for tfjs-node-gpu 4.22');
  const tag = /ARG CUDA_IMAGE=nvidia\/cuda:(\d+)\.(\d+)\.(\d+)-cudnn(\d+)-runtime-ubuntu(\d+\.\d+)\n/.exec(dockerfile);
  assert.ok(tag, 'CUDA_IMAGE is nvidia/cuda:<major>.<minor>.<patch>-cudnn<n>-runtime-ubuntu<version>');
  const [, major, minor, , cudnn] = tag.map(Number);
  assert.equal(major, 11, 'libtensorflow 2.9 links the CUDA 11 sonames');
  assert.ok(minor! >= 2, 'built with CUDA 11.2: an older 11.x lacks what it calls');
  assert.equal(cudnn, 8, 'libcudnn.so.8');
});
