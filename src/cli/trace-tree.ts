import { hopLines, traceVerdict } from '../lineage/describe.js';
import type { Hop, Trace } from '../lineage/trace.js';

/** How `vigil trace` prints a trace for people: one hop per node, its checks below it, problems marked ✗. */

/** The hop, then its children drawn below it as `tree` draws folders. */
function renderHop(hop: Hop, out: string[], first: string, rest: string): void {
  const [head, ...body] = hopLines(hop);
  out.push(first + head);
  const bar = hop.next.length > 0 ? '│  ' : '   ';
  for (const line of body) out.push(`${rest}${bar}${line}`);
  hop.next.forEach((child, i) => {
    const last = i === hop.next.length - 1;
    renderHop(child, out, rest + (last ? '└─ ' : '├─ '), rest + (last ? '   ' : '│  '));
  });
}

export function renderTrace(trace: Trace): string {
  const out: string[] = [];
  renderHop(trace.root, out, '', '');
  out.push('', traceVerdict(trace));
  return `${out.join('\n')}\n`;
}
