/**
 * Which code may import which (docs/ARCHITECTURE.md, "Which code may use which"), checked on
 * every .ts file of the package: its import specifiers, static, dynamic and type-only, resolved
 * to the folder they name and held against the rule of the importing file's folder.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/pfs/package-root.js';

/** One import of a file: what it names and, for a static import, the bindings it takes (null: all of the module, or unknown). */
interface Import {
  specifier: string;
  names: string[] | null;
  line: number;
}

const lineOf = (source: string, index: number): number => source.slice(0, index).split('\n').length;

/** Whether `index` falls in a `//` comment or on a line of a block comment (` * ...`). */
function inComment(source: string, index: number): boolean {
  const lineStart = source.lastIndexOf('\n', index - 1) + 1;
  const before = source.slice(lineStart, index);
  return before.includes('//') || /^\s*(\/\*|\*)/.test(before);
}

/** The bindings of an import or export clause: `{ a, type B as C }` gives a and B; a default or namespace import gives null. */
function bindings(clause: string): string[] | null {
  const braces = /^(?:type\s+)?\{([^}]*)\}$/.exec(clause.trim());
  if (!braces) return null;
  return braces[1]!
    .split(',')
    .map(
      (part) =>
        part
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]!,
    )
    .filter(Boolean);
}

/** Every import specifier of a TypeScript source (string literals only: a computed `import(x)` names an npm package at run time). */
function importsOf(source: string): Import[] {
  const found: Import[] = [];
  for (const m of source.matchAll(/^[ \t]*(?:import|export)\s+([^;'"]*?)\s*\bfrom\s*(['"])([^'"]+)\2/gm)) {
    found.push({ specifier: m[3]!, names: bindings(m[1]!), line: lineOf(source, m.index!) });
  }
  for (const m of source.matchAll(/^[ \t]*import\s*(['"])([^'"]+)\1/gm)) {
    found.push({ specifier: m[2]!, names: null, line: lineOf(source, m.index!) });
  }
  for (const m of source.matchAll(/\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g)) {
    if (!inComment(source, m.index!)) found.push({ specifier: m[2]!, names: null, line: lineOf(source, m.index!) });
  }
  return found.sort((a, b) => a.line - b.line);
}

/** The folder a rule applies to: src/<part>, steps/<step>, specs, or the unrestricted test/, bench/ and scripts/. */
function areaOf(path: string): string {
  const [top, second] = path.split('/');
  if (top === 'src' || top === 'steps') return `${top}/${second}`;
  return top!;
}

/** What the code every step may use (the step kit, the data contract, rendering and the record schemas) may import. */
const SHARED = ['src/pfs', 'src/contract', 'src/render', 'specs'];

/** Besides its own area and node/npm modules, what each area may import; `*` is anything. */
const MAY_IMPORT: Record<string, string[] | '*'> = {
  // Pachyderm-generic: no record type, repo name or step; specs only as engineSpecsImport allows.
  'src/engine': ['src/pfs'],
  'src/pfs': SHARED,
  'src/contract': SHARED,
  'src/render': SHARED,
  specs: SHARED,
  'src/lineage': ['src/engine', ...SHARED],
  // The server wires the engine to the data contract; the validate stage's limits come in from the CLI.
  'src/serve': ['src/engine', ...SHARED],
  // The portal reads the store, the job records and lineage, and mounts on the server's app; never a step or the CLI.
  'src/portal': ['src/engine', 'src/lineage', 'src/serve', ...SHARED],
  'src/cli': '*',
  test: '*',
  bench: '*',
  scripts: '*',
};

/** Steps may import the shared code and their own folder, never another step, the engine, lineage or the CLI. */
const STEP_MAY_IMPORT = SHARED;

/** The functions specs/index.ts exports: its generic validator helpers, the one part of specs/index.ts the engine may use. */
function specsHelpers(root: string): Set<string> {
  const source = readFileSync(posix.join(root, 'specs', 'index.ts'), 'utf8');
  return new Set([...source.matchAll(/^export function (\w+)/gm)].map((m) => m[1]!));
}

/**
 * Why the engine may not import `target` as `imp` does, or null when it may: specs/pachyderm/, the
 * schema error formatter (specs/errors.ts), or specs/index.ts's helpers by name.
 */
function engineSpecsImport(target: string, imp: Import, helpers: Set<string>): string | null {
  if (target.startsWith('specs/pachyderm') || target === 'specs/errors.ts') return null;
  if (target !== 'specs/index.ts') return 'the engine uses no record schema or type';
  const records = imp.names === null ? ['the whole module'] : imp.names.filter((name) => !helpers.has(name));
  return records.length === 0
    ? null
    : `the engine takes only the generic helpers (${[...helpers].join(', ')}) from specs/index.ts, not ${records.join(', ')}`;
}

/** The imports of `file` (a path from the package root) that its area may not make, one message each. */
function violations(file: string, source: string, helpers: Set<string>): string[] {
  const area = areaOf(file);
  const allowed = area.startsWith('steps/') ? STEP_MAY_IMPORT : MAY_IMPORT[area];
  if (allowed === undefined) return [`${file}: no import rule for ${area}/; add one to docs/ARCHITECTURE.md and to this test`];
  const problems: string[] = [];
  for (const imp of importsOf(source)) {
    if (!imp.specifier.startsWith('.')) continue; // node: and npm modules
    const target = posix.normalize(posix.join(posix.dirname(file), imp.specifier)).replace(/\.js$/, '.ts');
    const targetArea = areaOf(target);
    if (targetArea === area || allowed === '*') continue;
    const why =
      area === 'src/engine' && targetArea === 'specs'
        ? engineSpecsImport(target, imp, helpers)
        : allowed.includes(targetArea)
          ? null
          : `${area}/ may import only ${[area, ...allowed].join(', ')} and node/npm modules`;
    if (why) problems.push(`${file}:${imp.line}: imports '${imp.specifier}' (${target}): ${why}`);
  }
  return problems;
}

/** Every .ts file of the package (not of its dependencies or build), as paths from its root. */
function packageSources(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !['node_modules', 'dist'].includes(entry.name) && !entry.name.startsWith('.'))
    .flatMap((dir) =>
      readdirSync(posix.join(root, dir.name), { recursive: true, encoding: 'utf8' }).map((p) => `${dir.name}/${p.split('\\').join('/')}`),
    )
    .filter((p) => p.endsWith('.ts') && !p.includes('/node_modules/'))
    .sort();
}

test('every import follows "Which code may use which"', () => {
  const root = packageRoot();
  const helpers = specsHelpers(root);
  const files = packageSources(root);
  assert.ok(files.includes('src/engine/store/store.ts') && files.includes('steps/alert/main.ts'), 'the walk finds the sources');
  const problems = files.flatMap((file) => violations(file, readFileSync(posix.join(root, file), 'utf8'), helpers));
  assert.deepEqual(problems, []);
});

test('the check finds static, multi-line, type-only, dynamic and typeof imports, and names file and import', () => {
  const helpers = new Set(['describeErrors', 'validatorFor']);
  const engine = [
    "import { describeErrors } from '../../../specs/index.js';",
    'import {',
    '  validatorFor,',
    '  type Alert,',
    "} from '../../../specs/index.js';",
    "import type { Store } from '../store/store.js';",
    "import '../../contract/repos.js';",
    "export { hopKind } from '../../lineage/hop.js';",
    "// a comment: import('../../cli/main.js') is not an import",
    "const trace = await import('../../lineage/trace.js');",
    "type Steps = typeof import('../../../steps/alert/core.js');",
    "import { CreatePipelineRequest } from '../../../specs/pachyderm/types.js';",
  ].join('\n');
  assert.deepEqual(violations('src/engine/pps/x.ts', engine, helpers), [
    "src/engine/pps/x.ts:2: imports '../../../specs/index.js' (specs/index.ts): the engine takes only the generic helpers (describeErrors, validatorFor) from specs/index.ts, not Alert",
    "src/engine/pps/x.ts:7: imports '../../contract/repos.js' (src/contract/repos.ts): src/engine/ may import only src/engine, src/pfs and node/npm modules",
    "src/engine/pps/x.ts:8: imports '../../lineage/hop.js' (src/lineage/hop.ts): src/engine/ may import only src/engine, src/pfs and node/npm modules",
    "src/engine/pps/x.ts:10: imports '../../lineage/trace.js' (src/lineage/trace.ts): src/engine/ may import only src/engine, src/pfs and node/npm modules",
    "src/engine/pps/x.ts:11: imports '../../../steps/alert/core.js' (steps/alert/core.ts): src/engine/ may import only src/engine, src/pfs and node/npm modules",
  ]);

  const step = [
    "import { Ledger } from '../ledger.js';",
    "import { REPOS } from '../../../src/contract/repos.js';",
    "import { detectInFrame } from '../../detect/frame.js';",
    "import { Store } from '../../../src/engine/store/store.js';",
  ].join('\n');
  assert.deepEqual(violations('steps/alert/channels/x.ts', step, helpers), [
    "steps/alert/channels/x.ts:3: imports '../../detect/frame.js' (steps/detect/frame.ts): steps/alert/ may import only steps/alert, src/pfs, src/contract, src/render, specs and node/npm modules",
    "steps/alert/channels/x.ts:4: imports '../../../src/engine/store/store.js' (src/engine/store/store.ts): steps/alert/ may import only steps/alert, src/pfs, src/contract, src/render, specs and node/npm modules",
  ]);
  assert.match(
    violations('src/pfs/x.ts', "import { traceBack } from '../lineage/trace.js';", helpers)[0]!,
    /^src\/pfs\/x\.ts:1: imports '\.\.\/lineage\/trace\.js'/,
  );
  assert.match(violations('src/lineage/x.ts', "import { main } from '../cli/main.js';", helpers)[0]!, /src\/lineage\/ may import only/);
  assert.deepEqual(violations('src/cli/x.ts', "import { main } from '../../steps/alert/main.js';", helpers), []);
  assert.match(violations('src/nowhere/x.ts', '', helpers)[0]!, /no import rule for src\/nowhere\//);
  assert.match(
    violations('src/portal/x.ts', "import { main } from '../../steps/report/main.js';", helpers)[0]!,
    /src\/portal\/ may import only/,
  );
});
