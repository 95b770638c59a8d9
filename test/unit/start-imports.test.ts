/**
 * What a process loads before it does anything: the npm packages reached by static imports of
 * the compiled code (type-only imports are gone by then; a dynamic import() loads when its
 * command runs). Every `vigil` command parses its arguments with all command modules loaded, and
 * every datum-batching step starts with the step kit's NextDatum client, so a heavy package
 * imported at the top of any of them (YAML, JSON Schema, DuckDB, TensorFlow, sharp, hono) is
 * paid by `vigil run` and by each step's start: it belongs in the handler that uses it.
 * bench/engine-incremental.ts measures what that start costs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';

const DIST = join(packageRoot(), 'dist');

/** The npm packages `entry` (a compiled module under dist/) loads through static imports, with the module that imports each. */
function eagerPackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const fromClauses = source.matchAll(/^(?:import|export)\s[^;'"]*?\bfrom\s*(['"])([^'"]+)\1/gm);
    const bare = source.matchAll(/^import\s*(['"])([^'"]+)\1/gm);
    for (const m of [...fromClauses, ...bare]) {
      const specifier = m[2]!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:')) {
        const name = specifier
          .split('/')
          .slice(0, specifier.startsWith('@') ? 2 : 1)
          .join('/');
        if (!packages.has(name)) packages.set(name, relative(DIST, file));
      }
    }
  };
  visit(join(DIST, entry));
  return packages;
}

test('a vigil command starts with yargs alone: each heavy package loads in the handler that needs it', () => {
  assert.deepEqual(Object.fromEntries(eagerPackages('src/cli/program.js')), { yargs: 'src/cli/program.js' });
});

test("a step's NextDatum client loads gRPC and no protobuf compiler; the engine's job runner, no package at all", () => {
  assert.deepEqual([...eagerPackages('src/pfs/datums.js').keys()], ['@grpc/grpc-js']);
  assert.deepEqual([...eagerPackages('src/engine/pps/job-runner.js').keys()], []);
});
