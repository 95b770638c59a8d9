/**
 * The line the match step logs for a frame from a camera no subscription names (nothing can
 * fire for it), and its reader: `vigil run` counts these lines of the matches job to warn once
 * per camera, so the format lives here, in one place.
 */

const PREFIX = 'match: unsubscribed camera ';

export function unsubscribedNotice(path: string, user: string, device: string): string {
  return `${PREFIX}${user}-${device}: ${path}: no subscription names device "${device}" of user "${user}"; nothing fired`;
}

/** The camera (`<user>-<device>`) an unsubscribed-frame line names, or null for any other line. */
export function unsubscribedCamera(line: string): string | null {
  if (!line.startsWith(PREFIX)) return null;
  const end = line.indexOf(':', PREFIX.length);
  return end < 0 ? null : line.slice(PREFIX.length, end);
}
