import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MODEL_BRANCHES, REPOS } from '../../contract/repos.js';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { findStoreRoot, openStore } from '../open-store.js';
import { printRaw, printTable, withRawOutput } from '../output.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'model',
    noun: 'eval',
    describe: "evaluate a model on the labelled set: COCO AP@0.5 and AP@[.5:.95] per class, precision and recall at the rules' thresholds",
    builder: (y) =>
      withRoot(y)
        .option('models', { type: 'string', default: 'models@master', describe: 'the models: REPO@BRANCH or REPO@COMMIT of the store' })
        .option('eval', { type: 'string', default: 'eval@master', describe: 'the labelled set: REPO@BRANCH or REPO@COMMIT of the store' })
        .option('model-dir', {
          type: 'string',
          describe: 'a folder laid out like the models repo (/<model>/model.yaml ...), instead of --models',
        })
        .option('eval-dir', {
          type: 'string',
          describe: 'a folder laid out like the eval repo (annotations.json, images/), instead of --eval',
        })
        .option('model', { type: 'string', describe: 'the model folder (default: the one detection uses)' })
        .option('rules', {
          type: 'string',
          describe: 'a folder with rules.yaml whose thresholds to show (default: rules@master of the store)',
        })
        .option('raw', { type: 'boolean', describe: 'print the evaluation record (specs/model-evaluation.schema.json) as JSON' }),
    handler: async (args) => {
      const { evaluate, existingStore, ruleThresholds } = await import('../model-eval.js');
      const needsStore = !args.modelDir || !args.evalDir;
      const store = needsStore ? await openStore(args) : await existingStore(findStoreRoot(args));
      const evaluation = await evaluate(
        async () => store ?? (await openStore(args)),
        args.modelDir ? { dir: args.modelDir } : { ref: args.models },
        args.evalDir ? { dir: args.evalDir } : { ref: args.eval },
        args.model,
      );
      if (args.raw) return void process.stdout.write(`${JSON.stringify(evaluation)}\n`);
      const { printEvaluation } = await import('../evaluation-table.js');
      printEvaluation(evaluation, await ruleThresholds(args.rules && resolve(args.rules), store));
    },
  }),
  defineCommand({
    verb: 'model',
    noun: 'shadow',
    describe:
      'run the candidate model (models@candidate) on the recent frames through shadow detections and matches, and on the labelled set; never alerted on',
    builder: (y) =>
      withRoot(y)
        .option('days', { type: 'number', default: 7, describe: 'how many UTC days of frames, up to --until' })
        .option('until', { type: 'string', describe: 'the last day, YYYY-MM-DD (default: the day of the newest validated frame)' })
        .option('print', {
          type: 'string',
          describe:
            'write the shadow specs for a Pachyderm cluster into this folder and print the pachctl commands, instead of running them here',
        })
        .option('run', { type: 'boolean', default: true, describe: 'run the shadow pipelines (--no-run: only create or update them)' }),
    handler: async (args) => {
      const { newestFrame, shadowSpecs, windowDays } = await import('../model-shadow.js');
      const until = args.until ? new Date(`${args.until}T00:00:00Z`) : undefined;
      if (until && Number.isNaN(until.getTime())) throw new VigilError(`--until ${args.until} is not a date; write YYYY-MM-DD`);
      if (args.print !== undefined) {
        const days = windowDays(until ?? new Date(), args.days);
        await mkdir(args.print, { recursive: true });
        for (const { file, text } of await shadowSpecs(days)) {
          const path = join(args.print, file.replace(/\.yaml$/, '.json'));
          await writeFile(path, `${text}\n`);
          say(`pachctl create pipeline -f ${path}`);
        }
        return;
      }
      const store = await openStore(args);
      const newest = until ?? (await newestFrame(store));
      if (!newest) throw new VigilError('no validated frame yet: nothing to run the candidate on');
      const days = windowDays(newest, args.days);
      const { listPipelines, putPipeline } = await import('../../engine/pps/pipelines.js');
      const existing = new Set((await listPipelines(store)).map((p) => p.name));
      for (const { spec } of await shadowSpecs(days)) {
        const { action } = await putPipeline(store, spec, { update: existing.has(spec.name) });
        say(`pipeline ${spec.name}: ${action}`);
      }
      say(`shadow window: frames captured ${days[0]} to ${days.at(-1)} (UTC)`);
      if (!(await store.headCommit(REPOS.models, MODEL_BRANCHES.candidate))) {
        say(
          `${REPOS.models}@${MODEL_BRANCHES.candidate} has no commit yet: commit the model to try there (vigil put file -r models@candidate:/ -f DIR)`,
        );
      }
      if (!args.run) return;
      const { runWithProgress } = await import('./run.js');
      let failed = false;
      for (const pipeline of [REPOS.matchesShadow, REPOS.modelEvalShadow]) {
        const { outcomes, aborted } = await runWithProgress(store, pipeline);
        if (aborted) return 130;
        failed ||= outcomes.some((o) => o.job && o.job.state !== 'JOB_SUCCESS');
      }
      say(
        failed ? 'a shadow job failed: see `vigil list job` and `vigil logs PIPELINE`' : 'done: `vigil model diff` shows what would change',
      );
      return failed ? 1 : 0;
    },
  }),
  defineCommand({
    verb: 'model',
    noun: 'diff',
    describe:
      'what the candidate model would change for customers on the shadow window: threats gained and lost per rule and customer, with example frames',
    builder: (y) =>
      withRawOutput(withRoot(y)).option('examples', {
        type: 'number',
        default: 3,
        describe: 'example frames per rule, customer and direction',
      }),
    handler: async (args) => {
      const { compareShadow } = await import('../model-shadow.js');
      const { diffThreats } = await import('../threat-diff.js');
      const comparison = await compareShadow(await openStore(args));
      const diff = diffThreats(comparison.frames);
      if (args.raw) return printRaw(diff.changes, args.output);
      const version = (m: typeof comparison.current) => (m ? `${m.name}@${m.commit}` : '(none)');
      say(
        `candidate ${version(comparison.candidate)} against current ${version(comparison.current)} on ${diff.frames} frame(s) of the shadow window`,
      );
      if (comparison.stale) say(`warning: ${comparison.stale}`);
      if (comparison.notComparable.length) {
        say(`${comparison.notComparable.length} frame(s) not compared: the live detections do not hold them yet (vigil run)`);
      }
      const change = diff.candidateThreats - diff.currentThreats;
      say(`threats: ${diff.currentThreats} now, ${diff.candidateThreats} with the candidate (${change >= 0 ? '+' : ''}${change})`);
      if (diff.changes.length === 0) return void say('no threat would change');
      say('');
      const examples = (list: { path: string; objects: string }[], mark: string) =>
        list.slice(0, args.examples).map((e) => `${mark}${REPOS.validated}:/valid${e.path.replace(/\.json$/, '.jpg')} (${e.objects})`);
      printTable(
        ['RULE', 'CUSTOMER', 'GAINED', 'LOST', 'EXAMPLES'],
        diff.changes.map((c) => [
          `${c.ruleId} ${c.rule}`,
          c.user,
          String(c.gained.length),
          String(c.lost.length),
          [...examples(c.gained, '+'), ...examples(c.lost, '-')].join('  '),
        ]),
      );
    },
  }),
  defineCommand({
    verb: 'model',
    noun: 'promote',
    describe:
      "move models@master to the candidate if its evaluation is not worse than the current model's beyond --margin (or --force, recorded)",
    builder: (y) =>
      withRoot(y)
        .option('margin', { type: 'number', default: 0.02, describe: 'how much lower AP@[.5:.95] and AP@0.5 of the candidate may be' })
        .option('force', { type: 'boolean', default: false, describe: 'promote even if the gate refuses; the promotion record says so' })
        .option('reason', { type: 'string', describe: 'why, for the promotion record' }),
    handler: async (args) => {
      if (!(args.margin >= 0)) throw new VigilError(`--margin ${args.margin}: give a number 0 or more`);
      const { promote } = await import('../model-promotion.js');
      const { promotion, path } = await promote(
        await openStore(args),
        { margin: args.margin, force: args.force, reason: args.reason },
        say,
      );
      say(
        `${promotion.forced ? 'promoted with --force, the gate refusing' : 'promoted'}: ${REPOS.models}@master -> ${promotion.to.commit} (${promotion.to.model}), ` +
          `was ${promotion.from.commit} (${promotion.from.model}, kept as ${REPOS.models}@${MODEL_BRANCHES.previous}); recorded in ${REPOS.promotions}@master:${path}`,
      );
      say('`vigil run` detects again with it (only detections and what depends on them run); `vigil model rollback` undoes it');
    },
  }),
  defineCommand({
    verb: 'model',
    noun: 'rollback',
    describe: 'move models@master back to the model the last promotion replaced',
    builder: (y) => withRoot(y).option('reason', { type: 'string', describe: 'why, for the record' }),
    handler: async (args) => {
      const { rollback } = await import('../model-promotion.js');
      const { promotion, path } = await rollback(await openStore(args), args.reason);
      say(
        `rolled back: ${REPOS.models}@master -> ${promotion.to.commit} (${promotion.to.model}), was ${promotion.from.commit} (${promotion.from.model}); ` +
          `recorded in ${REPOS.promotions}@master:${path}`,
      );
      say('`vigil run` detects again with it (only detections and what depends on them run)');
    },
  }),
];
