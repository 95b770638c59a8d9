import type { CommitInfo } from '../../engine/store/store.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { formatBytes, printRaw, printTable, withRawOutput } from '../output.js';
import { parseCommitArg } from '../ref.js';

function origin(c: CommitInfo): string {
  return c.provenance.length ? 'AUTO' : 'USER';
}

/** `from` and its ancestors, newest first (what `pachctl list commit REPO@REF` shows). */
function ancestry(all: CommitInfo[], from: CommitInfo): CommitInfo[] {
  const byId = new Map(all.map((c) => [c.id, c]));
  const chain: CommitInfo[] = [];
  for (let c: CommitInfo | undefined = from; c; c = c.parent ? byId.get(c.parent) : undefined) chain.push(c);
  return chain;
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'list',
    noun: 'commit',
    positionals: '<repo>',
    describe: 'list the commits of a repo, newest first (REPO@REF: that commit and its ancestors)',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const arg = args.repo;
      const { repo, ref } = parseCommitArg(arg);
      const store = await openStore(args);
      const all = await store.listCommits(repo);
      const commits = arg.includes('@') ? ancestry(all, await store.resolveCommit(repo, ref)) : all;
      if (args.raw) {
        const { commitInfoJson } = await import('../../engine/store/pfs-json.js');
        return printRaw(commits.map(commitInfoJson), args.output);
      }
      printTable(
        ['REPO', 'BRANCH', 'COMMIT', 'FINISHED', 'SIZE', 'ORIGIN', 'DESCRIPTION'],
        commits.map((c) => [c.repo, c.branch, c.id, c.finished, formatBytes(c.sizeBytes), origin(c), c.description ?? '']),
      );
    },
  }),
  defineCommand({
    verb: 'inspect',
    noun: 'commit',
    positionals: '<commit>',
    describe: 'show one commit: REPO@BRANCH, REPO@COMMIT_ID, REPO@master^ (its parent)',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const { repo, ref } = parseCommitArg(args.commit);
      const store = await openStore(args);
      const c = await store.resolveCommit(repo, ref);
      if (args.raw) {
        const { commitInfoJson } = await import('../../engine/store/pfs-json.js');
        return printRaw([commitInfoJson(c)], args.output);
      }
      const lines = [
        `Commit: ${c.repo}@${c.id}`,
        `Original Branch: ${c.branch}`,
        `Parent: ${c.parent ?? '<none>'}`,
        `Origin: ${origin(c)}`,
        `Started: ${c.started}`,
        `Finished: ${c.finished}`,
        `Size: ${formatBytes(c.sizeBytes)}`,
        `Provenance: ${c.provenance.map((p) => `${p.repo}@${p.id}`).join(', ')}`,
        ...(c.description ? [`Description: ${c.description}`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  }),
];
