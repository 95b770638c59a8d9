import { posix } from 'node:path';
/**
 * Pachyderm's glob (pachyderm/ohmyglob, `/` as the separator): which paths of an input are
 * datums, and the captures that joinOn and groupBy templates read. Pure, no I/O.
 */
import { VigilError } from '../../pfs/errors.js';

/**
 * The glob as a RegExp over clean repo paths (`/a/b`, `/` for the root). `*` and `?` stop at
 * `/`, `**` does not; `[abc]`, `[!abc]`, `[a-z]`, `{a,b}`; `\` escapes. Captures for
 * joinOn/groupBy: `(a|b)` or `@(a|b)` exactly one, `*(..)`, `+(..)`, `?(..)` repeated, `!(..)`
 * anything but. The glob is read as Pachyderm cleans it: `*` is `/*`, a trailing `/` is
 * dropped. Throws VigilError naming the glob when it is malformed.
 */
export function compileGlob(glob: string): RegExp {
  try {
    let source = new GlobParser(cleanGlob(glob)).sequence('');
    // ohmyglob's rule for !(..): it must reach the end of the segment unless text or a wildcard
    // follows it somewhere in the glob.
    const neg = source.indexOf(NEG_END);
    const tail = neg < 0 ? '' : source.slice(neg).includes(BOUNDARY) ? '' : '$';
    source = source.replaceAll(NEG_END, tail).replaceAll(BOUNDARY, '');
    return new RegExp(`^${source}$`, 'u');
  } catch (e) {
    // The parser's own errors, and the RegExp's (a range out of order, say).
    throw new VigilError(`glob "${glob}": ${(e as Error).message}`);
  }
}

/**
 * The glob as Pachyderm cleans it when a pipeline is created and before matching
 * (internal/pfsfile/pfsfile.go, CleanPath: `"/" + strings.Trim(path.Clean(p), "/")`): one
 * leading `/` (added when missing), none trailing or doubled, `.` and `..` resolved.
 */
export function cleanGlob(glob: string): string {
  const clean = posix.normalize(glob);
  return clean === '.' || clean === './' ? '/' : `/${clean.replace(/^\/+|\/+$/g, '')}`;
}

// Markers while compiling (ohmyglob's boundaryDummy and closeNegDummy); never left in the result.
const BOUNDARY = '\u0000';
const NEG_END = '\u0001';

class GlobParser {
  private pos = 0;
  constructor(private readonly glob: string) {}

  /** Terms up to an unescaped character of `stops` (not consumed) or the end. */
  sequence(stops: string): string {
    let re = '';
    while (this.pos < this.glob.length) {
      const c = this.glob[this.pos]!;
      if (stops.includes(c)) break;
      const next = this.glob[this.pos + 1];
      this.pos++;
      if (c === '*' && next === '*') {
        this.pos++;
        re += `.*${BOUNDARY}`;
      } else if ('*?+@!'.includes(c) && next === '(') {
        this.pos++;
        re += this.capture(c);
      } else if (c === '(') {
        re += this.capture('@');
      } else if (c === '*') {
        re += `[^/]*${BOUNDARY}`;
      } else if (c === '?') {
        re += '[^/]';
      } else if (c === '[') {
        re += this.charClass();
      } else if (c === '{') {
        re += `(?:${this.alternatives(',', '}')})`;
      } else if (c === '\\') {
        // A trailing backslash escapes nothing; ohmyglob drops it.
        if (next !== undefined) re += escapeText(next) + BOUNDARY;
        this.pos++;
      } else {
        re += escapeText(c) + BOUNDARY;
      }
    }
    // Within one sequence only the last !(..) keeps its end marker (ohmyglob does the same).
    const negs = re.split(NEG_END);
    return negs.length > 2 ? negs.slice(0, -1).join('') + NEG_END + negs.at(-1) : re;
  }

  /** Sequences separated by `sep` up to `close` (consumed), joined as regex alternatives. */
  private alternatives(sep: string, close: string): string {
    const alts: string[] = [];
    for (;;) {
      alts.push(this.sequence(sep + close));
      const c = this.glob[this.pos++];
      if (c === close) return alts.join('|');
      if (c !== sep) throw new Error(`missing "${close}"`);
    }
  }

  private capture(quantifier: string): string {
    const alts = this.alternatives('|', ')');
    if (quantifier === '@') return `(${alts})`;
    if (quantifier === '!') return `((?:(?!(?:${alts})${NEG_END})[^/]*))`;
    return `((?:${alts})${quantifier})`;
  }

  /** After `[`: `[!`? then one range `a-z` or a list of characters, then `]`. */
  private charClass(): string {
    const g = this.glob;
    let not = '';
    if (g[this.pos] === '!') {
      not = '^';
      this.pos++;
    }
    let body: string;
    if (g[this.pos + 1] === '-' && this.pos + 2 < g.length) {
      body = `${escapeClass(g[this.pos]!)}-${escapeClass(g[this.pos + 2]!)}`;
      this.pos += 3;
    } else {
      body = '';
      while (this.pos < g.length && g[this.pos] !== ']') {
        if (g[this.pos] === '\\') this.pos++;
        if (this.pos < g.length) body += escapeClass(g[this.pos++]!);
      }
      if (body === '') throw new Error('empty character class');
    }
    if (g[this.pos++] !== ']') throw new Error('missing "]"');
    return `[${not}${body}]`;
  }
}

function escapeText(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function escapeClass(c: string): string {
  return c.replace(/[\\\][^-]/g, '\\$&');
}
