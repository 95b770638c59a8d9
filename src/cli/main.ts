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
    endQuietlyWhenStdoutCloses();
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

/**
 * A reader that stops early (`vigil logs X | head -1`, `less` quit, `grep -m1`) closes stdout;
 * writing on is EPIPE. As a pipe's writer, the command then ends at once, quietly and
 * successfully: whatever it still had to print, nobody reads.
 */
function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
}
