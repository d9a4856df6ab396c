import type { ConnectionState } from '../connection/org-connection.js';
import type { AvailabilitySample, AvailabilityStatus, Severity } from '../ledger/index.js';

export type { AvailabilityStatus, Severity } from '../ledger/index.js';

/** One health check of one connection: what the ledger keeps, plus what the check saw. */
export interface HealthSample extends AvailabilitySample {
  /** Where the check's org Id comes from when it has none yet (see lib/connection/org-key.ts). */
  loginKey: string;
  /** True when orgId is the org's real Id (the connection has logged in at some point). */
  identified: boolean;
  /** The org's servers answered during this check. */
  reachable: boolean;
  /** The connection held a valid session during this check. */
  authenticated: boolean;
  /** The share of the org's daily limit this integration may use. */
  apiBudget: number | null;
  /** apiUsed as a percent of apiBudget. */
  apiPercent: number | null;
  /** The OrgConnection's state after the check. */
  connectionState: ConnectionState;
  /** Machine-readable failure code (`ECONNREFUSED`, `INVALID_LOGIN`, …) when the check failed. */
  code?: string;
}

export function severityOf(status: AvailabilityStatus): Severity {
  switch (status) {
    case 'available':
      return 'info';
    case 'degraded':
      return 'warning';
    case 'unavailable':
      return 'critical';
  }
}
