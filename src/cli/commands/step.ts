import { defineCommand, type CliCommand } from '../command.js';

/** The steps a pipeline spec can run as `vigil step <name>`; each is `steps/<name>/main.ts`. */
export const STEPS = ['validate', 'detect', 'match', 'alert', 'warehouse', 'report'] as const;
export type StepName = (typeof STEPS)[number];

export function isStep(name: string): name is StepName {
  return (STEPS as readonly string[]).includes(name);
}

/** Runs one step over /pfs; a failure throws. */
export async function runStep(name: StepName): Promise<void> {
  const step = (await import(`../../../steps/${name}/main.js`)) as { main(): Promise<void> };
  return step.main();
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'step',
    positionals: '<name>',
    describe: `run one pipeline step over /pfs (${STEPS.join(', ')}); what a pipeline spec's cmd calls`,
    builder: (y) => y.positional('name', { choices: STEPS, describe: 'the step' }),
    handler: (args) => runStep(args.name),
  }),
];
