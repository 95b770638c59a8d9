/**
 * `vigil diff file NEW [OLD]`, as pachctl's: the files of NEW (a file or a folder of a commit)
 * against OLD (by default the same path in NEW's parent commit), each changed file as a
 * unified diff (diff -u), or with --name-only one line per file, `+` new and `-` old.
 */
import { spawn } from 'node:child_process';
import type { FileEntry, Store } from '../../engine/store/store.js';
import { VigilError } from '../../pfs/errors.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { formatBytes, printTable } from '../output.js';
import { parseFileArg, type FileArg } from '../ref.js';

/** The files at a path of a commit, by their path below it (a file itself is ''), and how to name them. */
interface Side {
  name: string;
  files: Map<string, FileEntry>;
}

async function sideOf(store: Store, arg: FileArg, commitId: string | null): Promise<Side> {
  const name = `${arg.repo}@${commitId ?? '(none)'}:${arg.path}`;
  const files = new Map<string, FileEntry>();
  if (commitId === null) return { name, files };
  const tree = await store.tree(arg.repo, commitId);
  const file = tree.get(arg.path);
  if (file) files.set('', file);
  else {
    const prefix = arg.path === '/' ? '/' : `${arg.path}/`;
    for (const e of tree.list(arg.path)) files.set(e.path.slice(prefix.length - 1), e);
  }
  return { name, files };
}

/** `diff -u` of two stored objects (or /dev/null for a side without the file), written to stdout. */
function unifiedDiff(store: Store, old: { label: string; entry?: FileEntry }, now: { label: string; entry?: FileEntry }): Promise<void> {
  const path = (e?: FileEntry) => (e ? store.objectPath(e.sha256) : '/dev/null');
  return new Promise((resolve, reject) => {
    const child = spawn('diff', ['-u', '--label', old.label, '--label', now.label, path(old.entry), path(now.entry)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', (e) => reject(new VigilError(`cannot run diff (diffutils): ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    // diff exits 1 when the files differ.
    child.on('close', (code) => (code === 0 || code === 1 ? resolve() : reject(new VigilError(`diff exited with code ${code}`))));
  });
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'diff',
    noun: 'file',
    positionals: '<new> [old]',
    describe: "the changes from OLD (default: the same path in NEW's parent commit) to NEW, each REPO@REF:/path of a file or folder",
    builder: (y) =>
      withRoot(y)
        .positional('new', { type: 'string', describe: 'REPO@REF:/path, the newer side' })
        .positional('old', { type: 'string', describe: "REPO@REF:/path, the older side (default: NEW's path in its commit's parent)" })
        .option('name-only', { type: 'boolean', describe: 'only the changed files: + new, - old (as pachctl diff file --name-only)' }),
    handler: async (args) => {
      const store = await openStore(args);
      const newArg = parseFileArg(args.new);
      const newCommit = await store.resolveCommit(newArg.repo, newArg.ref);
      const oldArg = args.old ? parseFileArg(args.old) : { ...newArg, ref: `${newCommit.id}^` };
      const oldCommit = args.old ? (await store.resolveCommit(oldArg.repo, oldArg.ref)).id : newCommit.parent;
      const now = await sideOf(store, newArg, newCommit.id);
      const old = await sideOf(store, oldArg, oldCommit);
      if (now.files.size === 0 && old.files.size === 0) throw new VigilError(`nothing at ${now.name} nor at ${old.name}`);
      const paths = [...new Set([...now.files.keys(), ...old.files.keys()])].sort();
      const changed = paths.filter((p) => now.files.get(p)?.sha256 !== old.files.get(p)?.sha256);
      if (args.nameOnly) {
        const rows: string[][] = [];
        for (const p of changed) {
          const [n, o] = [now.files.get(p), old.files.get(p)];
          if (n) rows.push(['+', n.path, formatBytes(n.size)]);
          if (o) rows.push(['-', o.path, formatBytes(o.size)]);
        }
        return printTable(['OP', 'NAME', 'SIZE'], rows);
      }
      for (const p of changed) {
        const [n, o] = [now.files.get(p), old.files.get(p)];
        await unifiedDiff(
          store,
          { label: o ? `${oldArg.repo}@${oldCommit}:${o.path}` : '/dev/null', entry: o },
          { label: n ? `${newArg.repo}@${newCommit.id}:${n.path}` : '/dev/null', entry: n },
        );
      }
    },
  }),
];
