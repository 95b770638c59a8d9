import type { PipelineSpec } from '../pps/spec.js';

/**
 * Datum sets, as Pachyderm's worker cuts a job's datums (worker/pipeline/transform/registry.go,
 * createSetSpec; worker/datum/datum.go, CreateSets): `datumSetSpec.number` datums a set, or
 * sets of `datumSetSpec.sizeBytes` of input, else the datums to process spread evenly,
 * `perWorker` (default 4) sets per worker, at least 1 datum a set. A datum-batching step runs
 * once per set: its process is started for a set and ended after it (handleDatumSetBatching),
 * so whatever it loads at start-up is loaded once per set, not once per worker.
 */
export interface DatumSetLimit {
  /** At most this many datums a set (Infinity: no limit). */
  datums: number;
  /** A set ends once its datums' input bytes reach this (Infinity: no limit). */
  bytes: number;
}

const DEFAULT_SETS_PER_WORKER = 4;

export function datumSetLimit(spec: PipelineSpec, datums: number, workers: number): DatumSetLimit {
  const { number = 0, sizeBytes = 0, perWorker = 0 } = spec.datumSetSpec ?? {};
  if (number > 0) return { datums: number, bytes: Infinity };
  if (sizeBytes > 0) return { datums: Infinity, bytes: sizeBytes };
  const perSet = Math.floor(datums / (Math.max(workers, 1) * (perWorker || DEFAULT_SETS_PER_WORKER)));
  return { datums: Math.max(perSet, 1), bytes: Infinity };
}

/** No limit: a warm worker of `vigil serve` keeps its step from set to set and job to job (see WarmWorkers). */
export const UNLIMITED_SET: DatumSetLimit = { datums: Infinity, bytes: Infinity };

/** The datums and bytes a worker's current set has taken, against its limit. */
export class DatumSet {
  private datums = 0;
  private bytes = 0;

  constructor(private readonly limit: DatumSetLimit) {}

  /** Whether the set is complete: a datum more belongs to the next set. */
  get full(): boolean {
    return this.datums >= this.limit.datums || this.bytes >= this.limit.bytes;
  }

  add(bytes: number): void {
    this.datums++;
    this.bytes += bytes;
  }
}
