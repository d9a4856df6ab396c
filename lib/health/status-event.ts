import type { AvailabilityStatus, Severity } from '../ledger/index.js';

/** The platform event an org's status can be published as (the admin creates it in the target org). */
export const ORG_STATUS_EVENT = 'Org_Status__e';

export interface OrgStatusEventFields {
  Org_Id__c: string;
  Org_Name__c: string;
  Status__c: AvailabilityStatus;
  Previous_Status__c: AvailabilityStatus | 'unknown' | null;
  Severity__c: Severity;
  Reason__c: string;
  Latency_Ms__c: number | null;
  /** ISO 8601, as Salesforce DateTime fields take it. */
  Checked_At__c: string;
}

export interface OrgStatusSource {
  orgId: string;
  orgName: string;
  status: AvailabilityStatus;
  previous?: AvailabilityStatus | 'unknown';
  severity: Severity;
  reason: string;
  at: number;
  latencyMs: number | null;
}

/** Text(255) is the largest plain text field a platform event can have. */
const TEXT_MAX = 255;

/** The `Org_Status__e` field values for a transition or a sample; the node publishes them. */
export function orgStatusEvent(s: OrgStatusSource): OrgStatusEventFields {
  return {
    Org_Id__c: clip(s.orgId),
    Org_Name__c: clip(s.orgName),
    Status__c: s.status,
    Previous_Status__c: s.previous ?? null,
    Severity__c: s.severity,
    Reason__c: clip(s.reason),
    Latency_Ms__c: s.latencyMs === null ? null : Math.round(s.latencyMs),
    Checked_At__c: new Date(s.at).toISOString(),
  };
}

function clip(text: string): string {
  return text.length <= TEXT_MAX ? text : `${text.slice(0, TEXT_MAX - 1)}…`;
}
