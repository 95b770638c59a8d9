import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';

/** A phase's progress on stderr once it has run this long, then at this interval: quiet for small stores. */
const PROGRESS_MS = 2000;

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'fsck',
    describe:
      'check every object, tree and commit record of the store; list each problem and exit 1 if there is any (safe while pipelines run)',
    builder: (y) => withRoot(y),
    handler: async (args) => {
      const { describeProblem, fsckStore } = await import('../../engine/store/fsck.js');
      const store = await openStore(args);
      let shown = Date.now();
      const summary = await fsckStore(
        store,
        (problem) => process.stdout.write(`${describeProblem(problem)}\n`),
        ({ phase, done, total }) => {
          if (Date.now() - shown < PROGRESS_MS) return;
          shown = Date.now();
          process.stderr.write(`fsck: ${phase} ${done}/${total}\n`);
        },
      );
      const { objects, repos, commits, branches, treeNodes, files, expired, problems } = summary;
      const counts = [count(objects, 'object'), count(repos, 'repo'), count(commits, 'commit'), count(branches, 'branch', 'branches')];
      process.stdout.write(
        `checked ${counts.join(', ')}, ${count(treeNodes, 'tree node')} naming ${count(files, 'file')}${expired ? ` (${count(expired, 'object')} expired on purpose)` : ''}: ${problems === 0 ? 'no problems' : count(problems, 'problem')}\n`,
      );
      return problems === 0 ? 0 : 1;
    },
  }),
];
