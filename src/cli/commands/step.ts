import { defineCommand, type CliCommand } from '../command.js';

/** The module each step `vigil step <name>` runs: `steps/<name>/main.ts`, or another module of the step's folder. */
const STEP_MODULES = {
  validate: 'validate/main.js',
  detect: 'detect/main.js',
  // The model-eval pipelines' step: it runs the detector, so it lives with it.
  evaluate: 'detect/evaluate.js',
  match: 'match/main.js',
  alert: 'alert/main.js',
  // The alert stage's other pipelines (its record, and its rate caps' digests): they share the
  // alert step's ledger and channels.
  deliveries: 'alert/deliveries.js',
  digest: 'alert/digest.js',
  warehouse: 'warehouse/main.js',
  report: 'report/main.js',
} as const;

/** The steps a pipeline spec can run as `vigil step <name>`. */
export const STEPS = Object.keys(STEP_MODULES) as (keyof typeof STEP_MODULES)[];
export type StepName = keyof typeof STEP_MODULES;

export function isStep(name: string): name is StepName {
  return (STEPS as readonly string[]).includes(name);
}

/** Runs one step over /pfs; a failure throws. */
export async function runStep(name: StepName): Promise<void> {
  const step = (await import(`../../../steps/${STEP_MODULES[name]}`)) as { main(): Promise<void> };
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
