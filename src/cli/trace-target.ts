/**
 * What `vigil trace` is asked to follow, as people name it: a file (REPO@REF:/path), a camera
 * frame (--frame), or an incident id as emails and the portal show it. An incident no longer at
 * alerts@master (withdrawn by a model or rules change) is found in the repo's history. A file
 * that is not there, but is under another extension, is named in the error.
 */
import { parseIncidentId, incidentPaths } from '../contract/incident-id.js';
import { FRAME_EXTENSIONS } from '../contract/frame-path.js';
import { REPOS } from '../contract/repos.js';
import type { Store } from '../engine/store/store.js';
import { VigilError } from '../pfs/errors.js';
import { parseFileArg, type FileArg } from './ref.js';

/** The file to trace, and a line to tell the user when it was found in history rather than where they looked. */
export interface TraceTarget {
  target: FileArg;
  note?: string;
}

/** The extensions a file traced may have: the frames' and the records'. */
const TRACED_EXTENSIONS = [...FRAME_EXTENSIONS, 'json'];

/** The alerts commit that holds incident `id`'s record: alerts@master's, else the newest in history that did. */
async function findIncident(store: Store, id: string): Promise<TraceTarget> {
  const { record } = incidentPaths(id);
  if (!(await store.listRepos()).some((r) => r.name === REPOS.alerts)) {
    throw new VigilError(`${id} is an incident id, but the store has no ${REPOS.alerts} repo (vigil init, then vigil run)`);
  }
  const head = await store.headCommit(REPOS.alerts);
  if (head && (await store.tree(REPOS.alerts, head.id)).get(record)) {
    return { target: { repo: REPOS.alerts, ref: 'master', path: record, isFolder: false } };
  }
  for (const commit of await store.listCommits(REPOS.alerts)) {
    if (!(await store.tree(REPOS.alerts, commit.id)).get(record)) continue;
    return {
      target: { repo: REPOS.alerts, ref: commit.id, path: record, isFolder: false },
      note: `incident ${id} is no longer in ${REPOS.alerts}@master (withdrawn); tracing ${REPOS.alerts}@${commit.id}, the newest commit that held it`,
    };
  }
  throw new VigilError(`no incident ${id} in ${REPOS.alerts}@master nor in its history`);
}

/** Refuses a file that is not at REF, naming the same file under another extension when that is there. */
async function requireFile(store: Store, arg: FileArg): Promise<void> {
  const commit = await store.resolveCommit(arg.repo, arg.ref);
  const tree = await store.tree(arg.repo, commit.id);
  if (tree.get(arg.path)) return;
  const stem = arg.path.replace(/\.[^./]*$/, '');
  const other = TRACED_EXTENSIONS.map((ext) => `${stem}.${ext}`).find((p) => p !== arg.path && tree.get(p));
  const hint = other ? `; did you mean ${arg.repo}@${arg.ref}:${other}?` : '';
  throw new VigilError(`file "${arg.path}" not found in ${arg.repo}@${arg.ref}${hint}`);
}

/** What `vigil trace ARG` (or, `incidents` false, `--frame ARG`) follows. */
export async function traceTarget(store: Store, arg: string, incidents: boolean): Promise<TraceTarget> {
  if (incidents && parseIncidentId(arg)) return findIncident(store, arg);
  const target = parseFileArg(arg);
  if (target.isFolder) throw new VigilError(`${arg} names a folder; vigil trace follows one file (or an incident id)`);
  await requireFile(store, target);
  return { target };
}
