/**
 * What the alert ledger holds, and under which keys. Scopes: an incident id (its summary, one
 * Delivery per target, its withdrawal, resolves and digest marks); `cap-<user>-<channel>-<hour>`
 * (the rate cap's slots); `digest-<user>-<tick>` (a digest's plan and deliveries).
 */
import type { IncidentSummary, Withdrawal } from '../../../specs/index.js';
import type { Incident } from '../core.js';

export const SUMMARY_KEY = 'incident';
export const WITHDRAWN_KEY = 'withdrawn';
export const resolveKey = (target: string) => `resolve.${target}`;
export const digestMarkKey = (target: string) => `digest.${target}`;
export const planKey = (target: string) => `plan.${target}`;

/** Whether a key of an incident scope is a target's Delivery. */
export function isDeliveryKey(key: string): boolean {
  return key !== SUMMARY_KEY && key !== WITHDRAWN_KEY && !key.includes('.');
}

/** A user's rate-cap scope for one channel and one UTC clock hour. */
export function capScope(user: string, channel: string, at: Date): string {
  return `cap-${user}-${channel}-${at.toISOString().slice(0, 13).replace(/[-T]/g, '')}`;
}

/** Who holds a cap slot. */
export interface SlotHolder {
  incident: string;
  target: string;
}

/** A digest's plan for one target: the held incidents it summarises. */
export interface DigestPlan {
  user: string;
  target: string;
  incidents: string[];
}

/** A digest's mark on an incident it summarised. */
export interface DigestMark {
  digest: string;
}

export type { IncidentSummary, Withdrawal };

/** The incident as the ledger keeps it: enough to show and resolve it once its record is gone. */
export function incidentSummary(incident: Incident): IncidentSummary {
  const { id, user, device, camera, timezone, rule, first, firstMatch } = incident;
  return {
    id,
    user,
    device,
    ...(camera.name || camera.site ? { camera } : {}),
    timezone,
    rule,
    firstCapturedAt: first.capturedAt,
    localTime: first.localTime,
    frame: first.frame,
    match: first.match,
    model: firstMatch.model,
    rules: firstMatch.rules,
  };
}
