/**
 * The deliveries record, pure: from the alert ledger's entries and what alerts@master holds, one
 * IncidentDeliveries per incident ever notified, and the withdrawals to record (an incident that
 * was delivered and that alerts@master no longer holds). No I/O; deliveries.ts feeds it.
 */
import type { Delivery, IncidentDeliveries, IncidentSummary, Withdrawal } from '../../specs/index.js';
import { isDeliveryKey, SUMMARY_KEY, WITHDRAWN_KEY, type DigestMark } from './ledger/entries.js';
import type { LedgerEntry } from './ledger/ledger.js';

/** One incident's ledger entries. */
export interface LedgerIncident {
  summary: IncidentSummary;
  deliveries: Delivery[];
  withdrawn?: Withdrawal;
  resolves: Delivery[];
  digests: { target: string; digest: string }[];
}

/** The ledger's incidents (scopes with a summary), by id. */
export function ledgerIncidents(entries: readonly LedgerEntry[]): Map<string, LedgerIncident> {
  const byScope = new Map<string, LedgerEntry[]>();
  for (const e of entries) byScope.set(e.scope, [...(byScope.get(e.scope) ?? []), e]);
  const incidents = new Map<string, LedgerIncident>();
  for (const [scope, list] of byScope) {
    const summary = list.find((e) => e.key === SUMMARY_KEY)?.value as IncidentSummary | undefined;
    if (!summary) continue;
    incidents.set(scope, {
      summary,
      deliveries: list.filter((e) => isDeliveryKey(e.key)).map((e) => e.value as Delivery),
      ...(list.some((e) => e.key === WITHDRAWN_KEY) ? { withdrawn: list.find((e) => e.key === WITHDRAWN_KEY)!.value as Withdrawal } : {}),
      resolves: list.filter((e) => e.key.startsWith('resolve.')).map((e) => e.value as Delivery),
      digests: list
        .filter((e) => e.key.startsWith('digest.'))
        .map((e) => ({ target: e.key.slice('digest.'.length), digest: (e.value as DigestMark).digest })),
    });
  }
  return incidents;
}

/** Whether anything reached the customer about the incident. */
export function wasDelivered(incident: LedgerIncident): boolean {
  return incident.deliveries.some((d) => d.status === 'sent');
}

/** The versions the pipeline's inputs hold now, to say why an incident went away. */
export interface CurrentVersions {
  alertsCommit: string;
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
  return reasons.length > 0 ? reasons.join(' and ') : `no longer in alerts@${now.alertsCommit} (its matches are gone)`;
}

/** The withdrawals to record now: delivered incidents alerts@master lacks that have none yet. */
export function newWithdrawals(
  incidents: ReadonlyMap<string, LedgerIncident>,
  present: ReadonlySet<string>,
  now: CurrentVersions,
  at: Date,
): Array<{ id: string; withdrawal: Withdrawal }> {
  return [...incidents]
    .filter(([id, incident]) => !present.has(id) && !incident.withdrawn && wasDelivered(incident))
    .map(([id, incident]) => ({
      id,
      withdrawal: { at: at.toISOString(), reason: withdrawalReason(incident.summary, now), alertsCommit: now.alertsCommit },
    }));
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
