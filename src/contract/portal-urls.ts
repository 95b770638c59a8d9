/**
 * The portal's addresses, as `vigil serve` serves them and alerts link to them (docs/ARCHITECTURE.md,
 * "Portal URLs"): `/incidents/<incident id>` for an incident, and `/frames/<repo>@<commit><path>`
 * for a file of a repo at a commit (a frame, or an alert's snapshot). Absolute URLs start with
 * `VIGIL_PUBLIC_URL`, the portal's public address; without it there is nothing to link to.
 */

/** `/incidents/u1-cam1-r200-20261126T041500Z`. */
export function incidentPath(incidentId: string): string {
  return `/incidents/${encodeURIComponent(incidentId)}`;
}

/** `/frames/alerts@<commit>/u1-cam1/<incident>.jpg`: a file of `repo` at `commit`. */
export function framePath(repo: string, commit: string, path: string): string {
  return `/frames/${encodeURIComponent(repo)}@${encodeURIComponent(commit)}${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The portal's base URL from `VIGIL_PUBLIC_URL`, without a trailing slash; undefined when unset or not http(s). */
export function publicBase(env: Record<string, string | undefined>): string | undefined {
  const text = env.VIGIL_PUBLIC_URL?.trim();
  if (!text) return undefined;
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}
