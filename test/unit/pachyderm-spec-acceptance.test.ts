import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeDatums } from '../../src/engine/datum/create.js';
import { type Input, type PfsInput, parsePipelineSpecs } from '../../src/engine/pps/spec.js';
import type { FileEntry } from '../../src/engine/store/tree.js';

// Specs pachd accepts are accepted with the same meaning. Followed: pachyderm/pachyderm
// src/server/pps/server/api_server.go (validateInput: no key is checked against its parent;
// setPipelineDefaults: datumTries 0 → DefaultDatumTries = 3; setInputDefaults: the glob through
// pfsfile.CleanPath), src/internal/pfsfile/pfsfile.go (CleanPath), src/server/worker/datum/
// worker.go (processPFSTask fills joinOn/groupBy per input; processKeyTask keys a join's or a
// group's inputs by them, the empty key when unset) and internal/pfssync/sync.go (lazy wins over
// emptyFiles).

function spec(input: string, extra = '') {
  return parsePipelineSpecs(`pipeline: {name: p}\ninput: ${input}\ntransform: {cmd: [sh]}\n${extra}`, 'spec.yaml')[0]!;
}

function files(...paths: string[]): FileEntry[] {
  return paths.map((path) => ({ path, sha256: path.padEnd(64, '0').slice(0, 64), size: 1 }));
}

/** Each datum as `name:path` of its inputs, sorted. */
function datums(input: Input, trees: Record<string, FileEntry[]>): string[][] {
  return makeDatums(input, (repo) => (trees[repo] ? { commit: `${repo}-c`, files: trees[repo]! } : null), 'salt')
    .map((d) => d.inputs.map((i) => `${i.name}:${i.path}`).sort())
    .sort();
}

describe('specs pachd accepts', () => {
  test('a glob without a leading / is cleaned as CleanPath does', () => {
    const clean = (glob: string) => (spec(`{pfs: {repo: raw, glob: "${glob}"}}`).input as { pfs: { glob: string } }).pfs.glob;
    assert.equal(clean('*'), '/*');
    assert.equal(clean('*/*/'), '/*/*');
    assert.equal(clean('./a//*'), '/a/*');
    assert.equal(clean('.'), '/');
  });

  test('datumTries 0 is the default, 3', () => {
    assert.equal(spec('{pfs: {repo: raw, glob: "/*"}}', 'datumTries: 0').datumTries, 3);
    assert.equal(spec('{pfs: {repo: raw, glob: "/*"}}').datumTries, 3);
    assert.equal(spec('{pfs: {repo: raw, glob: "/*"}}', 'datumTries: 1').datumTries, 1);
  });

  test('a join without joinOn joins on the empty key: every input lacking one meets every other', () => {
    const input = spec('{join: [{pfs: {repo: a, glob: "/*"}}, {pfs: {repo: b, glob: "/*"}}]}').input;
    assert.deepEqual(datums(input, { a: files('/1', '/2'), b: files('/x') }), [
      ['a:/1', 'b:/x'],
      ['a:/2', 'b:/x'],
    ]);
  });

  test('a group without groupBy is one datum of every input', () => {
    const input = spec('{group: [{pfs: {repo: a, glob: "/*"}}, {pfs: {repo: b, glob: "/*"}}]}').input;
    assert.deepEqual(datums(input, { a: files('/1', '/2'), b: files('/x') }), [['a:/1', 'a:/2', 'b:/x']]);
  });

  test('groupBy on a pfs input below a join inside a group keys the group; an input without one has the empty key', () => {
    const input = spec(
      `{group: [{join: [
        {pfs: {repo: a, glob: "/(*)-(*)", joinOn: "$2", groupBy: "$1"}},
        {pfs: {repo: b, glob: "/(*)", joinOn: "$1"}}]}]}`,
    ).input;
    assert.deepEqual(datums(input, { a: files('/d1-x', '/d1-y', '/d2-x'), b: files('/x', '/y') }), [
      ['a:/d1-x', 'a:/d1-y'],
      ['a:/d2-x'],
      ['b:/x', 'b:/x', 'b:/y'],
    ]);
  });

  test('lazy is accepted and wins over emptyFiles, as the worker downloads such an input', () => {
    const both = spec('{pfs: {repo: raw, glob: "/*", lazy: true, emptyFiles: true}}').input as { pfs: PfsInput };
    assert.equal(both.pfs.emptyFiles, undefined, 'the files are there to read');
    const empty = spec('{pfs: {repo: raw, glob: "/*", emptyFiles: true}}').input as { pfs: PfsInput };
    assert.equal(empty.pfs.emptyFiles, true);
  });
});
