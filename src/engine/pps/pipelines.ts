import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { VigilError } from '../../pfs/errors.js';
import { atomicWriteFile } from '../../pfs/durable.js';
import { inputBranches } from './inputs.js';
import { createCronRepos, cronInputs } from './ticker.js';
import { INT64_FIELDS, MAP_FIELDS } from './request-fields.js';
import type { PipelineSpec } from './spec.js';
import { int64Field, protoTime, repoJson } from '../store/pfs-json.js';
import type { Store } from '../store/store.js';

/**
 * The pipeline registry: one JSON file per pipeline under `<root>/pps/pipelines/`. A pipeline's
 * output repo carries its name (Pachyderm's rule) and is created and deleted with it.
 */
export interface PipelineRecord {
  name: string;
  /** Starts at 1; every update that changes the spec adds one (Pachyderm's pipeline version). */
  version: number;
  spec: PipelineSpec;
  /** The salt in every datum hash: the spec's, else a random one; `--reprocess` draws a new one. */
  salt: string;
  /**
   * This version's commit in the pipeline's spec repo: Pachyderm keeps each version of a spec as
   * a commit of a repo of type `spec` named for the pipeline, gives its id to the workers
   * (PPS_SPEC_COMMIT) and adds it to every output commit's provenance. Registries written
   * before it was kept get one derived from the name and version (specCommitOf).
   */
  specCommit?: string;
  created: string;
  updated: string;
}

export type PutAction = 'created' | 'updated' | 'unchanged';

export function ppsDir(root: string): string {
  return join(root, 'pps');
}

function pipelinesDir(root: string): string {
  return join(ppsDir(root), 'pipelines');
}

function recordPath(root: string, name: string): string {
  return join(pipelinesDir(root), `${name}.json`);
}

export async function listPipelines(store: Store): Promise<PipelineRecord[]> {
  let names: string[];
  try {
    names = (await readdir(pipelinesDir(store.root))).filter((n) => n.endsWith('.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const records = await Promise.all(names.map((n) => readRecord(store.root, n.slice(0, -'.json'.length))));
  return records.filter((r): r is PipelineRecord => r !== null).sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function readRecord(root: string, name: string): Promise<PipelineRecord | null> {
  try {
    return JSON.parse(await readFile(recordPath(root, name), 'utf8')) as PipelineRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The pipeline, or a VigilError naming the pipelines there are. */
export async function inspectPipeline(store: Store, name: string): Promise<PipelineRecord> {
  const record = await readRecord(store.root, name);
  if (record) return record;
  const names = (await listPipelines(store)).map((p) => p.name);
  throw new VigilError(`pipeline "${name}" not found; pipelines: ${names.join(', ') || '(none)'}`);
}

/** The pipelines that read `repo` as an input (what `delete repo` refuses to break). */
export async function pipelinesReading(store: Store, repo: string): Promise<string[]> {
  return (await listPipelines(store)).filter((p) => inputBranches(p.spec.input).some((b) => b.repo === repo)).map((p) => p.name);
}

/**
 * Creates the pipeline (and its output repo), or with `update` replaces its spec. An update
 * that changes nothing keeps the version; `reprocess` draws a new salt so that every datum is
 * processed again (pachctl update pipeline --reprocess).
 */
export async function putPipeline(
  store: Store,
  spec: PipelineSpec,
  opts: { update: boolean; reprocess?: boolean },
): Promise<{ record: PipelineRecord; action: PutAction }> {
  const existing = await readRecord(store.root, spec.name);
  if (existing && !opts.update) throw new VigilError(`pipeline "${spec.name}" already exists; use \`vigil update pipeline\` to change it`);
  if (!existing && opts.update) await inspectPipeline(store, spec.name);
  await createCronRepos(store, spec);
  await checkInputs(store, spec);

  const now = new Date().toISOString();
  if (existing) {
    const specChanged = !isDeepStrictEqual(existing.spec, spec);
    if (!specChanged && !opts.reprocess) return { record: existing, action: 'unchanged' };
    const salt = opts.reprocess ? randomSalt() : spec.salt === existing.spec.salt ? existing.salt : (spec.salt ?? randomSalt());
    const record: PipelineRecord = { ...existing, version: existing.version + 1, spec, salt, specCommit: randomSalt(), updated: now };
    await atomicWriteFile(recordPath(store.root, spec.name), `${JSON.stringify(record, null, 2)}\n`);
    return { record, action: 'updated' };
  }
  if ((await store.listRepos()).some((r) => r.name === spec.name)) {
    throw new VigilError(`cannot create pipeline "${spec.name}": a repo of that name exists, and a pipeline's output repo takes its name`);
  }
  await store.createRepo(spec.name, { description: `output of pipeline ${spec.name}` });
  const record: PipelineRecord = {
    name: spec.name,
    version: 1,
    spec,
    salt: spec.salt ?? randomSalt(),
    specCommit: randomSalt(),
    created: now,
    updated: now,
  };
  await atomicWriteFile(recordPath(store.root, spec.name), `${JSON.stringify(record, null, 2)}\n`);
  return { record, action: 'created' };
}

/** The id of the record's version in the pipeline's spec repo. */
export function specCommitOf(record: PipelineRecord): string {
  return (
    record.specCommit ?? createHash('sha256').update(`${record.name}\0${record.version}\0${record.created}`).digest('hex').slice(0, 32)
  );
}

/** A random id of Pachyderm's form (a UUID without dashes), as commit ids are. */
function randomSalt(): string {
  return randomUUID().replace(/-/g, '');
}

/** Input repos exist, and the pipelines with this spec in place still form no cycle. */
async function checkInputs(store: Store, spec: PipelineSpec): Promise<void> {
  const repos = (await store.listRepos()).map((r) => r.name);
  for (const { repo } of inputBranches(spec.input)) {
    if (repo === spec.name) throw new VigilError(`pipeline "${spec.name}" cannot read its own output repo`);
    if (!repos.includes(repo))
      throw new VigilError(`pipeline "${spec.name}": input repo "${repo}" not found; repos: ${repos.join(', ') || '(none)'}`);
  }
  const others = (await listPipelines(store)).filter((p) => p.name !== spec.name).map((p) => p.spec);
  dependencyOrder([...others, spec]);
}

/**
 * Specs ordered so that every pipeline comes after the pipelines whose output it reads;
 * VigilError naming the cycle if there is one. Repos no spec in the list produces are inputs.
 */
export function dependencyOrder<T extends Pick<PipelineSpec, 'name' | 'input'>>(specs: T[]): T[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const order: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (spec: T, path: string[]): void => {
    const s = state.get(spec.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(spec.name)), spec.name];
      throw new VigilError(`pipelines form a cycle: ${cycle.join(' → ')}; a pipeline cannot depend on its own output`);
    }
    state.set(spec.name, 'visiting');
    for (const { repo } of inputBranches(spec.input)) {
      const upstream = byName.get(repo);
      if (upstream) visit(upstream, [...path, spec.name]);
    }
    state.set(spec.name, 'done');
    order.push(spec);
  };
  for (const spec of [...specs].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(spec, []);
  return order;
}

/**
 * Deletes the pipeline, its jobs and logs, and its output repo (as `pachctl delete pipeline`
 * does); refused while another pipeline reads that repo.
 */
export async function deletePipeline(store: Store, name: string): Promise<void> {
  const { spec } = await inspectPipeline(store, name);
  const readers = await pipelinesReading(store, name);
  if (readers.length > 0) {
    throw new VigilError(
      `cannot delete pipeline "${name}": pipeline${readers.length > 1 ? 's' : ''} ${readers.join(', ')} read${readers.length > 1 ? '' : 's'} its output; delete ${readers.length > 1 ? 'them' : 'it'} first`,
    );
  }
  await rm(recordPath(store.root, name), { force: true });
  await rm(join(ppsDir(store.root), 'jobs', name), { recursive: true, force: true });
  await rm(join(ppsDir(store.root), 'logs', name), { recursive: true, force: true });
  // Cron repos only trigger jobs: they go with their pipeline (as on Pachyderm).
  const repos = (await store.listRepos()).map((r) => r.name);
  for (const repo of [name, ...cronInputs(spec).map((c) => c.repo)]) if (repos.includes(repo)) await store.deleteRepo(repo);
}

/**
 * A pipeline as `pachctl inspect pipeline --raw` prints PipelineInfo (see store/pfs-json.ts for
 * the rules): `details` holds the spec as written, with the salt in use and Pachyderm's
 * defaults. A pipeline whose workers are up is PIPELINE_RUNNING whether or not a job runs
 * (pps/server/master.go keeps it so); only an autoscaling one idles in PIPELINE_STANDBY.
 */
export function pipelineInfoJson(record: PipelineRecord, lastJobState: string | undefined): Record<string, unknown> {
  const { pipeline: _name, ...request } = record.spec.request;
  const idle = lastJobState !== 'JOB_RUNNING' && request.autoscaling === true;
  return {
    pipeline: { project: { name: 'default' }, name: record.name },
    ...int64Field('version', record.version),
    spec_commit: {
      repo: repoJson(record.name, 'spec'),
      id: specCommitOf(record),
      branch: { repo: repoJson(record.name, 'spec'), name: 'master' },
    },
    state: idle ? 'PIPELINE_STANDBY' : 'PIPELINE_RUNNING',
    ...(lastJobState ? { last_job_state: lastJobState } : {}),
    type: 'PIPELINE_TYPE_TRANSFORM',
    details: {
      ...(protoNames(request, '') as Record<string, unknown>),
      created_at: protoTime(record.created),
      output_branch: record.spec.outputBranch,
      salt: record.salt,
      ...int64Field('datum_tries', record.spec.datumTries),
    },
  };
}

/** A camelCase request in proto field names, map fields' keys kept, 64-bit integers as strings. */
function protoNames(value: unknown, path: string): unknown {
  if (typeof value === 'number' && INT64_FIELDS.has(path)) return String(value);
  if (Array.isArray(value)) return value.map((v) => protoNames(v, path));
  if (value === null || typeof value !== 'object' || MAP_FIELDS.has(path)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      protoNames(v, path ? `${path}.${key}` : key),
    ]),
  );
}
