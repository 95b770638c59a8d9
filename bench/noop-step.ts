/**
 * The benchmarks' step: datum batching, does nothing per datum. What it costs is the protocol
 * and the engine, which is what bench/engine-overhead.ts measures.
 */
import { forEachDatum } from '../src/pfs/datums.js';

await forEachDatum(async () => {});
