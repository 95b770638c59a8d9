import { resolve } from 'node:path';
import { defineCommand, storeRoot, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';

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
      const store = needsStore ? await openStore(args) : await existingStore(storeRoot(args));
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
];
