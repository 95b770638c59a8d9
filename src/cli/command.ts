import type { Argv, ArgumentsCamelCase } from 'yargs';
import { storeWriteError } from '../engine/store/write-errors.js';
import { findStoreRoot } from './open-store.js';

/**
 * The arguments a positionals string names, as yargs reads it: `<name>` required, `[name]`
 * optional, each a string (program.ts keeps yargs from turning `123` into a number).
 */
type Positionals<S extends string> = S extends `${infer First} ${infer Rest}`
  ? Positionals<First> & Positionals<Rest>
  : S extends `<${infer Name}>`
    ? { [K in Name]: string }
    : S extends `[${infer Name}]`
      ? { [K in Name]?: string }
      : unknown;

/**
 * One CLI command in pachctl's grammar: a verb, an optional noun, positionals
 * (`vigil create repo <name>`, `vigil run [pipeline]`). Modules under commands/ export a list
 * made with `defineCommand`; program.ts groups them by verb. Handlers import heavy code lazily
 * so that a step's process starts fast.
 */
interface CommandSpec<P extends string, T> {
  verb: string;
  noun?: string;
  /** yargs positionals, e.g. `<name>` or `[pipeline]`; the handler's arguments include them. */
  positionals?: P;
  describe: string;
  /** The options (and positionals' descriptions); the handler's arguments are typed from what it returns. */
  builder?: (y: Argv) => Argv<T>;
  /** Returns the exit code (0 when omitted). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler returns an exit code, or nothing for 0
  handler: (args: ArgumentsCamelCase<T & Positionals<P>>) => Promise<number | void>;
}

/**
 * A command with its argument types erased, so that program.ts can hold commands of every shape
 * in one list: all it does with one is add it to a yargs program.
 */
export interface CliCommand {
  verb: string;
  noun?: string;
  describe: string;
  /** Adds the command to `y` as `name` (its verb, or its noun under the verb); `exit` receives the handler's exit code. */
  register(y: Argv, name: string, exit: (code: number) => void): Argv;
}

/**
 * A command whose handler sees its arguments typed: the options its builder declares and the
 * positionals its `positionals` string names.
 */
export function defineCommand<P extends string = '', T = unknown>(spec: CommandSpec<P, T>): CliCommand {
  const { verb, noun, positionals, describe, builder, handler } = spec;
  return {
    verb,
    noun,
    describe,
    register: (y, name, exit) =>
      y.command(
        // A noun is also taken in the plural (`vigil list repos`), as pachctl takes both.
        [positionals ? `${name} ${positionals}` : name, ...(name === noun ? [plural(noun)] : [])],
        describe,
        // yargs reads the positionals from the command string, its types do not: this adds them.
        (sub) => (builder ? builder(sub) : sub) as Argv<T & Positionals<P>>,
        async (args) => {
          try {
            exit((await handler(args)) ?? 0);
          } catch (e) {
            const root = findStoreRoot(args as { root?: string });
            throw root ? storeWriteError(root, e, 'the command stopped there') : e;
          }
        },
      ),
  };
}

/** `repo` -> `repos`, `branch` -> `branches`. */
export function plural(noun: string): string {
  return /(s|sh|ch|x)$/.test(noun) ? `${noun}es` : `${noun}s`;
}

/** Options every store command takes. */
export function withRoot<T>(y: Argv<T>): Argv<T & { root: string | undefined }> {
  return y.option('root', {
    type: 'string',
    describe: "store folder (default $VIGIL_ROOT, else the nearest .vigil: ./.vigil, then each parent folder's)",
  });
}
