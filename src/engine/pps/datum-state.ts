/**
 * A pipeline's datum state between jobs, as Merkle Search Trees over the store's objects (each
 * job record names their roots, so a job reads and writes only the datums it touches):
 *
 * - datums:  datum id -> what the datum was (hash, its inputs' matches, outputs, the job that
 *            processed it last, its state). A datum another job processed shows as SKIPPED.
 * - outputs: output path -> the id of the datum that wrote it (who else wrote a path, what a
 *            traced file came from).
 * - keys:    the key index of the pipeline's joins and groups (datum/incremental.ts).
 */
import type { DatumMatch } from '../datum/create.js';
import { type KeyMember, keyMemberCodec } from '../datum/incremental.js';
import { Mst, type MstEdit, type ValueCodec } from '../store/mst.js';
import type { FileEntry, Store } from '../store/store.js';

/** The roots a job leaves (null: an empty tree). */
export interface DatumRoots {
  datums: string | null;
  outputs: string | null;
  keys: string | null;
}

/** A datum's input as the state keeps it: the match, without the commit (the job's) or the files (the commit's tree has them). */
export type StoredInput = Omit<DatumMatch, 'commit' | 'files'>;

export interface StoredDatum {
  hash: string;
  inputs: StoredInput[];
  /** What the datum put in the output repo (carried over while it is skipped). */
  outputs: FileEntry[];
  /** The job that processed it last. */
  job: string;
  state: 'SUCCESS' | 'FAILED' | 'RECOVERED';
  reason?: string;
  /** How many times the step ran on it in that job. */
  tries?: number;
}

function jsonCodec<T>(): ValueCodec<T> {
  return {
    encode: (value, out) => out.utf8(JSON.stringify(value)),
    decode: (input) => JSON.parse(input.utf8()) as T,
    weight: () => 0,
    equal: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  };
}

export const writerCodec: ValueCodec<string> = {
  encode: (id, out) => out.hex(id),
  decode: (input) => input.hex(32),
  weight: () => 0,
  equal: (a, b) => a === b,
};

export const datumCodec = jsonCodec<StoredDatum>();

export function storedInput(match: DatumMatch): StoredInput {
  const { commit: _commit, files: _files, ...stored } = match;
  return stored;
}

/** The three trees of a pipeline's datum state, over the store's objects. */
export class DatumTrees {
  readonly datums: Mst<StoredDatum>;
  readonly outputs: Mst<string>;
  readonly keys: Mst<KeyMember>;

  constructor(private readonly store: Store) {
    const nodes = store.nodeStorage();
    this.datums = new Mst(nodes, datumCodec);
    this.outputs = new Mst(nodes, writerCodec);
    this.keys = new Mst(nodes, keyMemberCodec);
  }

  /** Stores the edited trees, their nodes durable before a job record names the roots. */
  async persist(edits: { datums: MstEdit<StoredDatum>; outputs?: MstEdit<string>; keys?: MstEdit<KeyMember> }): Promise<DatumRoots> {
    const datums = edits.datums.persist();
    const outputs = edits.outputs?.persist() ?? null;
    const keys = edits.keys?.persist() ?? null;
    await this.store.flushNodes([...datums.written, ...(outputs?.written ?? []), ...(keys?.written ?? [])]);
    return { datums: datums.hash, outputs: outputs?.hash ?? null, keys: keys?.hash ?? null };
  }
}
