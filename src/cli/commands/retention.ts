import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { formatBytes } from '../output.js';
import { parseCommitArg } from '../ref.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A day given as YYYY-MM-DD: its start (UTC); `end` gives the next day's start, so that --to names the last day included. */
function parseDay(text: string, option: string, end: boolean): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : null;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) {
    throw new VigilError(`--${option} "${text}" is not a day YYYY-MM-DD`);
  }
  return end ? new Date(day.getTime() + 86_400_000) : day;
}

/** A duration such as 90s, 10m, 1h or 2d, in ms. */
export function parseDuration(text: string, option: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(text);
  if (!m) throw new VigilError(`--${option} "${text}" is not a duration such as 90s, 10m, 1h or 2d`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'retain',
    describe:
      "remove the bytes of frames and records older than each customer's retention.frames and retention.records (rules@master:/subscriptions.yaml); paths and hashes stay",
    builder: (y) =>
      withRoot(y)
        .option('dry-run', { type: 'boolean', describe: 'print what would be removed, remove nothing' })
        .option('now', { type: 'string', describe: 'the time periods count back from (ISO 8601; default now)' }),
    handler: async (args) => {
      const { retain } = await import('../retention.js');
      const now = args.now ? new Date(args.now) : new Date();
      if (Number.isNaN(now.getTime())) throw new VigilError(`--now "${args.now}" is not a time`);
      const store = await openStore(args);
      await retain(store, { now, dryRun: args.dryRun === true, say });
    },
  }),
  defineCommand({
    verb: 'erase',
    describe: "remove the bytes of a customer's frames (raw, validated, incident snapshots) everywhere, on request; records stay",
    builder: (y) =>
      withRoot(y)
        .option('customer', { type: 'string', demandOption: true, describe: 'the customer (user id) whose frames go' })
        .option('camera', { type: 'string', describe: 'only this camera (device id)' })
        .option('from', { type: 'string', describe: 'first day included, YYYY-MM-DD (UTC capture time)' })
        .option('to', { type: 'string', describe: 'last day included, YYYY-MM-DD' })
        .option('requested-by', { type: 'string', describe: 'who asked (recorded with the request; default: your user name)' })
        .option('dry-run', { type: 'boolean', describe: 'print what would be removed, remove nothing' }),
    handler: async (args) => {
      const { planExpiry, applyExpiry, describePlan } = await import('../retention.js');
      const from = args.from ? parseDay(args.from, 'from', false) : undefined;
      const to = args.to ? parseDay(args.to, 'to', true) : undefined;
      if (from && to && from >= to) throw new VigilError(`--from ${args.from} is after --to ${args.to}`);
      const store = await openStore(args);
      const selection = { kind: 'frames' as const, customer: args.customer, ...(args.camera ? { camera: args.camera } : {}), from, to };
      const plan = await planExpiry(store, [selection]);
      const scope = `customer ${args.customer}${args.camera ? `, camera ${args.camera}` : ''}${args.from ? `, from ${args.from}` : ''}${args.to ? ` to ${args.to}` : ''}`;
      if (plan.files.length === 0) {
        say(`no frames of ${scope}: nothing to erase`);
        return;
      }
      for (const line of describePlan(plan)) say(line);
      if (args.dryRun) {
        say(`dry run: would erase ${plan.objects.size} objects (${formatBytes(sumSizes(plan.objects))}) of ${scope}`);
        return;
      }
      const id = `er-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
      const date = new Date().toISOString();
      const removed = (await applyExpiry(store, plan, { date, reason: 'erasure', request: id })).frames;
      await store.expiry.recordErasure({
        id,
        requestedBy: args.requestedBy ?? userInfo().username,
        date,
        scope: Object.fromEntries(
          Object.entries({ customer: args.customer, camera: args.camera, from: args.from, to: args.to }).filter(([, v]) => v !== undefined),
        ) as Record<string, string>,
        objects: removed.objects,
        bytes: removed.bytes,
      });
      say(`erased ${removed.objects} objects (${formatBytes(removed.bytes)}) of ${scope}: request ${id}`);
      if (plan.shared > 0) say(`${plan.shared} files kept their bytes: other frames not erased hold the same bytes`);
    },
  }),
  defineCommand({
    verb: 'gc',
    describe: 'delete the objects no commit, tree or job state needs (safe while pipelines and the collector run)',
    builder: (y) =>
      withRoot(y)
        .option('grace', { type: 'string', default: '1h', describe: 'keep objects modified this recently (at least 1m)' })
        .option('dry-run', { type: 'boolean', describe: 'count what would be deleted, delete nothing' }),
    handler: async (args) => {
      const { collectGarbage, MIN_GRACE_MS } = await import('../../engine/store/gc.js');
      const { markJobStates } = await import('../../engine/pps/gc-roots.js');
      const graceMs = parseDuration(args.grace, 'grace');
      if (graceMs < MIN_GRACE_MS)
        throw new VigilError(`--grace ${args.grace} is too short: at least 1m, so that a commit in flight keeps its objects`);
      const store = await openStore(args);
      const r = await collectGarbage(store, { graceMs, dryRun: args.dryRun === true, marks: [markJobStates] });
      say(
        `${args.dryRun ? 'dry run: would delete' : 'deleted'} ${r.deleted} of ${r.objects} objects, ${formatBytes(r.bytesFreed)} freed; ` +
          `${r.live} in use, ${r.young} newer than ${args.grace} kept${r.revived ? `, ${r.revived} reused meanwhile kept` : ''} (${r.seconds.toFixed(1)}s)`,
      );
    },
  }),
  defineCommand({
    verb: 'squash',
    noun: 'commit',
    positionals: '<commit>',
    describe: "remove a commit from its branch's history (REPO@ID); its children keep their files (pachctl squash commit)",
    builder: (y) =>
      withRoot(y).option('recursive', { type: 'boolean', describe: 'also squash the output commits made from it (its subvenance)' }),
    handler: async (args) => {
      const { repo, ref } = parseCommitArg(args.commit);
      const store = await openStore(args);
      const removed = await store.squashCommit(repo, ref, { recursive: args.recursive === true });
      for (const c of removed) say(`squashed ${c.repo}@${c.id}`);
      say('its objects no other commit names go at the next `vigil gc`');
    },
  }),
];

function sumSizes(objects: Map<string, { size: number }>): number {
  let n = 0;
  for (const { size } of objects.values()) n += size;
  return n;
}
