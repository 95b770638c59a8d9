/**
 * The reader of a validated frame. The JPEG carries no lineage of its own: its raw frame is the
 * input file of the datum that wrote it (the job's datum table), else, for a commit no job of
 * this engine made, the file of its commit's provenance at the same `/<user>-<device>/<ts>.<ext>`.
 * Of several files of one frame (other extensions), validate kept one and recorded each other
 * as a duplicate rejection in the same commit: those are not the source.
 */
import { parseFramePath } from '../contract/frame-path.js';
import { duplicateRejectionPath, parseValidFramePath } from '../contract/repos.js';
import type { Ref } from './hop.js';
import type { StoreView } from './store-view.js';
import type { Reader } from './walk.js';

/** Whether `path` is the raw frame a validated frame's `/valid/<user>-<device>/<ts>.jpg` was made from, whatever its extension. */
export function isRawSourceOf(validatedPath: string, path: string): boolean {
  const valid = parseValidFramePath(validatedPath);
  const raw = parseFramePath(path);
  return !('error' in valid) && !('error' in raw) && valid.source === raw.source && valid.ts === raw.ts;
}

/** The one file among `candidates`, or why there is not exactly one. */
export function onlySource(candidates: Ref[], where: string, validatedPath: string): Ref | { problem: string } {
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) return { problem: `no file of ${where} is the raw frame of ${validatedPath}` };
  const paths = candidates.map((c) => c.path).join(', ');
  return { problem: `${where} holds ${candidates.length} raw frames that could be the source of ${validatedPath}: ${paths}` };
}

/** The candidates that the validated commit `hop` does not record as duplicates. */
async function keptCandidates(view: StoreView, hop: { repo: string; commit: string | null }, candidates: Ref[]): Promise<Ref[]> {
  if (candidates.length < 2 || !hop.commit) return candidates;
  const tree = await view.tree(hop.repo, hop.commit);
  return candidates.filter((c) => !tree.get(duplicateRejectionPath(c.path) ?? ''));
}

export function validatedReader(view: StoreView): Reader {
  return async ({ hop, datum }) => {
    const isSource = (path: string) => isRawSourceOf(hop.path, path);
    let found: Ref | { problem: string };
    if (datum) {
      const candidates: Ref[] = [];
      for (const input of datum.inputs) {
        for (const f of await view.matchFiles(input)) {
          if (isSource(f.path)) candidates.push({ repo: input.repo, commit: input.commit, path: f.path, sha256: f.sha256 });
        }
      }
      found = onlySource(await keptCandidates(view, hop, candidates), `datum ${datum.id}'s input`, hop.path);
    } else {
      const commit = (await view.commit(hop.repo, hop.commit!))!;
      const candidates: Ref[] = [];
      for (const p of commit.provenance) {
        for (const f of (await view.tree(p.repo, p.id)).files()) {
          if (isSource(f.path)) candidates.push({ repo: p.repo, commit: p.id, path: f.path, sha256: f.sha256 });
        }
      }
      found = onlySource(await keptCandidates(view, hop, candidates), `the provenance of ${hop.repo}@${hop.commit}`, hop.path);
    }
    if ('problem' in found) {
      hop.problems.push(found.problem);
      return { sources: [] };
    }
    return { sources: [{ ref: found, kinds: ['raw'] }] };
  };
}
