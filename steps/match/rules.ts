/**
 * The policy files of the rules repo, /rules.yaml and /subscriptions.yaml: parsed, checked
 * (structure with ajv, then everything that needs both files and the model's labels) and
 * compiled into the Policy the core matches with. Every problem is reported at once, as
 * `<file>: <path>: <what is wrong and how to fix it>`.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  describeErrors,
  listOf,
  Problems,
  validatorFor,
  type Rule,
  type RulesFile,
  type SchemaName,
  type SchemaTypes,
  type SubscriptionsFile,
  type UserSubscription,
} from '../../specs/index.js';
import { secretNameProblem } from '../../src/contract/secret-names.js';
import { webhookUrlProblem } from '../../src/contract/webhook-url.js';
import { VigilError } from '../../src/pfs/errors.js';
import { sha256 } from '../../src/pfs/files.js';
import type { CompiledRule, DevicePolicy, DeviceRule, Policy } from './core.js';
import { canonicalTimeZone, clockFor } from '../../src/contract/zone-clock.js';
import { parseSchedule } from './schedule.js';
import { compileZone, zoneProblem, type Zone } from './zones.js';

export const RULES_FILE = 'rules.yaml';
export const SUBSCRIPTIONS_FILE = 'subscriptions.yaml';

const DEFAULTS = { minScore: 0.5, minArea: 0, maxArea: 1, minCount: 1, severity: 'warning', cooldown: '5m', timezone: 'UTC' } as const;

/** The class labels of one model in the models repo. */
export interface ModelLabels {
  model: string;
  labels: readonly string[];
}

/** The two files' bytes, as committed. */
export interface PolicyFiles {
  rules: Uint8Array;
  subscriptions: Uint8Array;
}

export interface LoadedPolicy {
  policy: Policy;
  rulesSha256: string;
  subscriptionsSha256: string;
}

const MiB = 2 ** 20;

/**
 * The largest policy files read, in bytes. rules.yaml is a catalogue (1,000 rules are under
 * 200 KiB); subscriptions.yaml grows with customers (100,000 device subscriptions written as
 * JSON are about 13 MiB, and loading them peaks at some 210 MiB). A file is refused before it
 * is read or parsed, so that a worker's memory for the policy stays bounded.
 */
export const MAX_POLICY_BYTES: Record<string, number> = { [RULES_FILE]: 1 * MiB, [SUBSCRIPTIONS_FILE]: 32 * MiB };

/**
 * The largest file read as YAML, in bytes: the YAML parser holds some 85 times the text in
 * memory (a 10 MB rules.yaml cost 850 MB a worker, 4 MiB of subscriptions 350 MiB), JSON.parse
 * a small multiple. A larger file must be JSON, which is YAML and what a program writes.
 */
export const MAX_YAML_BYTES = 2 * MiB;

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Why a policy file of `size` bytes is not read at all, or null. */
function oversize(file: string, size: number): string | null {
  const limit = MAX_POLICY_BYTES[file]!;
  return size > limit ? `the file is ${mib(size)}; ${file} may be at most ${mib(limit)}` : null;
}

/**
 * YAML 1.2 is a superset of JSON, and a subscriptions file written by a program is often JSON:
 * JSON.parse reads it some 30 times faster than a YAML parser, which matters at 100,000
 * subscriptions. Anything else, or JSON that does not parse, goes to the YAML parser, up to
 * MAX_YAML_BYTES.
 */
function parseJsonOrYaml(text: string, size: number): unknown {
  let jsonError: string | undefined;
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // Flow-style YAML also starts with a brace; the YAML parser decides.
      jsonError = (e as Error).message;
    }
  }
  if (size > MAX_YAML_BYTES) {
    throw new VigilError(
      `the file is ${mib(size)} and not JSON${jsonError ? ` (${jsonError})` : ''}; YAML is read up to ${mib(MAX_YAML_BYTES)} ` +
        '(its parser needs tens of times the text in memory): write a larger file as JSON',
    );
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new VigilError(`not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Parses one YAML file and checks its structure; undefined when it has problems (all recorded). */
function parseFile<K extends SchemaName>(file: string, bytes: Uint8Array, schemaName: K, problems: Problems): SchemaTypes[K] | undefined {
  const tooLarge = oversize(file, bytes.byteLength);
  if (tooLarge) {
    problems.add(file, [], tooLarge);
    return undefined;
  }
  let data: unknown;
  try {
    data = parseJsonOrYaml(Buffer.from(bytes).toString('utf8'), bytes.byteLength);
  } catch (e) {
    if (!(e instanceof VigilError)) throw e;
    problems.add(file, [], e.message);
    return undefined;
  }
  const validate = validatorFor(schemaName);
  if (validate(data)) return data;
  if (data === null || data === undefined) problems.add(file, [], `the file is empty; see specs/${schemaName}.schema.json`);
  else problems.addErrors(file, validate.errors);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Checks that need more than one field

/** Seconds of a duration such as 30s, 5m, 1h, 1h30m, or a whole number of seconds; null if it is not one. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return value >= 0 ? value : null;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value.trim());
  if (!m || value.trim() === '') return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** The labels a rule's classes may use: those of every model in the models repo. */
interface KnownLabels {
  labels: ReadonlySet<string>;
  models: string;
}

function compileRule(rule: Rule, index: number, known: KnownLabels | null, problems: Problems): CompiledRule {
  const at = (...path: (string | number)[]) => ['rules', index, ...path];
  rule.classes.forEach((label, k) => {
    if (known && !known.labels.has(label)) {
      problems.add(
        RULES_FILE,
        at('classes', k),
        `"${label}" is not a label of the model (${known.models}); labels: ${listOf([...known.labels])}`,
      );
    }
  });
  const minArea = rule.minArea ?? DEFAULTS.minArea;
  const maxArea = rule.maxArea ?? DEFAULTS.maxArea;
  if (minArea > maxArea)
    problems.add(RULES_FILE, at(), `minArea ${minArea} is larger than maxArea ${maxArea}, so no object could match; swap them`);
  for (const [k, name] of (rule.excludeZones ?? []).entries()) {
    if (rule.zones?.includes(name))
      problems.add(RULES_FILE, at('excludeZones', k), `zone "${name}" is also in zones, so nothing there could count; keep it in one list`);
  }
  let schedule: CompiledRule['schedule'] = null;
  if (rule.schedule) {
    const parsed = parseSchedule(rule.schedule);
    if ('errors' in parsed) for (const e of parsed.errors) problems.add(RULES_FILE, at('schedule', e.index), e.message);
    else schedule = parsed;
  }
  const cooldown = rule.cooldown ?? DEFAULTS.cooldown;
  const cooldownSeconds = parseDuration(cooldown);
  if (cooldownSeconds === null)
    problems.add(RULES_FILE, at('cooldown'), `"${cooldown}" is not a duration; write e.g. 30s, 5m, 1h or 1h30m`);
  return {
    id: rule.id,
    name: rule.name,
    classes: new Set(rule.classes),
    minScore: rule.minScore ?? DEFAULTS.minScore,
    minArea,
    maxArea,
    zones: rule.zones ?? [],
    excludeZones: rule.excludeZones ?? [],
    minCount: rule.minCount ?? DEFAULTS.minCount,
    schedule,
    severity: rule.severity ?? DEFAULTS.severity,
    cooldownSeconds: cooldownSeconds ?? 0,
  };
}

function compileRules(file: RulesFile, labels: readonly ModelLabels[] | null, problems: Problems): Map<number, CompiledRule> {
  const known = labels && { labels: new Set(labels.flatMap((m) => m.labels)), models: labels.map((m) => m.model).join(', ') };
  const byId = new Map<number, { rule: CompiledRule; index: number }>();
  file.rules.forEach((rule, index) => {
    const compiled = compileRule(rule, index, known, problems);
    const first = byId.get(rule.id);
    if (first) {
      problems.add(
        RULES_FILE,
        ['rules', index, 'id'],
        `${rule.id} is also the id of rules[${first.index}] ("${first.rule.name}"); give each rule its own id`,
      );
    } else {
      byId.set(rule.id, { rule: compiled, index });
    }
  });
  return new Map([...byId].map(([id, { rule }]) => [id, rule]));
}

/**
 * A user's alert targets name only that user's secrets (src/contract/secret-names.ts) and only
 * webhook URLs Vigil will post to (src/contract/webhook-url.ts).
 */
function checkAlertTargets(user: UserSubscription, u: number, problems: Problems): void {
  const targets = user.alerts;
  if (!targets) return;
  const at = (...path: (string | number)[]) => ['users', u, 'alerts', ...path];
  const routingKey = targets.pagerduty?.routingKeyEnv;
  const keyProblem = routingKey && secretNameProblem(user.id, routingKey);
  if (keyProblem) problems.add(SUBSCRIPTIONS_FILE, at('pagerduty', 'routingKeyEnv'), keyProblem);
  const signingProblem = targets.webhookSecretEnv && secretNameProblem(user.id, targets.webhookSecretEnv);
  if (signingProblem) problems.add(SUBSCRIPTIONS_FILE, at('webhookSecretEnv'), signingProblem);
  (targets.webhook ?? []).forEach((url, k) => {
    const problem = webhookUrlProblem(url);
    // The URL itself stays out of the message: a refused one may carry a token.
    if (problem) problems.add(SUBSCRIPTIONS_FILE, at('webhook', k), `the URL ${problem}`);
  });
}

function compileSubscriptions(file: SubscriptionsFile, rules: Map<number, CompiledRule>, problems: Problems): DevicePolicy[] {
  const devices: DevicePolicy[] = [];
  const users = new Map<string, number>();
  file.users.forEach((user, u) => {
    const firstUser = users.get(user.id);
    if (firstUser !== undefined)
      problems.add(SUBSCRIPTIONS_FILE, ['users', u, 'id'], `"${user.id}" is also users[${firstUser}]; list each user once`);
    users.set(user.id, u);
    checkAlertTargets(user, u, problems);
    const seen = new Map<string, number>();
    user.devices.forEach((entry, d) => {
      const at = (...path: (string | number)[]) => ['users', u, 'devices', d, ...path];
      const firstDevice = seen.get(entry.id);
      if (firstDevice !== undefined)
        problems.add(
          SUBSCRIPTIONS_FILE,
          at('id'),
          `"${entry.id}" is also devices[${firstDevice}] of user "${user.id}"; list each device once`,
        );
      seen.set(entry.id, d);

      const timezone = entry.timezone ?? DEFAULTS.timezone;
      const timeZone = canonicalTimeZone(timezone);
      if (!timeZone)
        problems.add(
          SUBSCRIPTIONS_FILE,
          at('timezone'),
          `"${timezone}" is not an IANA time zone; write e.g. America/New_York, Europe/Berlin or UTC`,
        );

      const zones = new Map<string, Zone>();
      for (const [name, points] of Object.entries(entry.zones ?? {})) {
        const problem = zoneProblem(points);
        if (problem) problems.add(SUBSCRIPTIONS_FILE, at('zones', name), problem);
        zones.set(name, compileZone(name, points));
      }
      const resolve = (rule: CompiledRule, names: readonly string[], k: number): Zone[] =>
        names.flatMap((name) => {
          const zone = zones.get(name);
          if (!zone) {
            problems.add(
              SUBSCRIPTIONS_FILE,
              at('rules', k),
              `rule ${rule.id} ("${rule.name}") needs zone "${name}", which this device does not define; its zones: ${listOf([...zones.keys()])}`,
            );
          }
          return zone ? [zone] : [];
        });

      const deviceRules: DeviceRule[] = [];
      entry.rules.forEach((id, k) => {
        const rule = rules.get(id);
        if (!rule) {
          problems.add(SUBSCRIPTIONS_FILE, at('rules', k), `rule ${id} is not in ${RULES_FILE}; rules: ${listOf([...rules.keys()])}`);
          return;
        }
        deviceRules.push({ rule, zones: resolve(rule, rule.zones, k), excludeZones: resolve(rule, rule.excludeZones, k) });
      });
      devices.push({
        user: user.id,
        device: entry.id,
        clock: clockFor(timeZone ?? 'UTC'),
        rules: deviceRules,
        targets: user.alerts ?? {},
        camera: { ...(entry.name ? { name: entry.name } : {}), ...(entry.site ? { site: entry.site } : {}) },
        scheduled: deviceRules.some((r) => r.rule.schedule !== null),
      });
    });
  });
  return devices;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Checks the two files against each other and the models' labels (null: do not check classes)
 * and compiles them; throws one VigilError listing every problem.
 */
export function compilePolicy(files: PolicyFiles, labels: readonly ModelLabels[] | null): LoadedPolicy {
  const problems = new Problems();
  const rulesFile = parseFile(RULES_FILE, files.rules, 'rules', problems);
  const subscriptionsFile = parseFile(SUBSCRIPTIONS_FILE, files.subscriptions, 'subscriptions', problems);
  // Cross-file checks would only repeat a structural problem in other words.
  problems.throwIfAny();
  const rules = compileRules(rulesFile!, labels, problems);
  const devices = compileSubscriptions(subscriptionsFile!, rules, problems);
  problems.throwIfAny();
  const users = new Map<string, Map<string, DevicePolicy>>();
  for (const d of devices) {
    if (!users.has(d.user)) users.set(d.user, new Map());
    users.get(d.user)!.set(d.device, d);
  }
  return {
    policy: { users, ruleCount: rules.size, deviceCount: devices.length },
    rulesSha256: sha256(files.rules),
    subscriptionsSha256: sha256(files.subscriptions),
  };
}

/** Each rule's id, classes and minScore (default filled in), from a rules.yaml; one VigilError listing its problems. */
export function ruleThresholds(rules: Uint8Array): Array<{ ruleId: number; classes: string[]; minScore: number }> {
  const problems = new Problems();
  const file = parseFile(RULES_FILE, rules, 'rules', problems);
  problems.throwIfAny();
  return file!.rules.map((r) => ({ ruleId: r.id, classes: r.classes, minScore: r.minScore ?? DEFAULTS.minScore }));
}

async function readRequired(dir: string, name: string, where: string): Promise<Uint8Array> {
  const path = join(dir, name);
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT')
      throw new VigilError(`${where}: /${name} is missing; the rules repo holds /${RULES_FILE} and /${SUBSCRIPTIONS_FILE}`);
    throw e;
  });
  const tooLarge = oversize(name, info.size);
  if (tooLarge) throw new VigilError(`${where}: /${name}: ${tooLarge}`);
  return readFile(path);
}

/** Reads rules.yaml and subscriptions.yaml from a folder laid out like the rules repo (`where` names it in errors). */
export async function readPolicyFiles(dir: string, where: string): Promise<PolicyFiles> {
  // In order, so a folder missing both is always reported for rules.yaml.
  const rules = await readRequired(dir, RULES_FILE, where);
  return { rules, subscriptions: await readRequired(dir, SUBSCRIPTIONS_FILE, where) };
}

async function readLabelsFile(path: string, where: string): Promise<string[]> {
  const labels: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) throw new VigilError(`${where} is not a JSON array of labels`);
  return labels;
}

/**
 * The labels of every model in a folder laid out like the models repo: each
 * /<model>/model.yaml (specs/model-config.schema.json) lists them, or names the JSON file that does.
 */
export async function readModelLabels(dir: string, where: string): Promise<ModelLabels[]> {
  const models: ModelLabels[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const configPath = join(dir, entry.name, 'model.yaml');
    const text = await readFile(configPath, 'utf8').catch(() => null);
    if (text === null) continue;
    const validate = validatorFor('model-config');
    const config: unknown = parseYaml(text);
    if (!validate(config)) throw new VigilError(describeErrors(`${where}: /${entry.name}/model.yaml`, validate.errors).join('\n'));
    const labels =
      typeof config.labels === 'string'
        ? await readLabelsFile(join(dir, entry.name, config.labels), `${where}: /${entry.name}/${config.labels}`)
        : config.labels;
    models.push({ model: entry.name, labels });
  }
  if (models.length === 0) throw new VigilError(`${where}: no model (/<name>/model.yaml) to check rule classes against`);
  return models;
}
