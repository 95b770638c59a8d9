/**
 * A camera whose clock shows 23:xx now, whatever the time: the Etc/GMT zone that puts the
 * current UTC hour at 23, so that rule 200 of demo/rules ("Person after hours": weeknights from
 * 18:00, weekends all day) is active for a frame captured now.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../src/pfs/package-root.js';

export function afterHoursZone(now = new Date()): string {
  let offset = (23 - now.getUTCHours() + 24) % 24; // hours east of UTC
  if (offset > 14) offset -= 24;
  // POSIX-style names: Etc/GMT-5 is five hours east of UTC.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** demo/rules' rules.yaml, and subscriptions with cameras `devices` of user u1 on the after-hours clock, alerting by email. */
export async function afterHoursPolicy(devices: string[]): Promise<Record<string, string>> {
  const rules = await readFile(join(packageRoot(), 'demo', 'rules', 'rules.yaml'), 'utf8');
  const zone = afterHoursZone();
  const entries = devices.map((d) => `      - id: ${d}\n        timezone: ${zone}\n        rules: [200]\n`).join('');
  return {
    '/rules.yaml': rules,
    '/subscriptions.yaml': `users:\n  - id: u1\n    alerts:\n      email: [security@example.com]\n    devices:\n${entries}`,
  };
}
