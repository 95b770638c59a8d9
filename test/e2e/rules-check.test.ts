/**
 * `vigil rules check` as a user runs it before committing policies: the real CLI on files in a
 * folder, its exit code and what it prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir, vigil } from '../helpers/cli.js';
import { FIXTURE_RULES_DIR } from '../helpers/match.js';

/** A folder holding the two policy files, as given. */
async function policyDir(rules: string | Buffer, subscriptions: string | Buffer): Promise<string> {
  const dir = await tempDir('vigil-rules-');
  await writeFile(join(dir, 'rules.yaml'), rules);
  await writeFile(join(dir, 'subscriptions.yaml'), subscriptions);
  return dir;
}

const RULES = 'rules:\n  - {id: 1, name: People at the door, classes: [person], zones: [door]}\n';
const withDoor = (points: string) => `users:\n  - id: u1\n    devices:\n      - {id: cam1, rules: [1], zones: {door: ${points}}}\n`;

test('vigil rules check: ok on the sample files, every problem and exit 1 on bad ones', async () => {
  const root = await tempDir();
  const ok = await vigil(['rules', 'check', FIXTURE_RULES_DIR], { root });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: 2 rule\(s\), 1 user\(s\), 1 device subscription\(s\); classes checked against centernet \(80 labels\)/);

  const dir = await policyDir(
    'rules:\n  - {id: 1, name: Pests, classes: [racoon]}\n',
    'users:\n  - id: u1\n    devices: [{id: cam1, rules: [2]}]\n',
  );
  const bad = await vigil(['rules', 'check', dir], { root });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /rules\.yaml: rules\[0\]\.classes\[0\]: "racoon" is not a label of the model/);
  assert.match(bad.stderr, /subscriptions\.yaml: users\[0\]\.devices\[0\]\.rules\[0\]: rule 2 is not in rules\.yaml; rules: 1/);

  const missing = await vigil(['rules', 'check', join(dir, 'nowhere')], { root });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\/rules\.yaml is missing/);
});

test('vigil rules check refuses a zone on one line and a bow-tie, each for its reason', async () => {
  const root = await tempDir();
  const flat = await vigil(['rules', 'check', await policyDir(RULES, withDoor('[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]'))], { root });
  assert.equal(flat.code, 1);
  assert.equal(
    flat.stderr.trim(),
    'vigil: subscriptions.yaml: users[0].devices[0].zones.door: its points lie on one line, so nothing can be inside; give the zone an area',
  );
  const bowTie = await vigil(['rules', 'check', await policyDir(RULES, withDoor('[[0, 0], [1, 1], [1, 0], [0, 1]]'))], { root });
  assert.equal(bowTie.code, 1);
  assert.equal(
    bowTie.stderr.trim(),
    'vigil: subscriptions.yaml: users[0].devices[0].zones.door: its edges [0, 0]-[1, 1] and [1, 0]-[0, 1] cross, so it has no clear inside; ' +
      'list the points in order around the zone',
  );
});

test('vigil rules check refuses a 10 MB rules.yaml before reading it, naming the limit', async () => {
  const root = await tempDir();
  const huge = Buffer.alloc(10 * 2 ** 20, '# padding\n');
  const r = await vigil(['rules', 'check', await policyDir(huge, withDoor('[[0, 0], [1, 0], [1, 1]]'))], { root });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^vigil: .*\/rules\.yaml: the file is 10\.0 MiB; rules\.yaml may be at most 1\.0 MiB\n$/);
});
