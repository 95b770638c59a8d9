import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { AJV_ERROR_OPTIONS, describeErrors } from '../../../specs/errors.js';
import {
  createPipelineRequestSchema,
  type CreatePipelineRequest,
  type DatumSetSpec as RequestDatumSetSpec,
  type Input as RequestInput,
  type SecretMount as RequestSecretMount,
} from '../../../specs/pachyderm/create-pipeline-request.gen.js';
import { VigilError } from '../../pfs/errors.js';
import { parseJsonStream } from '../../pfs/json-stream.js';
import { parseCronSpec } from './cron.js';
import { cleanGlob } from '../datum/glob.js';
import { MAP_FIELDS } from './request-fields.js';

/**
 * Pipeline specs as `pachctl create pipeline -f` takes them: YAML or JSON, one or several
 * documents, snake_case or camelCase field names. Every document is checked against Pachyderm's
 * official CreatePipelineRequest schema, then normalised (defaults applied) into PipelineSpec,
 * the shape the registry, the datum generator and the runner use. Rules that need the store
 * (input repos exist, no cycles) are checked by pipelines.ts.
 */

/** A `pfs` input with Pachyderm's defaults applied (`name` = repo, `branch` = master). */
export interface PfsInput {
  name: string;
  repo: string;
  branch: string;
  glob: string;
  joinOn?: string;
  outerJoin?: boolean;
  groupBy?: string;
  emptyFiles?: boolean;
  /**
   * The step reads only some of the input's files. The datum's files are there either way (hard
   * links to the store); `vigil serve` runs a job for a change to lazy inputs alone at its batch
   * interval rather than at once (serve/scheduler.ts).
   */
  lazy?: boolean;
  /** A cron input, as Pachyderm turns one into a pfs input: repo `<pipeline>_<name>`, glob `/*`, ticked by ticker.ts. */
  cron?: CronInput;
}

/** A cron input's schedule: `spec` (cron.ts), whether each tick replaces the last, and when ticks start. */
export interface CronInput {
  spec: string;
  overwrite: boolean;
  start?: string;
}

/** A Kubernetes secret the step gets: mounted as files at `mountPath`, or one key as the variable `envVar`. */
export interface SecretMount {
  name: string;
  mountPath?: string;
  envVar?: string;
  key?: string;
}

/** The normalised input tree: exactly one kind per node. */
export type Input = { pfs: PfsInput } | { cross: Input[] } | { union: Input[] } | { join: Input[] } | { group: Input[] };

export interface Transform {
  cmd: string[];
  /** Lines written to the step's stdin, joined with newlines (as Pachyderm does). */
  stdin?: string[];
  env: Record<string, string>;
  errCmd?: string[];
  errStdin?: string[];
  /** Exit codes besides 0 that count as success. */
  acceptReturnCode: number[];
  datumBatching: boolean;
  workingDir?: string;
  /** The cluster's image; kept for `inspect`, ignored by the embedded engine. */
  image?: string;
  /** transform.secrets; locally taken from the caller's environment or VIGIL_SECRETS_DIR (step-env.ts). */
  secrets: SecretMount[];
}

export type ReprocessSpec = 'until_success' | 'every_job';

export interface PipelineSpec {
  name: string;
  description?: string;
  input: Input;
  transform: Transform;
  /** parallelismSpec.constant; absent or 0: one worker per core (see workerCount in worker/driver.ts). */
  parallelism?: number;
  datumTries: number;
  /** How the datums are cut into datum sets (worker/datum-sets.ts); absent: spread evenly. */
  datumSetSpec?: { number?: number; sizeBytes?: number; perWorker?: number };
  datumTimeoutMs?: number;
  jobTimeoutMs?: number;
  /** The salt the spec asks for; the registry picks one when absent. */
  salt?: string;
  reprocessSpec: ReprocessSpec;
  outputBranch: string;
  /** The request exactly as written (camelCased): what `inspect pipeline` shows, cluster-only fields included. */
  request: Record<string, unknown>;
}

/** Repo and pipeline names, as Pachyderm allows them. */
export const NAME_RE = /^[A-Za-z0-9_-]+$/;

/** Names a step's root already uses: an input called so would collide with them. */
const RESERVED_INPUT_NAMES = ['out', '.env'];

const DEFAULT_DATUM_TRIES = 3;

/** Reads every pipeline spec in a YAML or JSON file. */
export async function readPipelineSpecs(file: string): Promise<PipelineSpec[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new VigilError(`cannot read pipeline spec ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parsePipelineSpecs(text, file);
}

/** Every spec in a folder of YAML/JSON files, each with its file name; VigilError on a name defined twice. */
export async function readPipelineFolder(dir: string): Promise<Array<PipelineSpec & { file: string }>> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch (e) {
    throw new VigilError(`cannot read the pipelines folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const specs = (
    await Promise.all(files.map(async (file) => (await readPipelineSpecs(join(dir, file))).map((spec) => ({ ...spec, file }))))
  ).flat();
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new VigilError(`pipeline "${spec.name}" is defined twice in ${dir}`);
    seen.add(spec.name);
  }
  return specs;
}

/** Parses one or several specs from `text`; `source` names it in errors. */
export function parsePipelineSpecs(text: string, source: string): PipelineSpec[] {
  const documents = parseDocuments(text, source);
  if (documents.length === 0) throw new VigilError(`${source}: no pipeline spec in the file`);
  return documents.map((doc, i) => normalisePipelineSpec(doc, documents.length > 1 ? `${source} (document ${i + 1})` : source));
}

function parseDocuments(text: string, source: string): unknown[] {
  if (/^\s*[{[]/.test(text))
    return parseJsonStream(text, (message) => {
      throw new VigilError(`${source}: ${message}`);
    });
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new VigilError(`${source}: invalid YAML: ${doc.errors[0].message}`);
  }
  return list.map((doc) => doc.toJS() as unknown).filter((v) => v !== null && v !== undefined);
}

/** Converts snake_case field names to camelCase (protojson accepts both), keeping the keys of map fields. */
export function camelCaseKeys(value: unknown, where: string, path = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => camelCaseKeys(v, where, path));
  if (value === null || typeof value !== 'object') return value;
  if (MAP_FIELDS.has(path)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const camel = key.replace(/_([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
    const childPath = path ? `${path}.${camel}` : camel;
    if (camel in out) throw new VigilError(`${where}: ${childPath} is given twice (as ${key} and in camelCase)`);
    // Paths inside arrays keep their parent's name, which is all MAP_FIELDS needs.
    out[camel] = camelCaseKeys(v, where, childPath);
  }
  return out;
}

let validator: ValidateFunction<CreatePipelineRequest> | undefined;

/**
 * Pachyderm's official schema in the form scripts/gen-types.mjs derives for Ajv: keywords beside
 * `$ref` dropped (draft-04 and Pachyderm's Go validator ignore them), oneOf-null as union types.
 */
export function officialValidator(): ValidateFunction<CreatePipelineRequest> {
  if (validator) return validator;
  // Both packages are CommonJS: under NodeNext the default import is module.exports, typed as its namespace.
  const AjvDraft04 = Ajv04 as unknown as typeof Ajv04.default;
  // Not strict: the schema is Pachyderm's as published (its `regex` format, its union types).
  const ajv = new AjvDraft04({ ...AJV_ERROR_OPTIONS, strict: false });
  (addFormatsModule as unknown as (a: unknown) => void)(ajv);
  validator = ajv.compile<CreatePipelineRequest>(createPipelineRequestSchema);
  return validator;
}

/** Checks one CreatePipelineRequest (as parsed from YAML/JSON) and returns it normalised. */
export function normalisePipelineSpec(document: unknown, where: string): PipelineSpec {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new VigilError(`${where}: a pipeline spec must be a mapping (pipeline, input, transform, ...)`);
  }
  const request = camelCaseKeys(document, where) as Record<string, unknown>;
  const validate = officialValidator();
  if (!validate(request)) {
    throw new VigilError(
      `invalid pipeline spec (Pachyderm's CreatePipelineRequest schema):\n  ${describeErrors(where, validate.errors).join('\n  ')}`,
    );
  }
  return applyEngineRules(request, where);
}

const COMBINATORS = ['cross', 'union', 'join', 'group'] as const;

/** The engine's own rules, on a schema-valid request; returns the normalised spec. */
function applyEngineRules(req: NonNullable<CreatePipelineRequest> & Record<string, unknown>, where: string): PipelineSpec {
  const fail = (msg: string): never => {
    throw new VigilError(`${where}: ${msg}`);
  };
  const name = req.pipeline?.name;
  if (!name) fail('pipeline.name is required');
  if (!NAME_RE.test(name!)) fail(`pipeline.name "${name}" is not a valid repo name (letters, digits, _ and -)`);
  for (const field of ['tfJob', 'spout', 'service'] as const) {
    if (req[field] != null) fail(`${field} pipelines need a Pachyderm cluster; the embedded engine runs transform pipelines only`);
  }
  if (!req.input) fail('input is required');
  const input = normaliseInput(req.input!, 'input', fail, name!);
  checkInputNames(input, fail);

  const t = req.transform;
  const cmd = strings(t?.cmd);
  if (cmd.length === 0) fail('transform.cmd is required (the command the step runs)');
  const errCmd = strings(t?.errCmd);
  const reprocess = req.reprocessSpec ?? 'until_success';
  if (reprocess !== 'until_success' && reprocess !== 'every_job') fail(`reprocessSpec "${reprocess}" is not until_success or every_job`);
  // pps/server/api_server.go, setPipelineDefaults: 0 (or none) means the default.
  const tries = req.datumTries || DEFAULT_DATUM_TRIES;
  if (tries < 1) fail(`datumTries must not be negative, not ${tries}`);
  const parallelism = req.parallelismSpec?.constant ?? undefined;
  if (parallelism !== undefined && parallelism < 0) fail(`parallelismSpec.constant must not be negative`);

  return {
    name: name!,
    ...(req.description ? { description: req.description } : {}),
    input,
    transform: {
      cmd,
      ...(t?.stdin ? { stdin: strings(t.stdin) } : {}),
      env: t?.env ?? {},
      ...(errCmd.length > 0 ? { errCmd } : {}),
      ...(t?.errStdin ? { errStdin: strings(t.errStdin) } : {}),
      acceptReturnCode: (t?.acceptReturnCode ?? []).filter((c): c is number => c !== null),
      datumBatching: t?.datumBatching ?? false,
      ...(t?.workingDir ? { workingDir: t.workingDir } : {}),
      ...(t?.image ? { image: t.image } : {}),
      secrets: normaliseSecrets(t?.secrets ?? [], fail),
    },
    ...(parallelism ? { parallelism } : {}),
    datumTries: tries,
    ...(req.datumSetSpec ? { datumSetSpec: datumSetSpec(req.datumSetSpec) } : {}),
    ...(req.datumTimeout ? { datumTimeoutMs: parseDuration(req.datumTimeout) } : {}),
    ...(req.jobTimeout ? { jobTimeoutMs: parseDuration(req.jobTimeout) } : {}),
    ...(req.salt ? { salt: req.salt } : {}),
    reprocessSpec: reprocess as ReprocessSpec,
    outputBranch: req.outputBranch || 'master',
    request: req,
  };
}

function datumSetSpec(spec: NonNullable<RequestDatumSetSpec>): NonNullable<PipelineSpec['datumSetSpec']> {
  return {
    ...(spec.number ? { number: Number(spec.number) } : {}),
    ...(spec.sizeBytes ? { sizeBytes: Number(spec.sizeBytes) } : {}),
    ...(spec.perWorker ? { perWorker: Number(spec.perWorker) } : {}),
  };
}

function strings(list: (string | null)[] | null | undefined): string[] {
  return (list ?? []).filter((s): s is string => s !== null);
}

/** A protobuf Duration in JSON (`"60s"`, `"1.5s"`; the schema checks the form) in milliseconds. */
export function parseDuration(text: string): number {
  return Math.round(Number(text.slice(0, -1)) * 1000);
}

/** Each secret names a Kubernetes secret and either a mount path or a variable and key (Pachyderm's SecretMount). */
function normaliseSecrets(list: (RequestSecretMount | null)[], fail: (msg: string) => never): SecretMount[] {
  return list.flatMap((s, i) => {
    if (!s) return [];
    const at = `transform.secrets[${i}]`;
    if (!s.name) fail(`${at}.name is required (the Kubernetes secret)`);
    if (!s.mountPath && !s.envVar) fail(`${at}: give mountPath (the secret's keys as files) or envVar and key (one key as a variable)`);
    if (s.envVar && !s.key) fail(`${at}.key is required with envVar (the secret's key whose value the variable gets)`);
    return [{ name: s.name!, ...(s.mountPath ? { mountPath: s.mountPath } : {}), ...(s.envVar ? { envVar: s.envVar, key: s.key! } : {}) }];
  });
}

/** A cron input as Pachyderm normalises it (pps/server/api_server.go, setInputDefaults; worker/datum/create.go, createCron). */
function normaliseCron(cron: NonNullable<RequestInput>['cron'], at: string, pipeline: string, fail: (msg: string) => never): Input {
  const here = `${at}.cron`;
  if (!cron?.name) fail(`${here}.name is required`);
  if (!cron?.spec) fail(`${here}.spec is required (e.g. "@every 1m" or "0 * * * *")`);
  parseCronSpec(cron!.spec!, `${here}.spec`);
  const name = cron!.name!;
  if (RESERVED_INPUT_NAMES.includes(name) || !NAME_RE.test(name))
    fail(`${here}.name "${name}" is not a valid input name (letters, digits, _ and -)`);
  return {
    pfs: {
      name,
      repo: cron!.repo || `${pipeline}_${name}`,
      branch: 'master',
      glob: '/*',
      cron: { spec: cron!.spec!, overwrite: cron!.overwrite ?? false, ...(cron!.start ? { start: cron!.start } : {}) },
    },
  };
}

function normaliseInput(node: RequestInput, at: string, fail: (msg: string) => never, pipeline: string): Input {
  if (!node) fail(`${at} is empty`);
  const kinds = (['pfs', 'cron', ...COMBINATORS] as const).filter((k) => node[k] != null);
  if (kinds.length !== 1) fail(`${at}: give exactly one of pfs, cron, cross, union, join, group (found ${kinds.join(', ') || 'none'})`);
  const kind = kinds[0];
  if (kind === 'cron') return normaliseCron(node.cron, at, pipeline, fail);
  if (kind !== 'pfs') {
    const children = node[kind]!;
    if (children.length === 0) fail(`${at}.${kind} is empty`);
    return { [kind]: children.map((c, i) => normaliseInput(c, `${at}.${kind}[${i}]`, fail, pipeline)) } as Input;
  }
  const pfs = node.pfs!;
  const here = `${at}.pfs`;
  if (!pfs.repo) fail(`${here}.repo is required`);
  if (!pfs.glob) fail(`${here}.glob is required (e.g. "/*")`);
  for (const field of ['commit', 's3', 'trigger'] as const) {
    if (pfs[field]) fail(`${here}.${field} is not supported by the embedded engine`);
  }
  const name = pfs.name || pfs.repo!;
  if (RESERVED_INPUT_NAMES.includes(name)) fail(`${here}: "${name}" cannot be an input name (the step's root uses it)`);
  if (!NAME_RE.test(name)) fail(`${here}.name "${name}" is not a valid input name (letters, digits, _ and -)`);
  // Pachyderm checks neither key against its parent (pps/server/api_server.go, validateInput):
  // every input carries both, and a join or group keys its children's inputs by them, at any
  // depth (worker/datum/worker.go, processKeyTask); an input without one has the empty key.
  return {
    pfs: {
      name,
      repo: pfs.repo!,
      branch: pfs.branch || 'master',
      glob: cleanGlob(pfs.glob!),
      ...(pfs.joinOn ? { joinOn: pfs.joinOn } : {}),
      ...(pfs.outerJoin ? { outerJoin: true } : {}),
      ...(pfs.groupBy ? { groupBy: pfs.groupBy } : {}),
      // `lazy` changes no datum: every file is a hard link to the store's object, nothing is
      // copied up front, and the step reads the same bytes; a link to one in out/ stores the file,
      // as Pachyderm's handleSymlinks copies it. With emptyFiles too, the worker downloads lazily
      // (internal/pfssync/sync.go): the files are there.
      ...(pfs.emptyFiles && !pfs.lazy ? { emptyFiles: true } : {}),
      ...(pfs.lazy ? { lazy: true } : {}),
    },
  };
}

/** Input names are unique, except that union branches may share them (each datum comes from one branch). */
function checkInputNames(input: Input, fail: (msg: string) => never): Set<string> {
  if ('pfs' in input) return new Set([input.pfs.name]);
  if ('union' in input) return new Set(input.union.flatMap((c) => [...checkInputNames(c, fail)]));
  const children = 'cross' in input ? input.cross : 'join' in input ? input.join : input.group;
  const seen = new Set<string>();
  for (const child of children) {
    for (const name of checkInputNames(child, fail)) {
      if (seen.has(name)) fail(`input name "${name}" is used twice; give the inputs distinct names`);
      seen.add(name);
    }
  }
  return seen;
}

// The input-tree helpers live apart so that running pipelines does not load Ajv and YAML.
export { inputBranches, pfsInputs } from './inputs.js';
