/** The `vigil` command line as a yargs program: every command module's verbs and nouns. */
import yargs from 'yargs';
import { VigilError } from '../pfs/errors.js';
import { plural, type CliCommand } from './command.js';
import { closest } from '../../specs/errors.js';
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
import { commands as fsckCommands } from './commands/fsck.js';
import { commands as diffCommands } from './commands/diff.js';

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
  ...fsckCommands,
  ...diffCommands,
];

/**
 * What to say when yargs finds an unknown word where a command goes: the command typed and the
 * nearest one (`vigil lst repo` -> `vigil list repo`); undefined when the command is known (the
 * unknown word is elsewhere).
 */
function unknownCommand(argv: string[], byVerb: ReadonlyMap<string, CliCommand[]>): string | undefined {
  const [verb, noun] = argv;
  if (verb === undefined || verb.startsWith('-')) return undefined;
  const typed = (words: (string | undefined)[]) => `vigil ${words.filter((w) => w !== undefined && !w.startsWith('-')).join(' ')}`;
  const cmds = byVerb.get(verb);
  if (!cmds) {
    const near = closest(verb, [...byVerb.keys()]);
    const meant = near ? `; did you mean "${typed([near, noun])}"?` : '';
    return `unknown command "${typed([verb, noun])}"${meant} (vigil --help lists the commands)`;
  }
  const nouns = cmds.flatMap((c) => (c.noun ? [c.noun] : []));
  if (nouns.length === 0 || noun === undefined || noun.startsWith('-') || nouns.some((n) => n === noun || plural(n) === noun))
    return undefined;
  const near = closest(noun, [...nouns, ...nouns.map(plural)]);
  const meant = near ? `; did you mean "${typed([verb, near])}"?` : '';
  return `unknown command "${typed([verb, noun])}"${meant} (vigil ${verb} takes ${nouns.join(', ')})`;
}

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
      if (err) throw err;
      throw new VigilError((/^Unknown arguments?:/.test(msg) && unknownCommand(argv, byVerb)) || msg);
    })
    .help()
    .parseAsync();
  return exitCode;
}
