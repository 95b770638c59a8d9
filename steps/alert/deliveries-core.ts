/**
 * The deliveries record, pure: from one incident's alert ledger entries, what the deliveries repo
 * says of it, and whether a withdrawal is due (it was delivered, and alerts@master no longer holds
 * it). No I/O; deliveries.ts feeds it one device-day at a time.
 */
import type { Delivery, DigestRef, IncidentDeliveries, IncidentSummary, Withdrawal } from '../../specs/index.js';
import { isDeliveryKey, SUMMARY_KEY, WITHDRAWN_KEY, type DigestMark } from './ledger/entries.js';
import type { LedgerEntry } from './ledger/ledger.js';

/** One incident's ledger entries, read. */
export interface LedgerIncident {
  summary: IncidentSummary;
  deliveries: Delivery[];
  withdrawn?: Withdrawal;
  resolves: Delivery[];
  /** The digests that summarised its held deliveries; `delivery` is filled in by the caller, from the digest's scope. */
  digests: DigestRef[];
}

/** The incident one scope's entries describe; undefined without a summary (nothing was ever notified). */
export function ledgerIncident(entries: readonly LedgerEntry[]): LedgerIncident | undefined {
  const value = <T>(key: string) => entries.find((e) => e.key === key)?.value as T | undefined;
  const summary = value<IncidentSummary>(SUMMARY_KEY);
  if (!summary) return undefined;
  const withdrawn = value<Withdrawal>(WITHDRAWN_KEY);
  return {
    summary,
    deliveries: entries.filter((e) => isDeliveryKey(e.key)).map((e) => e.value as Delivery),
    ...(withdrawn ? { withdrawn } : {}),
    resolves: entries.filter((e) => e.key.startsWith('resolve.')).map((e) => e.value as Delivery),
    digests: entries
      .filter((e) => e.key.startsWith('digest.'))
      .map((e) => ({ target: e.key.slice('digest.'.length), digest: (e.value as DigestMark).digest })),
  };
}

/** Whether anything reached the customer about the incident: a notification, or a digest that named it. */
export function wasDelivered(incident: LedgerIncident): boolean {
  return incident.deliveries.some((d) => d.status === 'sent') || incident.digests.some((d) => d.delivery?.status === 'sent');
}

/** The versions the pipeline's inputs hold now, to say why an incident went away. */
export interface CurrentVersions {
  /** Absent when the device-day has no alert record left (the datum then has no alerts input). */
  alertsCommit?: string;
  modelsCommit?: string;
  rulesCommit?: string;
}

/** Why alerts@master no longer holds an incident: the model or rules commit that replaced the one it was found with. */
export function withdrawalReason(summary: IncidentSummary, now: CurrentVersions): string {
  const reasons: string[] = [];
  if (now.modelsCommit && now.modelsCommit !== summary.model.commit)
    reasons.push(`new model commit ${now.modelsCommit} (was ${summary.model.commit})`);
  if (now.rulesCommit && now.rulesCommit !== summary.rules.commit)
    reasons.push(`new rules commit ${now.rulesCommit} (was ${summary.rules.commit})`);
  if (reasons.length > 0) return reasons.join(' and ');
  return `no longer in alerts${now.alertsCommit ? `@${now.alertsCommit}` : ''} (its matches are gone)`;
}

/** The withdrawal to record now: for a delivered incident alerts@master lacks that has none yet. */
export function withdrawalDue(incident: LedgerIncident, present: boolean, now: CurrentVersions, at: Date): Withdrawal | undefined {
  if (present || incident.withdrawn || !wasDelivered(incident)) return undefined;
  const reason = withdrawalReason(incident.summary, now);
  return { at: at.toISOString(), reason, ...(now.alertsCommit ? { alertsCommit: now.alertsCommit } : {}) };
}

/** The record of one incident, for `/<user>-<device>/<incident>.json` in the deliveries repo. */
export function deliveriesRecord(incident: LedgerIncident): IncidentDeliveries {
  return {
    incident: incident.summary,
    state: incident.withdrawn ? 'withdrawn' : 'active',
    ...(incident.withdrawn ? { withdrawn: incident.withdrawn } : {}),
    deliveries: incident.deliveries,
    resolves: incident.resolves,
    ...(incident.digests.length > 0 ? { digests: incident.digests } : {}),
  };
}
