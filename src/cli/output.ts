/** How the CLI prints: aligned tables for people, one JSON object a line for `--raw`. */

/** Columns padded to their widest cell, as pachctl's tables; the last column is not padded. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  process.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
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
