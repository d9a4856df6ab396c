import type { OrgConnection } from '../connection/org-connection.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RetryBoard } from '../runtime/retry-board.js';
import type { RecordResult, SyncRecord, WriteMetrics } from '../sync/types.js';

export type { WriteMetrics } from '../sync/types.js';

/** Retries of transient failures: exponential backoff from `baseMs`, capped at `maxMs`. */
export interface RetryPolicy {
  /** Sends per record before a transient failure is dead-lettered (the first send counts). */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
  /** Full jitter: each wait is a random share of the exponential step, so parallel writers spread out. */
  jitter: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 500, maxMs: 30_000, jitter: true };

export interface RecordWriterOptions {
  target: OrgConnection;
  ledger: Ledger;
  /** Org Ids (00D…) the ledger keys everything by. */
  sourceOrgId: string;
  targetOrgId: string;
  /** Collections calls in flight at once, across every write() of this writer (default 2). */
  maxInFlight?: number;
  /** Records per collections call (default and maximum 200). */
  batchSize?: number;
  /**
   * Records of one object and level (in one write) from which they go through Bulk API 2.0 ingest
   * jobs instead of collections calls (default 2,000; 0 or Infinity: never).
   */
  bulkThreshold?: number;
  /** Records per Bulk API job (default 10,000). */
  bulkJobSize?: number;
  /**
   * Deletes that go through Bulk API jobs skip the recycle bin (`hardDelete`; the integration user
   * needs the "Bulk API Hard Delete" permission). Default false: every delete can be undone.
   */
  bulkHardDelete?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Waits between retries; tests pass one that resolves at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for ledger times (ms since epoch). */
  now?: () => number;
  /** 0..1 random source for jitter. */
  random?: () => number;
  /** A call without an answer after this long counts as a transient failure (default 120 s). */
  callTimeoutMs?: number;
  /** Where waits for a retry are shown while they last. */
  retryBoard?: RetryBoard;
}

export interface WriteReport {
  /** One per input record, in input order. */
  results: RecordResult[];
  metrics: WriteMetrics;
}

export function emptyMetrics(): WriteMetrics {
  return {
    records: 0, apiCalls: 0, resends: 0, created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0, deadLettered: 0,
    deferredReferences: 0, completedReferences: 0, recoveredCreates: 0, bulkJobs: 0, durationMs: 0,
  };
}

export function addMetrics(into: WriteMetrics, more: WriteMetrics): void {
  for (const k of Object.keys(emptyMetrics()) as Array<Exclude<keyof WriteMetrics, 'lagMs'>>) into[k] += more[k];
  if (more.lagMs !== undefined) into.lagMs = Math.max(into.lagMs ?? 0, more.lagMs);
}

/** The longest commit-to-now time among records that came from change events, or undefined. */
export function replicationLagMs(records: readonly SyncRecord[], now: number): number | undefined {
  let lag: number | undefined;
  for (const r of records) {
    // Catch-up and gap re-reads (negative, made-up replay ids) carry the read's time, not a commit's.
    if (r.origin?.via !== 'cdc' || !r.origin.changedAt || (r.origin.replayId ?? 0) < 0) continue;
    const at = Date.parse(r.origin.changedAt);
    if (Number.isFinite(at)) lag = Math.max(lag ?? 0, now - at);
  }
  return lag;
}
