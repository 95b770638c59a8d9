import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's incremental marking in this process: a full collection then runs only when
 * the old generation is full, as one pause of a few milliseconds, which a batch step never
 * notices.
 *
 * A step whose datums are mostly native work (sharp decoding into large external Buffers)
 * allocates little on the JS heap between them, and V8's heuristics then restart incremental
 * marking soon after each full collection. Measured on the validate step, two workers and
 * 1,000 frames: in about half the runs a worker made 55 to 70 full collections instead of 1
 * to 3, which cost it up to a second of CPU. V8 reads the flag whenever it considers starting
 * to mark, so setting it once at start-up is enough.
 */
export function useAtomicFullCollections(): void {
  setFlagsFromString('--no-incremental-marking');
}
