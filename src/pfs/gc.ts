import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's incremental marking in this process: a full collection then runs only when
 * the old generation is full, as one short pause, which a batch step never notices.
 *
 * A step whose datums are mostly native work (sharp decoding into large external Buffers)
 * allocates little on the JS heap between them, and V8's heuristics then restart incremental
 * marking soon after each full collection: such a step can make dozens of full collections
 * where a few would do. V8 reads the flag whenever it considers starting to mark, so setting it
 * once at start-up is enough.
 */
export function useAtomicFullCollections(): void {
  setFlagsFromString('--no-incremental-marking');
}
