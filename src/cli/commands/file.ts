import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VigilError } from '../../pfs/errors.js';
import type { CommitInfo, FileEntry, Store } from '../../engine/store/store.js';
import { checkPathLength } from '../../engine/store/names.js';
import { mapLimit } from '../../engine/store/parallel.js';
import { defineCommand, withRoot, type CliCommand } from '../command.js';
import { openStore } from '../open-store.js';
import { formatBytes, printRaw, printTable, withRawOutput } from '../output.js';
import { parseBranchFileArg, parseFileArg, type FileArg } from '../ref.js';

/** Files read and hashed at once by `put file`: enough to keep the disk busy on 2 cores. */
const PUT_PARALLEL = 16;

/** One file `put file` stores: a local file (or `-` for stdin) and where it goes in the repo. */
interface PutPlan {
  source: string;
  path: string;
}

/** Maps the `-f` sources to repo paths, pachctl's way; refuses what cannot work before anything is written. */
async function planPut(target: FileArg, sources: string[], recursive: boolean): Promise<PutPlan[]> {
  const plans: PutPlan[] = [];
  const intoFolder = target.isFolder || sources.length > 1;
  for (const source of sources) {
    if (source === '-') {
      if (intoFolder) throw new VigilError(`-f - (stdin) needs a file path to write to, e.g. ${target.repo}@${target.ref}:/a.jpg`);
      plans.push({ source, path: target.path });
      continue;
    }
    const info = await stat(source).catch(() => null);
    if (!info) throw new VigilError(`file "${source}" does not exist`);
    if (info.isDirectory()) {
      if (!recursive) throw new VigilError(`"${source}" is a folder; add -r to put every file below it`);
      const files = await walkFiles(source);
      if (files.length === 0) throw new VigilError(`folder "${source}" holds no files`);
      for (const file of files) plans.push({ source: file, path: posix.join(target.path, relative(source, file)) });
    } else {
      plans.push({ source, path: intoFolder ? posix.join(target.path, basename(source)) : target.path });
    }
  }
  const seen = new Set<string>();
  for (const p of plans) {
    if (seen.has(p.path)) throw new VigilError(`two files would go to ${target.repo}@${target.ref}:${p.path}`);
    checkPathLength(p.path, `${target.repo}@${target.ref}`);
    seen.add(p.path);
  }
  return plans;
}

/** Every file below `dir` (symlinks to files followed, symlinks to folders skipped: they can loop). */
async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walkFiles(path)));
    else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(path).catch(() => null))?.isFile())) out.push(path);
  }
  return out;
}

/** A `done/total` counter on stderr, only for a person watching a terminal. */
function progress(total: number, what: string): { tick(): void; end(): void } {
  if (!process.stderr.isTTY || total < 2) return { tick() {}, end() {} };
  let done = 0;
  let shown = 0;
  const show = () => process.stderr.write(`\r${what}: ${done}/${total} files`);
  return {
    tick() {
      done++;
      if (Date.now() - shown >= 100) {
        shown = Date.now();
        show();
      }
    },
    end() {
      show();
      process.stderr.write('\n');
    },
  };
}

/** Writing goes to a branch: a commit id there is a mistake, since commits never change. */
async function checkBranchTarget(store: Store, target: FileArg): Promise<void> {
  await store.inspectRepo(target.repo);
  if (await store.headCommit(target.repo, target.ref)) return;
  const commit = await store.resolveCommit(target.repo, target.ref).catch(() => null);
  // A new branch that another writer gave its first commit meanwhile is still a branch.
  if (commit && !(await store.headCommit(target.repo, target.ref))) {
    throw new VigilError(
      `${target.repo}@${target.ref} is a commit, and commits never change; write to a branch, e.g. ${target.repo}@${commit.branch}`,
    );
  }
}

/** What `arg.path` names in the resolved commit: the file itself, or a folder's files (read from that folder alone). */
async function filesAt(store: Store, arg: FileArg): Promise<{ commit: CommitInfo; file?: FileEntry; below: FileEntry[] }> {
  const commit = await store.resolveCommit(arg.repo, arg.ref);
  const tree = await store.tree(arg.repo, commit.id);
  const file = tree.get(arg.path) ?? undefined;
  const below = file ? [] : tree.list(arg.path);
  if (!file && below.length === 0 && arg.path !== '/') throw new VigilError(`file "${arg.path}" not found in ${arg.repo}@${arg.ref}`);
  return { commit, file, below };
}

/** Writes a file of `commit` to `out` (stdout for null), once its object is checked: damaged bytes are never written. */
async function writeObjectTo(store: Store, commit: CommitInfo, file: FileEntry, out: string | null): Promise<void> {
  const { sha256 } = file;
  await store.checkObject(sha256, `${commit.repo}@${commit.id}:${file.path}`);
  if (out === null) {
    for await (const chunk of createReadStream(store.objectPath(sha256))) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    }
    return;
  }
  await mkdir(dirname(out), { recursive: true });
  await pipeline(createReadStream(store.objectPath(sha256)), createWriteStream(out));
}

export const commands: CliCommand[] = [
  defineCommand({
    verb: 'put',
    noun: 'file',
    positionals: '<target>',
    describe: 'put files into a branch as one commit: REPO@BRANCH:/path -f FILE (-r -f DIR, -f - for stdin)',
    builder: (y) =>
      withRoot(y)
        // Not `array: true`: yargs then refuses `-f -`; a repeated -f gives an array, one -f a string.
        .option('file', {
          alias: 'f',
          type: 'string',
          demandOption: true,
          coerce: (f: string | string[]) => [f].flat(),
          describe: 'a local file, a folder (with -r), or - for stdin; repeatable',
        })
        .option('recursive', { alias: 'r', type: 'boolean', describe: 'put every file below a folder at the same relative path' }),
    handler: async (args) => {
      const target = parseBranchFileArg(args.target);
      const store = await openStore(args);
      await checkBranchTarget(store, target);
      const started = new Date();
      const plans = await planPut(target, args.file, Boolean(args.recursive));
      const bar = progress(plans.length, `put file ${target.repo}@${target.ref}`);
      const put = await mapLimit(plans, PUT_PARALLEL, async (p) => {
        const object = await store.addObject(p.source === '-' ? process.stdin : p.source, { batch: true });
        bar.tick();
        return { path: p.path, ...object };
      });
      bar.end();
      await store.commit(target.repo, target.ref, { put }, { started }).catch(async (e: unknown) => {
        await store.discardObjects(put.map((p) => p.sha256)); // a refused put leaves the store as it was
        throw e;
      });
    },
  }),
  defineCommand({
    verb: 'get',
    noun: 'file',
    positionals: '<source>',
    describe: 'print a file of a commit (REPO@REF:/path), or write it with -o; -r -o DIR for a folder',
    builder: (y) =>
      withRoot(y)
        .option('output', { alias: 'o', type: 'string', describe: 'write to this file (or folder, with -r) instead of stdout' })
        .option('recursive', { alias: 'r', type: 'boolean', describe: 'get every file below a folder (needs -o DIR)' }),
    handler: async (args) => {
      const source = parseFileArg(args.source);
      const store = await openStore(args);
      const { commit, file, below } = await filesAt(store, source);
      const output = args.output ?? null;
      if (file) return writeObjectTo(store, commit, file, output);
      if (!args.recursive || output === null) {
        throw new VigilError(
          `"${source.path}" is a folder in ${source.repo}@${source.ref}; list it with vigil list file, or get it whole with -r -o DIR`,
        );
      }
      const prefix = source.path === '/' ? '/' : `${source.path}/`;
      const { ExpiredObjectError } = await import('../../engine/store/expiry.js');
      // Files whose bytes expired are named, not written; the others still are.
      await mapLimit(below, PUT_PARALLEL, (e) =>
        writeObjectTo(store, commit, e, join(output, e.path.slice(prefix.length))).catch((err: unknown) => {
          if (!(err instanceof ExpiredObjectError)) throw err;
          process.stderr.write(`vigil: skipped ${err.message}\n`);
        }),
      );
    },
  }),
  defineCommand({
    verb: 'list',
    noun: 'file',
    positionals: '<source>',
    describe: 'list a folder of a commit (REPO@REF:/dir): its files and folders',
    builder: (y) => withRawOutput(withRoot(y)),
    handler: async (args) => {
      const source = parseFileArg(args.source);
      const store = await openStore(args);
      const { commit, file, below } = await filesAt(store, source);
      const rows: Array<{ path: string; size: number; entry?: FileEntry }> = [];
      if (file) rows.push({ path: file.path, size: file.size, entry: file });
      const prefix = source.path === '/' ? '/' : `${source.path}/`;
      const folders = new Map<string, { path: string; size: number }>();
      for (const e of below) {
        const slash = e.path.indexOf('/', prefix.length);
        if (slash < 0) {
          rows.push({ path: e.path, size: e.size, entry: e });
          continue;
        }
        const path = e.path.slice(0, slash + 1);
        const folder = folders.get(path) ?? { path, size: 0 };
        folder.size += e.size;
        if (!folders.has(path)) rows.push(folders.set(path, folder).get(path)!);
      }
      rows.sort((a, b) => (a.path < b.path ? -1 : 1));
      if (args.raw) {
        const { fileInfoJson } = await import('../../engine/store/pfs-json.js');
        return printRaw(
          rows.map((r) => fileInfoJson(commit, r.path, r.size, r.entry)),
          args.output,
        );
      }
      printTable(
        ['NAME', 'TYPE', 'SIZE'],
        rows.map((r) => [r.path, r.entry ? 'file' : 'dir', formatBytes(r.size)]),
      );
    },
  }),
  defineCommand({
    verb: 'delete',
    noun: 'file',
    positionals: '<target>',
    describe: 'delete a file or folder from a branch in a new commit (older commits keep it)',
    builder: (y) => withRoot(y),
    handler: async (args) => {
      const target = parseBranchFileArg(args.target);
      const store = await openStore(args);
      await checkBranchTarget(store, target);
      await filesAt(store, target);
      await store.commit(target.repo, target.ref, { delete: [target.path] });
    },
  }),
];
