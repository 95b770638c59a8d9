/** How the CLI prints: aligned tables for people, one JSON object a line for `--raw`. */

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

/** The `--raw` flag every list and inspect verb takes. */
export const rawOption = { type: 'boolean', describe: "print JSON with Pachyderm's field names, one object a line" } as const;

/** `--raw`: each object as one line of JSON (a stream of objects, as `pachctl --raw` prints, that jq and line readers both take). */
export function printRaw(objects: unknown[]): void {
  process.stdout.write(objects.map((o) => `${JSON.stringify(o)}\n`).join(''));
}

/** 1536 → `1.5KiB`, as pachctl writes sizes. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return i === 0 ? `${n}B` : `${n.toFixed(n < 10 ? 1 : 0)}${units[i]}`;
}
