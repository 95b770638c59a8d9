/**
 * The walk over hops, whatever the files are: each file is looked up at the commit its referrer
 * names, re-hashed from the bytes the store holds and compared with the recorded sha256, and tied
 * to the job (whose id is its commit) and datum that wrote it. What a file was made from is its
 * reader's business (one per hop kind); the backward walk follows those sources recursively.
 */
import type { DatumRecord } from '../engine/pps/job-records.js';
import { StoreDamageError } from '../engine/store/damage.js';
import type { FileEntry } from '../engine/store/store.js';
import { hopKind, hopName, type Hop, type HopKind, type Ref, type Source } from './hop.js';
import type { StoreView } from './store-view.js';
import { describeExpiry } from '../engine/store/expiry.js';

/** A hop whose file its commit holds, and the datum that wrote it when a job did. */
export interface Located {
  hop: Hop;
  entry: FileEntry;
  datum: DatumRecord | undefined;
}

/** The files a hop was made from, and a check to run once they are traced (backward only). */
export interface Read {
  sources: Source[];
  checkSources?: () => void;
}

/** Reads what a located file was made from, noting on its hop what its record says and what is wrong. */
export type Reader = (file: Located) => Promise<Read>;

/**
 * Runs `read`; damage it meets in the store (a damaged tree node, commit record or object) is a
 * problem of `hop`, and `fallback` its result: a trace reports damage, it never stops on it.
 */
export async function noteDamage<T>(hop: Hop, fallback: T, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof StoreDamageError)) throw e;
    hop.problems.push(e.message);
    return fallback;
  }
}

/**
 * What a reader makes of a record whose bytes expired: the files it was made from were named in
 * those bytes, so the walk stops at it, as expected rather than as a problem.
 */
export function expiredRecord(hop: Hop): Read {
  hop.summary = 'what it was made from was written in its bytes, which expired: the trace stops here';
  return { sources: [] };
}

export class Walk {
  constructor(
    private readonly view: StoreView,
    private readonly readers: Record<HopKind, Reader>,
  ) {}

  /** Checks one file and reads what it was made from. */
  async examine(kind: HopKind, ref: Ref): Promise<{ hop: Hop } & Read> {
    const hop: Hop = {
      kind,
      repo: ref.repo,
      commit: ref.commit ?? null,
      path: ref.path,
      sha256: ref.sha256 ?? null,
      actualSha256: null,
      job: null,
      problems: [],
      next: [],
    };
    // Damaged bytes are never read: the hop notes the damage and the walk stops there. An expired
    // file's lineage is in records, not in its bytes: the walk goes on past it.
    const entry = await noteDamage(hop, null, () => this.locate(hop));
    if (!entry || (hop.actualSha256 !== entry.sha256 && !hop.expired)) return { hop, sources: [] };
    return noteDamage(hop, { hop, sources: [] }, async () => {
      const datum = await this.attachJob(hop, entry);
      return { hop, ...(await this.readers[kind]({ hop, entry, datum })) };
    });
  }

  /** The hop and, recursively, everything it was made from. */
  async back(kind: HopKind, ref: Ref): Promise<Hop> {
    const { hop, sources, checkSources } = await this.examine(kind, ref);
    for (const source of sources) {
      const sourceKind = hopKind(source.ref.repo, source.ref.path);
      if (!sourceKind || !source.kinds.includes(sourceKind)) {
        hop.problems.push(
          `names ${hopName({ commit: null, ...source.ref })} as its source, which is not a ${source.kinds.join(' or ')} file`,
        );
        continue;
      }
      hop.next.push(await this.back(sourceKind, source.ref));
    }
    checkSources?.();
    return hop;
  }

  /** The file as its commit holds it, checked against the recorded sha256 and re-hashed; null (problem noted) when not there. */
  private async locate(hop: Hop): Promise<FileEntry | null> {
    if (hop.commit === null) {
      hop.problems.push(`the record names no commit of ${hop.repo}, so the file cannot be found`);
      return null;
    }
    if (!(await this.view.commit(hop.repo, hop.commit))) {
      hop.problems.push(`commit ${hop.commit} is missing from repo ${hop.repo}`);
      return null;
    }
    const entry = (await this.view.tree(hop.repo, hop.commit)).get(hop.path);
    if (!entry) {
      hop.problems.push(`${hop.path} is not in ${hop.repo}@${hop.commit}`);
      return null;
    }
    hop.sha256 ??= entry.sha256;
    hop.actualSha256 = await this.view.objectHash(entry.sha256);
    if (entry.sha256 !== hop.sha256) {
      hop.problems.push(`the commit holds other bytes (sha256 ${entry.sha256}) than the ${hop.sha256} recorded`);
    } else if (hop.actualSha256 === null) {
      const expiry = await this.view.store.expiry.get(entry.sha256);
      if (expiry) hop.expired = describeExpiry(expiry);
      else hop.problems.push(`the stored object ${entry.sha256} is missing`);
    } else if (hop.actualSha256 !== hop.sha256) {
      hop.problems.push(
        `the stored bytes hash to ${hop.actualSha256}, not the recorded ${hop.sha256}: they changed after they were committed`,
      );
    }
    return entry;
  }

  /** The job that made the hop's commit (its id is the commit's) and the datum that wrote the file. */
  private async attachJob(hop: Hop, entry: FileEntry): Promise<DatumRecord | undefined> {
    if (!(await this.view.isPipeline(hop.repo))) return undefined;
    const job = await this.view.job(hop.repo, hop.commit!);
    if (!job) {
      hop.problems.push(`no job of pipeline ${hop.repo} made commit ${hop.commit}: the commit did not come from the pipeline`);
      return undefined;
    }
    const datum = this.view.datumWriting(job, hop.path);
    hop.job = {
      pipeline: job.pipeline,
      id: job.id,
      pipelineVersion: job.pipelineVersion,
      state: job.state,
      ...(datum ? { datum: { id: datum.id, state: datum.state } } : {}),
    };
    const written = datum?.outputs.find((o) => o.path === hop.path);
    if (!written) hop.problems.push(`no datum of job ${job.id} wrote ${hop.path}`);
    else if (written.sha256 !== entry.sha256)
      hop.problems.push(`datum ${datum!.id} of job ${job.id} wrote other bytes (sha256 ${written.sha256})`);
    return datum;
  }
}
