import { VigilError } from '../pfs/errors.js';
import { isStep, runStep } from './commands/step.js';

/** Runs the `vigil` CLI on `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    // `vigil step <name>` is how every pipeline worker starts. It skips the command-line parser,
    // whose load (yargs and every command module) was a third of a worker's start-up (~0.1 s).
    const [verb, name, ...rest] = argv;
    if (verb === 'step' && name !== undefined && isStep(name) && rest.length === 0) {
      await runStep(name);
      return 0;
    }
    const { runProgram } = await import('./program.js');
    return await runProgram(argv);
  } catch (e) {
    if (e instanceof VigilError) {
      process.stderr.write(`vigil: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`vigil: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 2;
  }
}
