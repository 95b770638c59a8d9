/** The `vigil` command line as a yargs program: every command module's verbs and nouns. */
import yargs from 'yargs';
import { VigilError } from '../pfs/errors.js';
import type { CliCommand } from './command.js';
import { commands as stepCommands } from './commands/step.js';
import { commands as retentionCommands } from './commands/retention.js';
import { commands as repoCommands } from './commands/repo.js';
import { commands as fileCommands } from './commands/file.js';
import { commands as commitCommands } from './commands/commit.js';
import { commands as branchCommands } from './commands/branch.js';
import { commands as rulesCommands } from './commands/rules.js';
import { commands as modelCommands } from './commands/model.js';
import { commands as sqlCommands } from './commands/sql.js';
import { commands as reportCommands } from './commands/report.js';
import { commands as traceCommands } from './commands/trace.js';
import { commands as pipelineCommands } from './commands/pipeline.js';
import { commands as jobCommands } from './commands/job.js';
import { commands as runCommands } from './commands/run.js';
import { commands as initCommands } from './commands/init.js';
import { commands as logsCommands } from './commands/logs.js';
import { commands as deployCommands } from './commands/deploy.js';
import { commands as demoCommands } from './commands/demo.js';
import { commands as serveCommands } from './commands/serve.js';
import { commands as deviceCommands } from './commands/device.js';
import { commands as userCommands } from './commands/user.js';
import { commands as migrateCommands } from './commands/migrate.js';

/** Every command module; each adds its verbs and nouns here. */
const ALL: CliCommand[] = [
  ...stepCommands,
  ...retentionCommands,
  ...repoCommands,
  ...fileCommands,
  ...commitCommands,
  ...branchCommands,
  ...rulesCommands,
  ...modelCommands,
  ...sqlCommands,
  ...reportCommands,
  ...traceCommands,
  ...pipelineCommands,
  ...jobCommands,
  ...runCommands,
  ...initCommands,
  ...logsCommands,
  ...deployCommands,
  ...demoCommands,
  ...serveCommands,
  ...deviceCommands,
  ...userCommands,
  ...migrateCommands,
];

/** Parses `argv` and runs the command it names; returns the exit code. Errors are thrown. */
export async function runProgram(argv: string[]): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => (exitCode = code);
  let cli = yargs(argv)
    .scriptName('vigil')
    // Positionals are names, refs and queries, strings even when they look like numbers (`vigil create repo 123`).
    .parserConfiguration({ 'parse-numbers': false })
    .strict()
    .demandCommand(1, 'name a command; see vigil --help');

  const byVerb = new Map<string, CliCommand[]>();
  for (const cmd of ALL) byVerb.set(cmd.verb, [...(byVerb.get(cmd.verb) ?? []), cmd]);
  for (const [verb, cmds] of byVerb) {
    const bare = cmds.find((c) => !c.noun);
    if (bare) {
      cli = bare.register(cli, verb, setExit);
      continue;
    }
    const nouns = cmds.map((c) => c.noun).join(', ');
    cli = cli.command(verb, `${verb} ${nouns}`, (sub) => {
      for (const cmd of cmds) sub = cmd.register(sub, cmd.noun!, setExit);
      return sub.demandCommand(1, `${verb} what? one of: ${nouns}`);
    });
  }

  await cli
    .fail((msg, err) => {
      throw err ?? new VigilError(msg);
    })
    .help()
    .parseAsync();
  return exitCode;
}
