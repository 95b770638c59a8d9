import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { parseCommitArg } from '../ref.js';

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'create',
    noun: 'branch',
    positionals: '<branch>',
    describe: 'point REPO@BRANCH at an existing commit, creating the branch if needed (pachctl create branch --head)',
    builder: (y) =>
      withRoot(y).option('head', {
        type: 'string',
        demandOption: true,
        describe: 'the commit: a commit id or a branch of the same repo, with ^ or ~N allowed (e.g. master^)',
      }),
    handler: async (args) => {
      const { repo, ref: branch } = parseCommitArg(args.branch);
      if (/[\^~]/.test(branch) || !args.branch.includes('@')) {
        throw new VigilError(`"${args.branch}" names no branch; write REPO@BRANCH, e.g. models@candidate`);
      }
      const head = await (await openStore(args)).setBranchHead(repo, branch, args.head);
      process.stdout.write(`${repo}@${branch} -> ${head.id}\n`);
    },
  }),
];
