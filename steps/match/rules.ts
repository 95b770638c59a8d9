/**
 * The policy files of the rules repo, /rules.yaml and /subscriptions.yaml: parsed, checked
 * (structure with ajv, then everything that needs both files and the model's labels) and
 * compiled into the Policy the core matches with. Every problem is reported at once, as
 * `<file>: <path>: <what is wrong and how to fix it>`.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  describeErrors,
  listOf,
  Problems,
  validatorFor,
  type Rule,
  type RulesFile,
  type SubscriptionsFile,
  type UserSubscription,
} from '../../specs/index.js';
import { parsePolicyFile, readPolicyFile, RULES_FILE, SUBSCRIPTIONS_FILE } from '../../src/contract/policy-files.js';
import { secretNameProblem } from '../../src/contract/secret-names.js';
import { webhookUrlProblem } from '../../src/contract/webhook-url.js';
import { VigilError } from '../../src/pfs/errors.js';
import { sha256 } from '../../src/pfs/files.js';
import type { CompiledRule, DevicePolicy, DeviceRule, Policy } from './core.js';
import { canonicalTimeZone, clockFor } from '../../src/contract/zone-clock.js';
import { parseSchedule } from './schedule.js';
import { compileZone, zoneProblem, type Zone } from './zones.js';

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
  const rulesFile = parsePolicyFile(RULES_FILE, files.rules, 'rules', problems);
  const subscriptionsFile = parsePolicyFile(SUBSCRIPTIONS_FILE, files.subscriptions, 'subscriptions', problems);
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
  const file = parsePolicyFile(RULES_FILE, rules, 'rules', problems);
  problems.throwIfAny();
  return file!.rules.map((r) => ({ ruleId: r.id, classes: r.classes, minScore: r.minScore ?? DEFAULTS.minScore }));
}

/** Reads rules.yaml and subscriptions.yaml from a folder laid out like the rules repo (`where` names it in errors). */
export async function readPolicyFiles(dir: string, where: string): Promise<PolicyFiles> {
  // In order, so a folder missing both is always reported for rules.yaml.
  const rules = await readPolicyFile(dir, RULES_FILE, where);
  return { rules, subscriptions: await readPolicyFile(dir, SUBSCRIPTIONS_FILE, where) };
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
