import type { CliCommand } from '../command.js';

/** The steps a pipeline spec can run as `vigil step <name>`; each is `steps/<name>/main.ts`. */
export const STEPS = ['validate', 'detect', 'match', 'alert', 'warehouse', 'report'] as const;

export const commands: CliCommand[] = [
  {
    verb: 'step',
    positionals: '<name>',
    describe: `run one pipeline step over /pfs (${STEPS.join(', ')}); what a pipeline spec's cmd calls`,
    builder: (y) => y.positional('name', { choices: STEPS, describe: 'the step' }),
    handler: async (args) => {
      const step = (await import(`../../../steps/${args.name as string}/main.js`)) as { main(): Promise<number | void> };
      return step.main();
    },
  },
];
