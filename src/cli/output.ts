/** How the CLI prints: aligned tables for people, pachctl's JSON or YAML for `--raw`. */
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { VigilError } from '../pfs/errors.js';

/**
 * The yaml package, loaded by the one command that prints YAML (`--raw -o yaml`) rather than by
 * every command's start (`vigil run` included). require, not import(), keeps printRaw synchronous.
 */
const loadYaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

/** Columns padded to their widest cell, as pachctl's tables; the last column is not padded. */
export function printTable(header: string[], rows: string[][]): void {
  // A loop, not Math.max(...cells): a query's rows can outnumber the arguments a call takes.
  const widths = header.map((h) => h.length);
  for (const row of rows) for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  process.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
}

/** The flags every list and inspect verb takes, as pachctl's (cmdutil.OutputFlags): `--raw`, and `--output`/`-o` with it. */
export function withRawOutput<T>(y: Argv<T>): Argv<T & { raw: boolean | undefined; output: RawFormat | undefined }> {
  return y
    .option('raw', { type: 'boolean', describe: 'print the records as pachctl --raw does: JSON (or YAML with -o yaml), proto field names' })
    .option('output', { alias: 'o', choices: ['json', 'yaml'] as const, describe: 'with --raw: "json" (default) or "yaml"' })
    .check((argv) => {
      if (argv.output !== undefined && !argv.raw) throw new VigilError('cannot set --output (-o) without --raw');
      return true;
    });
}

/** The widest a free-text table cell (a job's reason) is shown; the full text is in `inspect`. */
export const CELL_WIDTH = 60;

/** `text` on one line of at most `width` characters, cut at a word with `…` when longer. */
export function shortCell(text: string, width = CELL_WIDTH): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= width) return line;
  const cut = line.slice(0, width - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > width / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export type RawFormat = 'json' | 'yaml';

/**
 * `--raw`: the records as pachctl's Encoder writes messages (src/internal/cmdutil/util.go,
 * Encoder; src/internal/serde): JSON indented by two spaces, one message right after another
 * with nothing between them and no final newline (protojson's output), or YAML documents
 * (indent 2, keys sorted, as yaml.v3 encodes a map) separated by `---`. A stream of JSON
 * values, as jq reads it.
 */
export function printRaw(objects: unknown[], format: RawFormat = 'json'): void {
  if (format === 'yaml') {
    process.stdout.write(objects.map((o) => loadYaml().stringify(o, { indent: 2, sortMapEntries: true, lineWidth: 0 })).join('---\n'));
    return;
  }
  process.stdout.write(objects.map((o) => JSON.stringify(o, null, 2)).join(''));
}

/** 1536 → `1.5KiB`, as pachctl writes sizes. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return i === 0 ? `${n}B` : `${n.toFixed(n < 10 ? 1 : 0)}${units[i]}`;
}
