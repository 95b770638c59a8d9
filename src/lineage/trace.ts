/**
 * File-level provenance, checked (`vigil trace`). Backward: from any record of alerts, matches,
 * detections, validated or a warehouse partition, along the lineage each record carries, to the
 * camera frame in raw. Forward: from a frame to what the heads of the downstream repos derived
 * from it. Every hop is re-hashed from the bytes the store holds and compared with the sha256
 * the record that names it recorded; the job that wrote it is the job whose id is its commit.
 *
 * The validated JPEG carries no lineage of its own: its raw frame is the input file of the datum
 * that wrote it (the job's datum table), else, for a commit no job of this engine made, the file
 * of its commit's provenance at the same `/<user>-<device>/<ts>.<ext>`.
 */
import { readFile } from 'node:fs/promises';
import type { Delivery, Match, ModelVersion, RulesVersion, SchemaName, SchemaTypes } from '../../specs/index.js';
import { describeErrors, validatorFor } from '../../specs/index.js';
import { VigilError } from '../pfs/errors.js';
import { sha256File } from '../pfs/files.js';
import { parseFramePath, parseTimestamp } from '../contract/frame-path.js';
import { weightFiles, weightsSha256 } from '../contract/model-version.js';
import { listJobs, readDatums, type DatumRecord, type DatumState, type JobRecord, type JobState } from '../engine/pps/job-records.js';
import { listPipelines } from '../engine/pps/pipelines.js';
import type { CommitInfo, FileEntry, Store } from '../engine/store/store.js';

/** What a traced file is, by the repo and folder the architecture puts it in. */
export type HopKind = 'alert' | 'match' | 'detection' | 'validated' | 'rejection' | 'raw' | 'warehouse';

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
  /** What the record says, in one line: the incident, the objects, the rules that fired, the reasons. */
  summary?: string;
  /** An incident's notifications: the API calls made to the customer and how they ended. */
  deliveries?: Array<Pick<Delivery, 'channel' | 'recipient' | 'status' | 'attempts'>>;
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
}

/** What `repo@ref:path` names, as the CLI parses it. */
export interface FileTarget {
  repo: string;
  ref: string;
  path: string;
}

const RAW = 'raw';
const VALIDATED = 'validated';
const DETECTIONS = 'detections';
const MATCHES = 'matches';
const ALERTS = 'alerts';
/** Detection records name their model by folder and commit of this repo (the detections pipeline's input). */
const MODELS = 'models';

/** The kind of file `path` of `repo` is; null for a file trace does not follow. */
export function hopKind(repo: string, path: string): HopKind | null {
  switch (repo) {
    case RAW:
      return 'raw';
    case VALIDATED:
      return path.startsWith('/valid/') ? 'validated' : path.startsWith('/rejected/') ? 'rejection' : null;
    case DETECTIONS:
      return 'detection';
    case MATCHES:
      return 'match';
    case ALERTS:
      return 'alert';
    case 'warehouse':
      return path.endsWith('.parquet') ? 'warehouse' : null;
    default:
      return null;
  }
}

/** `REPO@COMMIT:PATH`, the name a hop goes by in problems. */
export function hopName(hop: Pick<Hop, 'repo' | 'commit' | 'path'>): string {
  return `${hop.repo}@${hop.commit ?? '(no commit)'}:${hop.path}`;
}

/** A file a record names. */
interface Ref {
  repo: string;
  commit?: string | null;
  path: string;
  sha256?: string | null;
}

/** A file this one was made from, and the kinds it may be (a frame ref naming a match is a forged record, and would loop). */
interface Source {
  ref: Ref;
  kinds: HopKind[];
}

/** A hop with the sources its record names, before they are followed. */
interface Examined {
  hop: Hop;
  sources: Source[];
  /** A match hop's record, checked against its detection once that is traced. */
  match?: Match;
}

/** Whether `path` is the raw frame a validated frame's `/valid/<user>-<device>/<ts>.jpg` was made from, whatever its extension. */
export function isRawSourceOf(validatedPath: string, path: string): boolean {
  const valid = parseFramePath(validatedPath.replace(/^\/valid\//, '/'));
  const raw = parseFramePath(path);
  return !('error' in valid) && !('error' in raw) && valid.source === raw.source && valid.ts === raw.ts;
}

/** The one file among `candidates`, or why there is not exactly one. */
export function onlySource(candidates: Ref[], where: string, validatedPath: string): Ref | { problem: string } {
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) return { problem: `no file of ${where} is the raw frame of ${validatedPath}` };
  return { problem: `${where} holds ${candidates.length} raw frames that could be the source of ${validatedPath}: ${candidates.map((c) => c.path).join(', ')}` };
}

function sameFile(ref: Ref, hop: Hop): boolean {
  return ref.repo === hop.repo && ref.path === hop.path && ref.sha256 === hop.sha256;
}

function memo<K, V>(cache: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  let value = cache.get(key);
  if (!value) cache.set(key, (value = make()));
  return value;
}

function formatScore(n: number): string {
  return n.toFixed(2);
}

/** The walk, with everything it reads cached: a trace reads each commit, tree, job table and object once. */
class Tracer {
  private readonly commits = new Map<string, Promise<CommitInfo | null>>();
  private readonly trees = new Map<string, Promise<Map<string, FileEntry>>>();
  private readonly hashes = new Map<string, Promise<string | null>>();
  private readonly jobs = new Map<string, Promise<Map<string, JobRecord>>>();
  private readonly datums = new Map<string, Promise<Map<string, DatumRecord>>>();
  private readonly modelChecks = new Map<string, Promise<string[]>>();
  private readonly rulesChecks = new Map<string, Promise<string[]>>();
  private pipelines?: Promise<Set<string>>;

  constructor(private readonly store: Store) {}

  // ---- what the store and the runner hold ----

  /** The commit whose id is `id`; a branch name or `^` in a record is no commit (it moves), so it counts as missing. */
  private commit(repo: string, id: string): Promise<CommitInfo | null> {
    return memo(this.commits, `${repo}@${id}`, () =>
      this.store.resolveCommit(repo, id).then(
        (info) => (info.id === id ? info : null),
        (e: unknown) => {
          if (e instanceof VigilError) return null;
          throw e;
        },
      ),
    );
  }

  private tree(repo: string, id: string): Promise<Map<string, FileEntry>> {
    return memo(this.trees, `${repo}@${id}`, async () => new Map((await this.store.listFiles(repo, id)).map((e) => [e.path, e])));
  }

  /** The sha256 of the object's bytes as they are now (objects are named by the hash they had when stored). */
  private objectHash(object: string): Promise<string | null> {
    return memo(this.hashes, object, () =>
      sha256File(this.store.objectPath(object)).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return null;
        throw e;
      }),
    );
  }

  /** The head of `repo`'s master; null when the repo does not exist (yet) or has no commits. */
  private head(repo: string): Promise<CommitInfo | null> {
    return this.store.headCommit(repo).catch((e: unknown) => {
      if (e instanceof VigilError) return null;
      throw e;
    });
  }

  private pipelineNames(): Promise<Set<string>> {
    this.pipelines ??= listPipelines(this.store).then((records) => new Set(records.map((r) => r.name)));
    return this.pipelines;
  }

  private jobsOf(pipeline: string): Promise<Map<string, JobRecord>> {
    return memo(this.jobs, pipeline, async () => new Map((await listJobs(this.store.root, [pipeline])).map((j) => [j.id, j])));
  }

  /** The job's datums by the output paths they wrote (or carried over). */
  private datumsOf(job: JobRecord): Promise<Map<string, DatumRecord>> {
    return memo(this.datums, `${job.pipeline}@${job.id}`, async () => {
      const byOutput = new Map<string, DatumRecord>();
      for (const datum of await readDatums(this.store.root, job.pipeline, job.id)) for (const o of datum.outputs) byOutput.set(o.path, datum);
      return byOutput;
    });
  }

  // ---- one hop ----

  /** The file as its commit holds it, checked against the recorded sha256 and re-hashed; null (problem noted) when not there. */
  private async locate(hop: Hop): Promise<FileEntry | null> {
    if (hop.commit === null) {
      hop.problems.push(`the record names no commit of ${hop.repo}, so the file cannot be found`);
      return null;
    }
    if (!(await this.commit(hop.repo, hop.commit))) {
      hop.problems.push(`commit ${hop.commit} is missing from repo ${hop.repo}`);
      return null;
    }
    const entry = (await this.tree(hop.repo, hop.commit)).get(hop.path);
    if (!entry) {
      hop.problems.push(`${hop.path} is not in ${hop.repo}@${hop.commit}`);
      return null;
    }
    hop.sha256 ??= entry.sha256;
    hop.actualSha256 = await this.objectHash(entry.sha256);
    if (entry.sha256 !== hop.sha256) {
      hop.problems.push(`the commit holds other bytes (sha256 ${entry.sha256}) than the ${hop.sha256} recorded`);
    } else if (hop.actualSha256 === null) {
      hop.problems.push(`the stored object ${entry.sha256} is missing`);
    } else if (hop.actualSha256 !== hop.sha256) {
      hop.problems.push(`the stored bytes hash to ${hop.actualSha256}, not the recorded ${hop.sha256}: they changed after they were committed`);
    }
    return entry;
  }

  /** The job that made the hop's commit (its id is the commit's) and the datum that wrote the file. */
  private async attachJob(hop: Hop, entry: FileEntry): Promise<DatumRecord | undefined> {
    if (!(await this.pipelineNames()).has(hop.repo)) return undefined;
    const job = (await this.jobsOf(hop.repo)).get(hop.commit!);
    if (!job) {
      hop.problems.push(`no job of pipeline ${hop.repo} made commit ${hop.commit}: the commit did not come from the pipeline`);
      return undefined;
    }
    const datum = (await this.datumsOf(job)).get(hop.path);
    hop.job = {
      pipeline: job.pipeline,
      id: job.id,
      pipelineVersion: job.pipelineVersion,
      state: job.state,
      ...(datum ? { datum: { id: datum.id, state: datum.state } } : {}),
    };
    const written = datum?.outputs.find((o) => o.path === hop.path);
    if (!written) hop.problems.push(`no datum of job ${job.id} wrote ${hop.path}`);
    else if (written.sha256 !== entry.sha256) hop.problems.push(`datum ${datum!.id} of job ${job.id} wrote other bytes (sha256 ${written.sha256})`);
    return datum;
  }

  /** Checks one file and reads what it was made from. */
  async examine(kind: HopKind, ref: Ref): Promise<Examined> {
    const hop: Hop = { kind, repo: ref.repo, commit: ref.commit ?? null, path: ref.path, sha256: ref.sha256 ?? null, actualSha256: null, job: null, problems: [], next: [] };
    const entry = await this.locate(hop);
    if (!entry || hop.actualSha256 === null) return { hop, sources: [] };
    const datum = await this.attachJob(hop, entry);
    if (kind === 'raw') return { hop, sources: [] };
    if (kind === 'validated') return { hop, sources: await this.rawSource(hop, datum) };
    if (kind === 'warehouse') return { hop, sources: await this.warehouseSources(hop, entry) };
    return this.readRecord(hop, entry);
  }

  /** The file's record if it is a valid `<schema>` record; otherwise undefined, and the hop says why. */
  private async recordOf<K extends SchemaName>(hop: Hop, entry: FileEntry, schema: K): Promise<SchemaTypes[K] | undefined> {
    let record: unknown;
    try {
      record = JSON.parse(await readFile(this.store.objectPath(entry.sha256), 'utf8'));
    } catch (e) {
      hop.problems.push(`not a ${schema} record: ${(e as Error).message}`);
      return undefined;
    }
    const validate = validatorFor(schema);
    if (validate(record)) return record;
    hop.problems.push(`not a ${schema} record: ${describeErrors(hop.path, validate.errors).join('; ')}`);
    return undefined;
  }

  private async readRecord(hop: Hop, entry: FileEntry): Promise<Examined> {
    const unread: Examined = { hop, sources: [] };
    switch (hop.kind) {
      case 'alert': {
        const a = await this.recordOf(hop, entry, 'alert');
        if (!a) return unread;
        const frames = `${a.frameCount} frame${a.frameCount === 1 ? '' : 's'}`;
        hop.summary = `incident ${a.id}: rule ${a.rule.id} "${a.rule.name}" (${a.rule.severity}), ${frames} from ${a.first.capturedAt} to ${a.last.capturedAt}`;
        hop.deliveries = a.deliveries.map(({ channel, recipient, status, attempts }) => ({ channel, recipient, status, attempts }));
        return { hop, sources: a.matches.map((ref) => ({ ref, kinds: ['match'] })) };
      }
      case 'match': {
        const m = await this.recordOf(hop, entry, 'match');
        if (!m) return unread;
        hop.summary = m.fired
          .map((f) => `rule ${f.ruleId} "${f.name}" (${f.severity}) fired on ${f.objects.map((o) => `${o.label} ${formatScore(o.score)}`).join(', ')}`)
          .join('; ');
        hop.rules = m.rules;
        hop.problems.push(...(await this.rulesProblems(m.rules)));
        return { hop, match: m, sources: [{ ref: m.detection, kinds: ['detection'] }] };
      }
      case 'detection': {
        const d = await this.recordOf(hop, entry, 'detection');
        if (!d) return unread;
        hop.summary = d.error
          ? `the frame could not be read: ${d.error}`
          : d.objects.length === 0
            ? 'no objects found'
            : `found ${d.objects.map((o) => `${o.label} ${formatScore(o.score)}`).join(', ')}`;
        hop.model = d.model;
        hop.problems.push(...(await this.modelProblems(d.model)));
        return { hop, sources: [{ ref: d.frame, kinds: ['validated'] }] };
      }
      default: {
        const r = await this.recordOf(hop, entry, 'rejection');
        if (!r) return unread;
        hop.summary = `rejected: ${r.reasons.map((reason) => reason.message).join(' ')}`;
        return { hop, sources: [{ ref: r.input, kinds: ['raw'] }] };
      }
    }
  }

  /** The raw frame a validated frame was made from (see the module comment). */
  private async rawSource(hop: Hop, datum: DatumRecord | undefined): Promise<Source[]> {
    const isSource = (path: string) => isRawSourceOf(hop.path, path);
    let found: Ref | { problem: string };
    if (datum) {
      const candidates = datum.inputs.flatMap((input) =>
        input.files.filter((f) => isSource(f.path)).map((f) => ({ repo: input.repo, commit: input.commit, path: f.path, sha256: f.sha256 })),
      );
      found = onlySource(candidates, `datum ${datum.id}'s input`, hop.path);
    } else {
      const commit = (await this.commit(hop.repo, hop.commit!))!;
      const candidates: Ref[] = [];
      for (const p of commit.provenance) {
        for (const f of (await this.tree(p.repo, p.id)).values()) if (isSource(f.path)) candidates.push({ repo: p.repo, commit: p.id, path: f.path, sha256: f.sha256 });
      }
      found = onlySource(candidates, `the provenance of ${hop.repo}@${hop.commit}`, hop.path);
    }
    if ('problem' in found) {
      hop.problems.push(found.problem);
      return [];
    }
    return [{ ref: found, kinds: ['raw'] }];
  }

  /** The record files a warehouse partition's rows were read from (its lineage columns). */
  private async warehouseSources(hop: Hop, entry: FileEntry): Promise<Source[]> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const file = this.store.objectPath(entry.sha256);
      const rows = (await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet($file)`, { file })).getRowObjectsJson();
      const refs = (
        await connection.runAndReadAll(`SELECT DISTINCT repo, path, sha256, "commit" FROM read_parquet($file) ORDER BY repo, path, "commit"`, { file })
      ).getRowObjectsJson() as unknown as Array<{ repo: string; path: string; sha256: string; commit: string | null }>;
      const table = hop.path.split('/')[2] ?? '?';
      hop.summary = `${rows[0]!.n} rows of table ${table} from ${refs.length} record file${refs.length === 1 ? '' : 's'}`;
      return refs.map((ref) => ({ ref, kinds: ['alert', 'match', 'detection', 'rejection'] }));
    } catch (e) {
      hop.problems.push(`cannot read the Parquet rows: ${(e as Error).message}`);
      return [];
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  /** The model's commit exists and its weight files still hash to the recorded version. */
  private modelProblems(model: ModelVersion): Promise<string[]> {
    return memo(this.modelChecks, `${model.commit}/${model.name}/${model.weightsSha256}`, async () => {
      const where = `model ${model.name} at ${MODELS}@${model.commit}`;
      if (!(await this.commit(MODELS, model.commit))) return [`commit ${model.commit} of the model ${model.name} is missing from repo ${MODELS}`];
      const tree = await this.tree(MODELS, model.commit);
      const manifest = tree.get(`/${model.name}/model.json`);
      if (!manifest) return [`${where}: no /${model.name}/model.json`];
      let paths: string[];
      try {
        paths = weightFiles(JSON.parse(await readFile(this.store.objectPath(manifest.sha256), 'utf8')));
      } catch (e) {
        return [`${where}: model.json has no readable weightsManifest: ${(e as Error).message}`];
      }
      const weights = new Map<string, Uint8Array>();
      for (const path of paths) {
        const file = tree.get(`/${model.name}/${path}`);
        if (!file) return [`${where}: the weight file ${path} is missing`];
        weights.set(path, await readFile(this.store.objectPath(file.sha256)));
      }
      const actual = weightsSha256(weights);
      return actual === model.weightsSha256 ? [] : [`${where}: the weight files hash to ${actual}, not the recorded ${model.weightsSha256}`];
    });
  }

  /** The rules commit exists and its rules.yaml and subscriptions.yaml still hash to what the match recorded. */
  private rulesProblems(rules: RulesVersion): Promise<string[]> {
    return memo(this.rulesChecks, `${rules.repo}@${rules.commit}/${rules.rulesSha256}/${rules.subscriptionsSha256}`, async () => {
      if (!(await this.commit(rules.repo, rules.commit))) return [`rules commit ${rules.commit} is missing from repo ${rules.repo}`];
      const tree = await this.tree(rules.repo, rules.commit);
      const problems: string[] = [];
      for (const [path, recorded] of [['/rules.yaml', rules.rulesSha256], ['/subscriptions.yaml', rules.subscriptionsSha256]] as const) {
        const file = tree.get(path);
        const actual = file ? await this.objectHash(file.sha256) : null;
        if (actual !== recorded) problems.push(`${rules.repo}@${rules.commit}:${path} ${file ? `hashes to ${actual}` : 'is missing'}, not the recorded ${recorded}`);
      }
      return problems;
    });
  }

  // ---- the two directions ----

  /** The hop and, recursively, everything it was made from. */
  async back(kind: HopKind, ref: Ref): Promise<Hop> {
    const { hop, sources, match } = await this.examine(kind, ref);
    for (const source of sources) {
      const sourceKind = hopKind(source.ref.repo, source.ref.path);
      if (!sourceKind || !source.kinds.includes(sourceKind)) {
        hop.problems.push(`names ${hopName({ commit: null, ...source.ref })} as its source, which is not a ${source.kinds.join(' or ')} file`);
        continue;
      }
      hop.next.push(await this.back(sourceKind, source.ref));
    }
    if (match) this.checkMatchAgainstDetection(hop, match);
    return hop;
  }

  /** A match copies its detection's frame and model: both must be the detection's own. */
  private checkMatchAgainstDetection(hop: Hop, match: Match): void {
    const detectionHop = hop.next[0];
    if (!detectionHop?.model) return;
    const frame = detectionHop.next[0];
    if (frame && (frame.path !== match.frame.path || frame.sha256 !== match.frame.sha256)) {
      hop.problems.push(`names the frame ${match.frame.path} (${match.frame.sha256}), but its detection was made from ${frame.path} (${frame.sha256})`);
    }
    const m = detectionHop.model;
    if (m.name !== match.model.name || m.commit !== match.model.commit || m.weightsSha256 !== match.model.weightsSha256) {
      hop.problems.push(`names the model ${match.model.name}@${match.model.commit}, but its detection was made by ${m.name}@${m.commit}`);
    }
  }

  /** `path` at the head of `repo` when its record names `parent` as a source; null when absent or derived from something else. */
  private async derivedAtHead(repo: string, path: string, parent: Hop): Promise<Hop | null> {
    const head = await this.head(repo);
    if (!head || !(await this.tree(repo, head.id)).has(path)) return null;
    const { hop, sources } = await this.examine(hopKind(repo, path)!, { repo, commit: head.id, path });
    return sources.some((s) => sameFile(s.ref, parent)) ? hop : null;
  }

  /** The incident files of the frame's device at the head of alerts that may hold a frame captured at `at`: same UTC day, started no later. */
  private async incidentPaths(source: string, at: Date): Promise<string[]> {
    const head = await this.head(ALERTS);
    if (!head) return [];
    const day = at.toISOString().slice(0, 10);
    const paths: string[] = [];
    for (const path of (await this.tree(ALERTS, head.id)).keys()) {
      if (!path.startsWith(`/${source}/`)) continue;
      const start = parseTimestamp(/-r-?\d+-([^/-]+)\.json$/.exec(path)?.[1] ?? '');
      if (!(start instanceof Date) || (start.toISOString().slice(0, 10) === day && start <= at)) paths.push(path);
    }
    return paths;
  }

  /** What the heads of validated, detections, matches and alerts hold that was made from the frame `root`. */
  async forward(root: Hop): Promise<void> {
    const frame = parseFramePath(root.path);
    if ('error' in frame) throw new VigilError(`${root.path} is not a camera frame: ${frame.error}`);
    const name = `/${frame.source}/${frame.ts}`;
    const rejection = await this.derivedAtHead(VALIDATED, `/rejected${name}.json`, root);
    const validated = await this.derivedAtHead(VALIDATED, `/valid${name}.jpg`, root);
    root.next = [validated, rejection].filter((h): h is Hop => h !== null);
    if (!validated) return;
    const detection = await this.derivedAtHead(DETECTIONS, `${name}.json`, validated);
    if (!detection) return;
    validated.next = [detection];
    const match = await this.derivedAtHead(MATCHES, `${name}.json`, detection);
    if (!match) return;
    detection.next = [match];
    for (const path of await this.incidentPaths(frame.source, frame.capturedAt)) {
      const incident = await this.derivedAtHead(ALERTS, path, match);
      if (incident) match.next.push(incident);
    }
  }

  /** The first hop: `target` resolved to a commit, its file checked against the commit. */
  async start(target: FileTarget): Promise<{ kind: HopKind; ref: Ref }> {
    const kind = hopKind(target.repo, target.path);
    if (!kind) {
      throw new VigilError(
        `vigil trace follows files of alerts, matches, detections, validated (/valid/, /rejected/), warehouse (*.parquet) and raw; ${target.repo}:${target.path} is none of them`,
      );
    }
    const commit = await this.store.resolveCommit(target.repo, target.ref);
    if (!(await this.tree(target.repo, commit.id)).has(target.path)) {
      throw new VigilError(`file "${target.path}" not found in ${target.repo}@${target.ref}`);
    }
    return { kind, ref: { repo: target.repo, commit: commit.id, path: target.path } };
  }
}

function summarise(direction: Trace['direction'], root: Hop): Trace {
  const frames = new Map<string, TracedFrame>();
  const problems: Trace['problems'] = [];
  let hops = 0;
  const walk = (hop: Hop) => {
    hops++;
    for (const problem of hop.problems) problems.push({ hop: hopName(hop), problem });
    if (hop.kind === 'raw') frames.set(hopName(hop), { repo: hop.repo, commit: hop.commit, path: hop.path, sha256: hop.sha256 });
    hop.next.forEach(walk);
  };
  walk(root);
  return { direction, root, frames: [...frames.values()], hops, problems };
}

/** Traces `target` (a record, a validated frame or a warehouse partition) back to the camera frames it came from. */
export async function traceBack(store: Store, target: FileTarget): Promise<Trace> {
  const tracer = new Tracer(store);
  const { kind, ref } = await tracer.start(target);
  return summarise('back', await tracer.back(kind, ref));
}

/** Traces the camera frame `target` (raw@REF:/<user>-<device>/<ts>.<ext>) forward to what the heads of the downstream repos derived from it. */
export async function traceForward(store: Store, target: FileTarget): Promise<Trace> {
  if (target.repo !== RAW) {
    throw new VigilError(`--frame takes a camera frame of ${RAW}, e.g. ${RAW}@master:/u1-cam1/20261126T041500Z.jpg; ${target.repo} is not ${RAW}`);
  }
  const tracer = new Tracer(store);
  const { ref } = await tracer.start(target);
  const { hop } = await tracer.examine('raw', ref);
  await tracer.forward(hop);
  return summarise('forward', hop);
}
