import type { Argv, ArgumentsCamelCase } from 'yargs';

/**
 * One CLI command in pachctl's grammar: a verb, an optional noun, positionals
 * (`vigil create repo <name>`, `vigil run [pipeline]`). Modules under commands/ export a list
 * of these; program.ts groups them by verb. Handlers import heavy code lazily so that a step's
 * process starts fast.
 */
export interface CliCommand {
  verb: string;
  noun?: string;
  /** yargs positionals, e.g. `<name>` or `[pipeline]`. */
  positionals?: string;
  describe: string;
  builder?: (y: Argv) => Argv;
  /** Returns the exit code (0 when omitted). */
  handler: (args: ArgumentsCamelCase<Record<string, unknown>>) => Promise<number | void>;
}

/** Options every store command takes. */
export function withRoot(y: Argv): Argv {
  return y.option('root', {
    type: 'string',
    describe: 'store folder (default $VIGIL_ROOT, else ./.vigil)',
  });
}

export function storeRoot(args: { root?: unknown }): string {
  return (args.root as string | undefined) || process.env.VIGIL_ROOT || '.vigil';
}
