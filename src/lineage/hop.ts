/**
 * The hops of a trace: one file of one repo at one commit, what its record says, how it checked
 * out, and the files it was made from (backward) or that were made from it (forward).
 */
import type { Delivery, ModelVersion, RulesVersion } from '../../specs/index.js';
import { incidentOfRecordPath, incidentOfSnapshotPath } from '../contract/incident-id.js';
import { REPOS, inValidatedFolder } from '../contract/repos.js';
import type { DatumState, JobState } from '../engine/pps/job-records.js';

/** What a traced file is, by the repo and folder the architecture puts it in. */
export type HopKind = 'deliveries' | 'alert' | 'snapshot' | 'match' | 'detection' | 'validated' | 'rejection' | 'raw' | 'warehouse';

export interface HopJob {
  pipeline: string;
  /** Also the id of the output commit that holds the file. */
  id: string;
  /** The pipeline spec's version the job ran. */
  pipelineVersion: number;
  state: JobState;
  /** The datum whose output the file is: SUCCESS when this job wrote it, SKIPPED when carried over from an earlier job. */
  datum?: { id: string; state: DatumState };
}

/** One file of the trace and what it was checked against. */
export interface Hop {
  kind: HopKind;
  repo: string;
  /** The commit the referring record names (for the first hop, the commit REF resolved to). */
  commit: string | null;
  path: string;
  /** The sha256 the referring record says the file has (for the first hop, the commit's own). */
  sha256: string | null;
  /** The sha256 of the bytes the store holds now; null when they could not be read. */
  actualSha256: string | null;
  /** The job that wrote the file; null in an input repo (people commit there). */
  job: HopJob | null;
  model?: ModelVersion;
  rules?: RulesVersion;
  /** Whether the model or rules version above re-checked against the store (its commit there, its files' hashes as recorded). */
  versionVerified?: boolean;
  /** What the record says, in one line: the incident, the objects, the rules that fired, the reasons. */
  summary?: string;
  /** An incident's notifications: the API calls made to the customer and how they ended. */
  deliveries?: Array<Pick<Delivery, 'channel' | 'recipient' | 'status' | 'attempts'>>;
  /** A withdrawn incident's PagerDuty resolves, likewise. */
  resolves?: Array<Pick<Delivery, 'channel' | 'recipient' | 'status' | 'attempts'>>;
  /** Why its bytes are gone on purpose, when they are: "expired on <date> (retention)" or "erased on <date> (request <id>)". */
  expired?: string;
  /** Why this hop does not check out: a hash that differs, a commit or file that is missing. */
  problems: string[];
  /** Backward: the files this one was made from. Forward: the files made from it. */
  next: Hop[];
}

export interface TracedFrame {
  repo: string;
  commit: string | null;
  path: string;
  sha256: string | null;
}

export interface Trace {
  direction: 'back' | 'forward';
  root: Hop;
  /** The camera frames the trace reached, each once. */
  frames: TracedFrame[];
  hops: number;
  /** Every hop's problems, the hop named as REPO@COMMIT:PATH. */
  problems: Array<{ hop: string; problem: string }>;
  /** How many hops' bytes expired or were erased: expected, not problems. */
  expired: number;
}

/** What `repo@ref:path` names, as the CLI parses it. */
export interface FileTarget {
  repo: string;
  ref: string;
  path: string;
}

/** A file a record names. */
export interface Ref {
  repo: string;
  commit?: string | null;
  path: string;
  sha256?: string | null;
}

/** A file this one was made from, and the kinds it may be (a frame ref naming a match is a forged record, and would loop). */
export interface Source {
  ref: Ref;
  kinds: HopKind[];
}

/** The kind of file `path` of `repo` is; null for a file trace does not follow. */
export function hopKind(repo: string, path: string): HopKind | null {
  switch (repo) {
    case REPOS.raw:
      return 'raw';
    case REPOS.validated:
      return inValidatedFolder('valid', path) ? 'validated' : inValidatedFolder('rejected', path) ? 'rejection' : null;
    case REPOS.detections:
      return 'detection';
    case REPOS.matches:
      return 'match';
    case REPOS.alerts:
      // Beside each incident's record lies its snapshot (.jpg), which that record names.
      return incidentOfRecordPath(path) !== null ? 'alert' : incidentOfSnapshotPath(path) !== null ? 'snapshot' : null;
    case REPOS.deliveries:
      return incidentOfRecordPath(path) !== null ? 'deliveries' : null;
    case REPOS.warehouse:
      return path.endsWith('.parquet') ? 'warehouse' : null;
    default:
      return null;
  }
}

/** `REPO@COMMIT:PATH`, the name a hop goes by in problems. */
export function hopName(hop: Pick<Hop, 'repo' | 'commit' | 'path'>): string {
  return `${hop.repo}@${hop.commit ?? '(no commit)'}:${hop.path}`;
}
