import type { OrgConnection } from '../connection/org-connection.js';
import type { AvailabilityStatus, HistoryBucket, HistoryQuery, Ledger, Severity, UptimeFigures } from '../ledger/index.js';
import { checkConnection, type HealthCheckOptions } from './check-connection.js';
import type { HealthSample } from './health-sample.js';

/** A change of an org's status: what alert flows are wired to. */
export interface StatusTransition {
  orgId: string;
  orgName: string;
  status: AvailabilityStatus;
  /** `unknown` for the first check of an org this monitor has seen. */
  previous: AvailabilityStatus | 'unknown';
  severity: Severity;
  reason: string;
  at: number;
  latencyMs: number | null;
}

export interface CheckResult {
  sample: HealthSample;
  /** Present only when the status changed. */
  transition?: StatusTransition;
}

export interface UptimeReport {
  orgId: string;
  at: number;
  hour: UptimeFigures;
  day: UptimeFigures;
  week: UptimeFigures;
}

export interface HealthMonitorOptions extends HealthCheckOptions {
  ledger: Ledger;
  /**
   * A sample stops counting towards uptime this long after it was taken, so time when nothing
   * was checking (Node-RED stopped) is unknown rather than the last status stretched over it.
   * A few check intervals is a good value; by default a sample holds until the next one.
   */
  maxSampleHoldMs?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * Checks connections, files every sample in the ledger, and reports a transition only when an
 * org's status changes. One check per connection at a time: an on-demand check that arrives while
 * a scheduled one runs gets that check's result instead of spending a second API call.
 */
export class HealthMonitor {
  private readonly statuses = new Map<string, AvailabilityStatus>();
  private readonly inFlight = new Map<OrgConnection, Promise<CheckResult>>();
  /** Login keys already linked to their org in the ledger by this monitor (saves a write per check). */
  private readonly linked = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly options: HealthMonitorOptions) {
    this.now = options.now ?? Date.now;
  }

  get ledger(): Ledger {
    return this.options.ledger;
  }

  check(conn: OrgConnection): Promise<CheckResult> {
    let pending = this.inFlight.get(conn);
    if (!pending) {
      pending = checkConnection(conn, this.options)
        .then((sample) => this.observe(sample))
        .finally(() => this.inFlight.delete(conn));
      this.inFlight.set(conn, pending);
    }
    return pending;
  }

  /** Checks every connection concurrently; results in the order given. */
  checkAll(conns: Iterable<OrgConnection>): Promise<CheckResult[]> {
    return Promise.all([...conns].map((c) => this.check(c)));
  }

  /**
   * Files a sample and works out whether the org's status changed. A sample without an org Id is
   * filed under the org its login key was last seen to reach, if the ledger knows one.
   */
  observe(sample: HealthSample): CheckResult {
    const filed = this.resolveOrg(sample);
    this.ledger.recordSample(filed);
    const previous = this.statuses.get(filed.orgId) ?? 'unknown';
    this.statuses.set(filed.orgId, filed.status);
    if (previous === filed.status) return { sample: filed };
    return {
      sample: filed,
      transition: {
        orgId: filed.orgId, orgName: filed.orgName, status: filed.status, previous, severity: filed.severity,
        reason: filed.reason, at: filed.at, latencyMs: filed.latencyMs,
      },
    };
  }

  /** The status of the org's last check by this monitor. */
  status(orgId: string): AvailabilityStatus | 'unknown' {
    return this.statuses.get(orgId) ?? 'unknown';
  }

  /** Uptime over the hour, day and week before `now`. */
  uptimeReport(orgId: string, now: number = this.now()): UptimeReport {
    const maxHoldMs = this.options.maxSampleHoldMs;
    const [hour, day, week] = this.ledger.uptimes(orgId, [HOUR, DAY, WEEK].map((span) => ({ from: now - span, to: now, maxHoldMs })));
    return { orgId, at: now, hour: hour!, day: day!, week: week! };
  }

  history(orgId: string, query: HistoryQuery): HistoryBucket[] {
    return this.ledger.history(orgId, { maxHoldMs: this.options.maxSampleHoldMs, ...query });
  }

  private resolveOrg(sample: HealthSample): HealthSample {
    if (sample.identified) {
      if (this.linked.get(sample.loginKey) !== sample.orgId) {
        this.ledger.linkLoginKey(sample.loginKey, sample.orgId, sample.orgName, sample.at);
        this.linked.set(sample.loginKey, sample.orgId);
        // Checks filed under the placeholder were this org's: so is their last status.
        const placeholderStatus = this.statuses.get(sample.loginKey);
        if (placeholderStatus && !this.statuses.has(sample.orgId)) this.statuses.set(sample.orgId, placeholderStatus);
        this.statuses.delete(sample.loginKey);
      }
      return sample;
    }
    const known = this.ledger.orgIdForLoginKey(sample.loginKey);
    return known ? { ...sample, orgId: known } : sample;
  }
}
