/** Walks of a normalised input tree (spec.ts), for the registry and the runner. */
import type { Input, PfsInput } from './spec.js';

/** Every pfs input of the tree, in spec order. */
export function pfsInputs(input: Input): PfsInput[] {
  if ('pfs' in input) return [input.pfs];
  const children = 'cross' in input ? input.cross : 'union' in input ? input.union : 'join' in input ? input.join : input.group;
  return children.flatMap(pfsInputs);
}

/** The distinct repo branches a pipeline reads, in spec order. */
export function inputBranches(input: Input): { repo: string; branch: string }[] {
  const seen = new Map<string, { repo: string; branch: string }>();
  for (const p of pfsInputs(input)) seen.set(`${p.repo}@${p.branch}`, { repo: p.repo, branch: p.branch });
  return [...seen.values()];
}
