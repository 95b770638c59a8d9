import { resolve } from 'node:path';
import { defineCommand, type CliCommand } from '../command.js';

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'rules',
    noun: 'check',
    positionals: '<dir>',
    describe: 'check rules.yaml and subscriptions.yaml in DIR as the match stage will, before committing them to the rules repo',
    builder: (y) =>
      y.positional('dir', { type: 'string', describe: 'folder holding rules.yaml and subscriptions.yaml' }).option('models', {
        type: 'string',
        describe:
          'folder laid out like the models repo (/<model>/model.yaml) whose labels rule classes must be; default: the default model',
      }),
    handler: async (args) => {
      const { compilePolicy, readModelLabels, readPolicyFiles } = await import('../../../steps/match/rules.js');
      const dir = resolve(args.dir);
      const labels = args.models
        ? await readModelLabels(resolve(args.models), args.models)
        : await import('../../../steps/detect/default-model.js').then((m) => [{ model: m.DEFAULT_MODEL_NAME, labels: m.COCO_LABELS }]);
      const loaded = compilePolicy(await readPolicyFiles(dir, args.dir), labels);
      const { ruleCount, users, deviceCount } = loaded.policy;
      process.stdout.write(
        `ok: ${ruleCount} rule(s), ${users.size} user(s), ${deviceCount} device subscription(s); ` +
          `classes checked against ${labels.map((m) => `${m.model} (${m.labels.length} labels)`).join(', ')}\n`,
      );
    },
  }),
];
