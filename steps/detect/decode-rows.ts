/** The rows format: one tensor [1, rows, columns], a finished detection a row (CenterNet as Human ships it). */
import type { RowsOutput } from '../../specs/index.js';
import { MIN_SCORE, unbatched, type Candidate, type OutputTensor, type Size } from './core.js';

type Column = RowsOutput['columns'][number];
const NEEDED_COLUMNS: readonly Column[] = ['x1', 'y1', 'x2', 'y2', 'score', 'class'];

/** The index of each needed column in a row, or a reason the layout is unusable. */
export function columnIndex(columns: RowsOutput['columns']): Record<Column, number> | { error: string } {
  const index = {} as Record<Column, number>;
  for (const name of NEEDED_COLUMNS) {
    const at = columns.filter((c) => c === name).length;
    if (at !== 1) return { error: `columns must name ${name} exactly once (it does ${at} times)` };
    index[name] = columns.indexOf(name);
  }
  return index;
}

export function decodeRows(output: RowsOutput, tensors: ReadonlyMap<string, OutputTensor>, input: Size): Candidate[] {
  const col = columnIndex(output.columns);
  if ('error' in col) throw new Error(col.error);
  const tensor = tensors.get(output.tensor);
  const [, rowLength] = unbatched(output.tensor, tensor, 2, '[1, rows, columns]');
  if (rowLength < output.columns.length) {
    throw new Error(`output rows have ${rowLength} values but columns names ${output.columns.length}`);
  }
  const [ux, uy] = output.boxUnits === 'normalized' ? [input.width, input.height] : [1, 1];
  const { values } = tensor!;
  const candidates: Candidate[] = [];
  for (let at = 0; at + rowLength <= values.length; at += rowLength) {
    const v = (c: Column) => values[at + col[c]];
    if (!(v('score') >= MIN_SCORE)) continue;
    candidates.push({ x1: v('x1') * ux, y1: v('y1') * uy, x2: v('x2') * ux, y2: v('y2') * uy, score: v('score'), labelIndex: v('class') });
  }
  return candidates;
}
