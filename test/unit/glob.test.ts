import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanGlob, compileGlob } from '../../src/engine/datum/glob.js';
import { VigilError } from '../../src/pfs/errors.js';

// Pachyderm's glob (ohmyglob) over clean repo paths. Rows marked "ohmyglob" are cases of its own
// tests (extglob_test.go, capture_test.go) with a leading `/`.

/** A glob, a clean repo path, whether the glob matches it, and then the captures it yields. */
type Case = [glob: string, path: string, matches: boolean, captures?: string[]];

const CASES: Case[] = [
  // * is one path segment, or part of one
  ['/*', '/a', true],
  ['/*', '/a/b', false],
  ['/*/*', '/a/b', true],
  ['/*/*', '/a', false],
  ['/*.jpg', '/a.jpg', true],
  ['/*.jpg', '/a.png', false],
  ['/*.jpg', '/a/b.jpg', false],
  // ** crosses folders
  ['/**', '/a', true],
  ['/**', '/a/b/c', true],
  ['/a/**', '/a/b/c', true],
  ['/a/**', '/b/c', false],
  ['/**.jpg', '/a/b.jpg', true],
  // ? is one character, never /
  ['/a?c', '/abc', true],
  ['/a?c', '/ac', false],
  ['/a?c', '/a/c', false],
  // [abc], [!abc], [a-z]
  ['/[abc].txt', '/b.txt', true],
  ['/[abc].txt', '/d.txt', false],
  ['/[!abc].txt', '/d.txt', true],
  ['/[!abc].txt', '/a.txt', false],
  ['/u[1-3]', '/u2', true],
  ['/u[1-3]', '/u4', false],
  ['/u?-cam[12]/[!b]*', '/u1-cam2/c.jpg', true],
  // {a,b}: alternatives, which may span folders
  ['/{x,y}z', '/yz', true],
  ['/{x,y}z', '/xyz', false],
  ['/{a,b/c}', '/b/c', true],
  ['/{README,u*}', '/u1-cam1', true],
  // escapes, and regex characters taken literally
  ['/a\\*', '/a*', true],
  ['/a\\*', '/ab', false],
  ['/\\[a]', '/[a]', true],
  ['/u1\\-cam1', '/u1-cam1', true],
  ['/a.b', '/a.b', true],
  ['/a.b', '/axb', false],
  ['/a+b$', '/a+b$', true],
  ['/a\\', '/a', true], // a trailing backslash escapes nothing
  // (a|b) and @(a|b): exactly one, captured
  ['/(a|b).txt', '/b.txt', true, ['b']],
  ['/(a|b).txt', '/c.txt', false],
  ['/(*).jpg', '/x.jpg', true, ['x']],
  ['/(*)/(*).jpg', '/cam1/x.jpg', true, ['cam1', 'x']],
  ['/@(a|b)/x.go', '/a/x.go', true, ['a']], // ohmyglob
  ['/(*)/(????)(??)(??)*', '/u1-cam1/20261126T041500Z.json', true, ['u1-cam1', '2026', '11', '26']],
  // *(..): none or more
  ['/a*(a|b)/x.go', '/a/x.go', true, ['']], // ohmyglob
  ['/a*(a|b)/x.go', '/aba/x.go', true, ['ba']], // ohmyglob
  ['/a*(a|b)/x.go', '/ac/x.go', false],
  // +(..): one or more
  ['/+(a|b)/x.go', '/aba/x.go', true, ['aba']], // ohmyglob
  ['/+(ab)', '/abab', true, ['abab']],
  ['/+(ab)', '/', false],
  // ?(..): none or one
  ['/a?(a|b)/x.go', '/a/x.go', true, ['']], // ohmyglob
  ['/a?(a|b)/x.go', '/ab/x.go', true, ['b']], // ohmyglob
  ['/a?(a|b)/x.go', '/abb/x.go', false],
  // !(..): anything but, within one segment; it must reach the segment's end unless something follows it
  ['/!(tmp)', '/keep', true, ['keep']],
  ['/!(tmp)', '/tmp', false],
  ['/!(foo)', '/foobar', true, ['foobar']], // ohmyglob
  ['/!(foo)*', '/foobar', false], // ohmyglob
  ['/a!(x)', '/ab', true, ['b']], // ohmyglob
  ['/a!(x)', '/ax', false], // ohmyglob
  ['/*.!(js|css)', '/bar.min.js', true, ['min.js']], // ohmyglob
  ['/!(x)', '/foo/bar', false], // ohmyglob, with / as the separator
  // the glob is cleaned first: one leading /, none trailing or doubled
  ['*', '/a', true],
  ['a/*', '/a/b', true],
  ['/a/', '/a', true],
  ['//a//b', '/a/b', true],
  // the root
  ['/', '/', true],
  ['/', '/a', false],
];

describe('compileGlob', () => {
  for (const [glob, path, matches, captures = []] of CASES) {
    test(`${glob} ${matches ? 'matches' : 'does not match'} ${path}${captures.length ? `, capturing ${captures.join(', ')}` : ''}`, () => {
      const result = compileGlob(glob).exec(path);
      assert.deepEqual(result && [...result.slice(1)], matches ? captures : null);
    });
  }
});

const CLEANED: [glob: string, clean: string][] = [
  ['*', '/*'],
  ['/a/', '/a'],
  ['//a//b/', '/a/b'],
  ['/', '/'],
  ['//', '/'],
];

describe('cleanGlob', () => {
  for (const [glob, clean] of CLEANED) test(`${glob} is read as ${clean}`, () => assert.equal(cleanGlob(glob), clean));
});

const MALFORMED: [glob: string, reason: RegExp][] = [
  ['/[a', /missing "\]"/],
  ['/[]', /empty character class/],
  ['/[z-a]', /range out of order/i],
  ['/{a,b', /missing "}"/],
  ['/(a|b', /missing "\)"/],
  ['/@(a', /missing "\)"/],
];

describe('a malformed glob', () => {
  for (const [glob, reason] of MALFORMED) {
    test(`${glob} is a VigilError naming it: ${reason.source}`, () => {
      assert.throws(
        () => compileGlob(glob),
        (e: unknown) => e instanceof VigilError && e.message.startsWith(`glob "${glob}": `) && reason.test(e.message),
      );
    });
  }
});
