/** Where an incident's notifications go: a user's AlertTargets as a flat list with stable keys. Pure. */
import type { AlertTargets, Delivery } from '../../specs/index.js';
import { defaultWebhookSecret } from '../../src/contract/secret-names.js';
import { sha256 } from '../../src/pfs/files.js';

interface TargetBase {
  /** With the incident id, the alert ledger's key; stable across rules commits. */
  key: Delivery['target'];
  /** As the Alert record shows it: never a full address, key or secret. */
  recipient: string;
}
export interface EmailTarget extends TargetBase {
  channel: 'email';
  address: string;
}
export interface PagerDutyTarget extends TargetBase {
  channel: 'pagerduty';
  routingKeyEnv: string;
}
export interface WebhookTarget extends TargetBase {
  channel: 'webhook';
  url: string;
  secretEnv: string;
}
export type Target = EmailTarget | PagerDutyTarget | WebhookTarget;

const shortHash = (text: string) => sha256(text).slice(0, 16);

/** `security@example.com` -> `s******y@example.com`: enough to recognise, not to harvest. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const masked = local.length <= 2 ? '*'.repeat(local.length) : `${local[0]}${'*'.repeat(local.length - 2)}${local.at(-1)}`;
  return masked + address.slice(at);
}

/** A webhook URL without credentials, query or fragment, which often carry tokens; `(not a URL)` for one that does not parse. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** Every target of `user`'s `targets`, in a fixed order (emails, PagerDuty, webhooks), each once. */
export function expandTargets(user: string, targets: AlertTargets): Target[] {
  const list: Target[] = [
    ...(targets.email ?? []).map(
      (address): EmailTarget => ({
        channel: 'email',
        key: `email-${shortHash(address.toLowerCase())}`,
        recipient: maskEmail(address),
        address,
      }),
    ),
    ...(targets.pagerduty
      ? [
          {
            channel: 'pagerduty',
            key: `pagerduty-${targets.pagerduty.routingKeyEnv}`,
            recipient: targets.pagerduty.routingKeyEnv,
            routingKeyEnv: targets.pagerduty.routingKeyEnv,
          } satisfies PagerDutyTarget,
        ]
      : []),
    ...(targets.webhook ?? []).map(
      (url): WebhookTarget => ({
        channel: 'webhook',
        key: `webhook-${shortHash(url)}`,
        recipient: displayUrl(url),
        url,
        secretEnv: targets.webhookSecretEnv ?? defaultWebhookSecret(user),
      }),
    ),
  ];
  return list.filter((t, i) => list.findIndex((u) => u.key === t.key) === i);
}
