import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore, requireStoreRoot } from '../open-store.js';
import { printRaw, printTable, withRawOutput } from '../output.js';

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    let text = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new VigilError('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The password: asked twice on a terminal, else the first line of stdin (`printf %s "$PW" | vigil user add ...`). */
async function readPassword(name: string): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptHidden(`password for ${name}: `);
    const again = await promptHidden('the same again: ');
    if (first !== again) throw new VigilError('the two passwords differ; nothing was changed');
    return first;
  }
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw new VigilError(`no password on stdin for ${name}: pipe one line, or run vigil user add on a terminal to be asked`);
  return line;
}

/** `vigil user add|list|remove`: the portal's people (src/portal/users.ts), kept in <store>/users.json. */
export const commands: CliCommand[] = [
  defineCommand({
    verb: 'user',
    noun: 'add',
    positionals: '<name>',
    describe: 'let someone sign in to the portal: --customer USER (sees only the cameras USER-*) or --operator (sees everything)',
    builder: (y) =>
      withRoot(y)
        .positional('name', { type: 'string', describe: 'what they sign in with' })
        .option('customer', { type: 'string', describe: 'the customer whose cameras <customer>-<device> they see' })
        .option('operator', { type: 'boolean', describe: 'an operator: every customer, and the pipelines' })
        .option('replace', { type: 'boolean', describe: 'set a new password and role for a user who exists' }),
    handler: async (args) => {
      if (Boolean(args.customer) === Boolean(args.operator)) {
        throw new VigilError('give --customer USER (a customer sees only their cameras) or --operator');
      }
      const root = (await openStore(args)).root;
      const { addUser } = await import('../../portal/users.js');
      const password = await readPassword(args.name);
      const user = await addUser(root, {
        name: args.name,
        ...(args.customer ? { customer: args.customer } : {}),
        password,
        ...(args.replace ? { replace: true } : {}),
      });
      process.stdout.write(`user ${user.name}: ${user.role === 'operator' ? 'operator' : `customer ${user.customer}`}\n`);
    },
  }),
  defineCommand({
    verb: 'user',
    noun: 'list',
    describe: "the portal's users and their roles (never their passwords)",
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const { usersRegistry } = await import('../../portal/users.js');
      const { readRegistry } = await import('../../serve/registry-file.js');
      const users = readRegistry(usersRegistry(requireStoreRoot(args))).users.map(({ password: _hash, ...shown }) => shown);
      if (args.raw) printRaw(users, args.output);
      else
        printTable(
          ['NAME', 'ROLE', 'CUSTOMER', 'CREATED'],
          users.map((u) => [u.name, u.role, u.customer ?? '', u.created]),
        );
    },
  }),
  defineCommand({
    verb: 'user',
    noun: 'remove',
    positionals: '<name>',
    describe: 'take away a user: their sessions end at their next request',
    builder: (y) => withRoot(y).positional('name', { type: 'string' }),
    handler: async (args) => {
      const { removeUser } = await import('../../portal/users.js');
      await removeUser((await openStore(args)).root, args.name);
      process.stdout.write(`user ${args.name} removed\n`);
    },
  }),
];
