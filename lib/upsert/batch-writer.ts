import type { OrgConnection } from '../connection/org-connection.js';
import { isPlaceholderOrgId, loginKeyOf } from '../connection/org-key.js';
import type { DeadLetter, DeadLetterFilter, Ledger, NewDeadLetter } from '../ledger/index.js';
import { addMetrics, emptyMetrics, RecordWriter, type RetryPolicy, type WriteReport } from './index.js';
import { replicationLagMs } from './types.js';
import type { RetryBoard } from '../runtime/retry-board.js';
import type { RecordResult, SyncRecord } from '../sync/types.js';
import { sameOrg, WriteInputError, type BatchInput, type ReplayRequest } from './batch-input.js';

export interface BatchWriterOptions {
  target: OrgConnection;
  ledger: Ledger;
  maxInFlight: number;
  retry: Partial<RetryPolicy>;
  /** Records of one object and level from which Bulk API jobs write them (RecordWriterOptions). */
  bulkThreshold?: number;
  /** Bulk API deletes skip the recycle bin (RecordWriterOptions). */
  bulkHardDelete?: boolean;
  sleep?: (ms: number) => Promise<void>;
  /** Where waits for a retry are shown while they last (the shared runtime context's). */
  retryBoard?: RetryBoard;
}

export interface ReplayReport extends WriteReport {
  /** The dead letters that were replayed. */
  letterIds: number[];
}

/**
 * What sf-upsert-out does around the RecordWriter: finds the target org's Id, splits a batch by
 * source org (the writer keys the ledger by one source org), files records the writer refused
 * as dead letters too, and replays dead letters.
 */
export class BatchWriter {
  /** One writer per source org; batches run one at a time, so the in-flight bound holds for the node. */
  private readonly writers = new Map<string, RecordWriter>();

  constructor(private readonly options: BatchWriterOptions) {}

  /**
   * The target org's Id: from the session, else by logging in. An org that cannot be reached now
   * but is known to the ledger (health checks link the login to the org) still gets its records
   * handed to the writer, which retries and then dead-letters them with the reason.
   */
  async targetOrgId(): Promise<string> {
    const { target, ledger } = this.options;
    if (target.identity?.orgId) return target.identity.orgId;
    try {
      await target.connection();
    } catch (err) {
      const filed = ledger.orgIdForLoginKey(loginKeyOf(target));
      if (filed && !isPlaceholderOrgId(filed)) return filed;
      throw new WriteInputError('TARGET_UNREACHABLE', `Cannot write to the target org: ${target.mask((err as Error).message)}`);
    }
    if (!target.identity?.orgId) throw new WriteInputError('TARGET_UNREACHABLE', 'Cannot write to the target org: the org did not give its Id at login');
    return target.identity.orgId;
  }

  async write(input: BatchInput): Promise<WriteReport> {
    const startedAt = performance.now();
    // An empty batch (a filter upstream let nothing through) needs no login.
    if (!input.records.length) return { results: [], metrics: { ...emptyMetrics(), durationMs: performance.now() - startedAt } };
    const targetOrg = await this.targetOrgId();
    if (input.expectedTarget && !sameOrg(input.expectedTarget, targetOrg)) {
      throw new WriteInputError('WRONG_TARGET', `The batch was mapped for org ${input.expectedTarget} (msg.s2s.target.orgId), but this node writes to org ${targetOrg}; check the connection`);
    }
    const report = await this.writeBySource(input.records, input.sourceOrgs, targetOrg, startedAt);
    // Lag is a live figure: measured on writes as they come, never on dead letters replayed later.
    const lag = replicationLagMs(input.records, Date.now());
    if (lag !== undefined) report.metrics.lagMs = Math.max(0, lag);
    return report;
  }

  /**
   * Replays open dead letters of this target org: each letter is marked `retried` as it is taken
   * (two replays never take the same one), resolved by a write that succeeds and reopened by one
   * that fails again.
   */
  async replay(request: ReplayRequest): Promise<ReplayReport> {
    const startedAt = performance.now();
    const targetOrg = await this.targetOrgId();
    const letters = this.take(targetOrg, request);
    const letterIds = letters.map((l) => l.id);
    if (!letters.length) return { results: [], metrics: { ...emptyMetrics(), durationMs: performance.now() - startedAt }, letterIds };
    try {
      const report = await this.writeBySource(letters.map(recordOf), letters.map((l) => l.sourceOrg), targetOrg, startedAt);
      this.reopenUnsettled(letterIds);
      return { ...report, letterIds };
    } catch (err) {
      try {
        this.reopenUnsettled(letterIds);
      } catch {
        // The ledger itself failed (or closed under a redeploy); the write's own error says more.
      }
      throw err;
    }
  }

  /**
   * Files every record of a batch the node could not even start on (its queue was full, or it was
   * stopped) as transient dead letters, so nothing vanishes: a `retry-dead-letters` message writes
   * them later. Returns how many were filed.
   */
  async fileUnwritten(input: BatchInput, errorCode: string, message: string): Promise<number> {
    const { target, ledger } = this.options;
    // Filed under the org a replay will look in; an org that cannot be reached is known by its login key.
    const targetOrg = await this.targetOrgId().catch(() => loginKeyOf(target));
    const letters: NewDeadLetter[] = input.records.map((record, i) => ({
      sourceOrg: input.sourceOrgs[i]!, targetOrg, sourceId: record.sourceId, object: record.object,
      targetObject: record.target?.object ?? record.object, operation: String(record.operation ?? ''), record,
      errorCode, message, category: 'transient', fields: [], attempts: 0,
    }));
    if (letters.length) ledger.addDeadLetters(letters);
    return letters.length;
  }

  private writerFor(sourceOrg: string, targetOrg: string): RecordWriter {
    const key = `${sourceOrg.slice(0, 15)}>${targetOrg}`;
    let writer = this.writers.get(key);
    if (!writer) {
      const { target, ledger, maxInFlight, retry, bulkThreshold, bulkHardDelete, sleep, retryBoard } = this.options;
      writer = new RecordWriter({
        target, ledger, sourceOrgId: sourceOrg, targetOrgId: targetOrg, maxInFlight, retry, bulkHardDelete: bulkHardDelete === true,
        ...(bulkThreshold !== undefined ? { bulkThreshold } : {}), ...(sleep ? { sleep } : {}), ...(retryBoard ? { retryBoard } : {}),
      });
      this.writers.set(key, writer);
    }
    return writer;
  }

  private async writeBySource(records: readonly SyncRecord[], sourceOrgs: readonly string[], targetOrg: string, startedAt: number): Promise<WriteReport> {
    const groups = new Map<string, { org: string; indices: number[] }>();
    sourceOrgs.forEach((org, i) => {
      const key = org.slice(0, 15);
      const group = groups.get(key) ?? { org, indices: [] };
      // Prefer the 18-character form when a batch mixes both: it is what the ledger keys by elsewhere.
      if (org.length > group.org.length) group.org = org;
      group.indices.push(i);
      groups.set(key, group);
    });
    const results = new Array<RecordResult>(records.length);
    const metrics = emptyMetrics();
    for (const { org, indices } of groups.values()) {
      const part = indices.map((i) => records[i]!);
      const report = await this.writerFor(org, targetOrg).writeWithReport(part);
      addMetrics(metrics, report.metrics);
      report.results.forEach((r, k) => (results[indices[k]!] = r));
      metrics.deadLettered += this.fileRefused(org, targetOrg, part, report.results);
    }
    metrics.records = records.length;
    metrics.durationMs = performance.now() - startedAt;
    return { results, metrics };
  }

  /**
   * The writer fails records it cannot send as given (not mapped, undelete, unknown operation)
   * without filing them, since the input itself is wrong. A node must not let a record vanish, so
   * they are filed here, with the writer's reason, for an admin to fix or discard.
   */
  private fileRefused(sourceOrg: string, targetOrg: string, records: readonly SyncRecord[], results: readonly RecordResult[]): number {
    const letters: NewDeadLetter[] = [];
    results.forEach((r, k) => {
      if (r.outcome !== 'failed') return;
      const record = records[k]!;
      letters.push({
        sourceOrg, targetOrg, sourceId: record.sourceId, object: record.object, targetObject: r.targetObject || record.object,
        operation: String(record.operation ?? ''), record, errorCode: r.error?.code ?? 'NOT_WRITTEN',
        message: r.error?.message ?? 'the record could not be written', category: r.error?.category ?? 'permanent',
        fields: r.error?.fields ?? [], attempts: r.attempts,
      });
    });
    if (letters.length) this.options.ledger.addDeadLetters(letters);
    return letters.length;
  }

  private take(targetOrg: string, request: ReplayRequest): DeadLetter[] {
    const { ledger } = this.options;
    const filter: DeadLetterFilter = {
      targetOrg, limit: request.limit,
      ...(request.object ? { object: request.object } : {}),
      ...(request.targetObject ? { targetObject: request.targetObject } : {}),
    };
    const ids = request.ids;
    if (!ids) return ledger.takeDeadLettersForRetry(filter);
    return ledger.transaction(() => {
      const wanted = [...new Set(ids)]
        .map((id) => ledger.deadLetter(id))
        .filter((l): l is DeadLetter =>
          !!l && l.status === 'open' && l.targetOrg === targetOrg
          && (!request.object || l.object === request.object) && (!request.targetObject || l.targetObject === request.targetObject))
        .slice(0, request.limit);
      ledger.setDeadLetterStatus(wanted.map((l) => l.id), 'retried');
      return wanted.map((l) => ({ ...l, status: 'retried' as const }));
    });
  }

  /**
   * Every outcome of a replayed record settles its letter (written or unchanged resolves it,
   * a new failure reopens it); this catches the rest (a replay cut short), so none stays
   * `retried`, a state no later replay would take.
   */
  private reopenUnsettled(ids: readonly number[]): void {
    const { ledger } = this.options;
    const unsettled = ids.filter((id) => ledger.deadLetter(id)?.status === 'retried');
    if (unsettled.length) ledger.setDeadLetterStatus(unsettled, 'open');
  }
}

/** The stored record of a letter; a letter without a usable one is replayed as an unmapped record, which fails and stays filed. */
function recordOf(letter: DeadLetter): SyncRecord {
  const r = letter.record as Partial<SyncRecord> | null;
  if (r && typeof r === 'object' && r.sourceId === letter.sourceId && typeof r.object === 'string') return r as SyncRecord;
  return {
    object: letter.object, sourceId: letter.sourceId, operation: (letter.operation || 'upsert') as SyncRecord['operation'], fields: {}, references: [],
    origin: { orgId: letter.sourceOrg, via: 'manual' },
  };
}
