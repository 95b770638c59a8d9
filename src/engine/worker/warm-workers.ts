import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../../pfs/files.js';
import type { PipelineSpec } from '../pps/spec.js';
import type { BatchWorker, SessionEnd } from './batch-session.js';
import type { Store } from '../store/store.js';
import { DatumRoot } from './datum-root.js';
import { Remover } from './remover.js';

/**
 * A step process that finished its job's datums and waits, still blocked in its NextDatum call,
 * for the next job of the same pipeline (see BatchSession). `dispose` ends it.
 */
export interface ParkedStep {
  /** Serves `worker`'s job, its waiting NextDatum call answered with the job's first datum. */
  resume(worker: BatchWorker): Promise<SessionEnd>;
  dispose(): void;
}

/** One worker's place in the pool: its datum root, kept across jobs, and the step parked there. */
interface Slot {
  key: string;
  root: DatumRoot;
  parked?: ParkedStep;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Datum-batching steps kept warm across jobs, for a long-running server (`vigil serve`): when
 * a job has no datum left, its step is not ended but parked, its NextDatum call unanswered, and
 * the next job of the pipeline answers that call with its first datum. A step that loads a model
 * or a policy thus loads it once, not once per job. Each worker keeps its own datum root (the
 * step's PFS_ROOT cannot change under a running process). A step parked longer than `idleMs`,
 * or parked under another spec or environment than the next job's, is ended.
 *
 * This differs from Pachyderm, whose worker restarts user code for every job; `vigil run`
 * keeps that lifetime (it uses no pool). A step that caches what an input gives it must check
 * that input's commit, as the detect and match steps do.
 */
export class WarmWorkers {
  private readonly slots = new Map<string, Slot>();
  private readonly remover = new Remover();
  private closed = false;

  constructor(
    private readonly store: Store,
    /** A folder of the store's filesystem for the roots (datum files are hard links to its objects). */
    private readonly dir: string,
    private readonly idleMs = 10 * 60_000,
  ) {}

  /** What a parked step must have been started with to serve a job: its pipeline's spec and environment. */
  static keyOf(spec: PipelineSpec, env: Record<string, string>): string {
    return sha256(JSON.stringify([spec, Object.entries(env).sort()]));
  }

  /** Worker `index`'s datum root for a job of `spec`, kept across jobs; a root laid out for another key is made anew. */
  async root(spec: PipelineSpec, key: string, index: number): Promise<DatumRoot> {
    const id = slotId(spec.name, index);
    const slot = this.slots.get(id);
    if (slot?.key === key) return slot.root;
    if (slot) this.release(id, slot);
    const root = await DatumRoot.create(join(this.dir, spec.name, `w${index}`), this.store, this.remover);
    this.slots.set(id, { key, root });
    return root;
  }

  /** The step parked in worker `index`'s slot for `key`, taken out of the pool; undefined when none. */
  take(spec: PipelineSpec, key: string, index: number): ParkedStep | undefined {
    const slot = this.slots.get(slotId(spec.name, index));
    if (!slot || slot.key !== key || !slot.parked) return undefined;
    const parked = slot.parked;
    slot.parked = undefined;
    clearTimeout(slot.idleTimer);
    return parked;
  }

  /** Keeps a step that drained its job; false when the pool takes no more (closed, or the slot belongs to another key). */
  park(spec: PipelineSpec, key: string, index: number, step: ParkedStep): boolean {
    const slot = this.slots.get(slotId(spec.name, index));
    if (this.closed || !slot || slot.key !== key || slot.parked) return false;
    slot.parked = step;
    slot.idleTimer = setTimeout(() => this.forget(step), this.idleMs);
    slot.idleTimer.unref();
    return true;
  }

  /** A parked step ended by itself (or timed out): drop it from its slot. */
  forget(step: ParkedStep): void {
    for (const slot of this.slots.values()) {
      if (slot.parked !== step) continue;
      slot.parked = undefined;
      clearTimeout(slot.idleTimer);
      step.dispose();
    }
  }

  /** Ends every parked step and removes the roots. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [id, slot] of this.slots) this.release(id, slot);
    await this.remover.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private release(id: string, slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.parked?.dispose();
    this.slots.delete(id);
  }
}

function slotId(pipeline: string, index: number): string {
  return `${pipeline}/${index}`;
}
