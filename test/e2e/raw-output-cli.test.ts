import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { commitFiles, parseRaw } from '../helpers/engine.js';

// pachctl's output flags (src/internal/cmdutil/util.go, OutputFlags and Encoder): --raw prints
// protojson messages one after another; -o yaml YAML documents; -o without --raw is an error.

test('--raw prints a stream of indented messages, -o yaml the same records as YAML documents, -o alone is refused', async () => {
  const root = await tempDir();
  await commitFiles(root, 'raw', { '/a.txt': 'a' });
  await commitFiles(root, 'rules', { '/rules.yaml': 'r' });
  const json = await vigilOk(['list', 'repo', '--raw'], { root });
  assert.match(json, /^\{\n {2}"repo": \{\n/);
  assert.match(json, /\n\}\{\n/, 'one message right after the other');
  assert.ok(!json.endsWith('\n'), 'protojson ends a message at its brace');
  const messages = parseRaw(json);
  assert.deepEqual(
    messages.map((m) => [m.repo.name, m.size_bytes_upper_bound]),
    [
      ['raw', '1'],
      ['rules', '1'],
    ],
  );
  const yaml = await vigilOk(['list', 'repo', '--raw', '-o', 'yaml'], { root });
  assert.deepEqual(
    parseAllDocuments(yaml).map((d) => d.toJS()),
    messages,
  );
  const refused = await vigil(['list', 'repo', '--output', 'yaml'], { root });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot set --output \(-o\) without --raw/);
});
