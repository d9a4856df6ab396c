import type { OrgConnection } from '../connection/org-connection.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RecordResult, SyncRecord } from '../sync/types.js';
import type { RetryBoard } from '../runtime/retry-board.js';
import { backoffDelay } from './backoff.js';
import { classifyCallError, classifyRecordError, type ClassifiedError } from './classify.js';
import type { OrgApi, WireRecord, WireSaveResult } from '../salesforce/org-api.js';
import { LedgerBatch } from './ledger-batch.js';
import { emptyMetrics, type RetryPolicy, type WriteMetrics, type WriteReport } from './types.js';

/** What every pass of a write needs from its writer. */
export interface WriteContext {
  ledger: Ledger;
  target: OrgConnection;
  api: OrgApi;
  sourceOrg: string;
  targetOrg: string;
  policy: RetryPolicy;
  batchSize: number;
  /**
   * Records of one object, operation and level from which a write goes through Bulk API 2.0 jobs
   * (of up to `bulkJobSize` records each) instead of collections calls; Infinity never.
   */
  bulkThreshold: number;
  bulkJobSize: number;
  /**
   * Deletes sent as Bulk API jobs are hard deletes (`hardDelete`: past the recycle bin, which
   * needs the "Bulk API Hard Delete" permission); collections deletes always use the recycle bin.
   */
  bulkHardDelete: boolean;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  /** Where waits for a retry are shown while they last (the shared runtime context's). */
  retryBoard?: RetryBoard;
}

/** Something sent to the target, possibly several times. */
export interface Attempted {
  attempts: number;
  /** Re-sends that fixed the record rather than waited out a transient failure (not counted against maxAttempts). */
  freeResends: number;
}

export type Outcome = { ok: true; id?: string; created?: boolean } | { ok: false; error: ClassifiedError };

export interface SendHandlers<I extends Attempted> {
  /** One API call for these items; answers one outcome per item, in order. */
  send(items: I[]): Promise<Outcome[]>;
  succeed(item: I, outcome: { id?: string; created?: boolean }, batch: LedgerBatch): void;
  fail(item: I, error: ClassifiedError, batch: LedgerBatch): void;
  /**
   * A failure the item can be changed to get past (a lookup whose parent is missing, left empty).
   * Returns true to re-send it now, or another error to fail it with a clearer reason.
   */
  repair?(item: I, error: ClassifiedError, batch: LedgerBatch): boolean | ClassifiedError;
}

let runs = 0;

/**
 * One write(): the results being filled, the target Ids known so far, and the retry loop every
 * pass shares. Passes (upserts, second-pass lookups, deletes) live in their own modules.
 */
export class WriteRun {
  readonly results: Array<RecordResult | undefined>;
  readonly metrics: WriteMetrics = emptyMetrics();
  /** Source Id to target Id: the Id map as loaded, plus every record written in this run. */
  readonly known = new Map<string, string>();
  /**
   * Records `known` only through an entry written the other way (a two-way sync: the record came
   * from the target org, and this is its original there).
   */
  readonly linkedBack = new Set<string>();
  /** Records in the target as of this run (written or found unchanged): parents whose waiting children can be set. */
  readonly ready = new Set<string>();
  /** Why this run stopped making calls (limit spent, login refused); later sends are dead-lettered with it. */
  halt?: ClassifiedError;
  /** Tells this run's entries on the retry board apart from other runs'. */
  private readonly id = ++runs;

  constructor(
    readonly ctx: WriteContext,
    readonly records: readonly SyncRecord[],
  ) {
    this.results = new Array<RecordResult | undefined>(records.length);
    this.metrics.records = records.length;
  }

  report(startedAt: number): WriteReport {
    const results = this.results.map((r, i): RecordResult => {
      if (r) return r;
      // Every pass settles each of its records; this only guards the promise "one result per record".
      const rec = this.records[i]!;
      this.metrics.failed++;
      return {
        object: rec?.object ?? '', sourceId: rec?.sourceId ?? '', targetObject: rec?.target?.object ?? rec?.object ?? '', outcome: 'failed', attempts: 0,
        error: { code: 'NOT_PROCESSED', message: 'the writer did not reach this record', category: 'transient' },
      };
    });
    this.metrics.durationMs = performance.now() - startedAt;
    return { results, metrics: { ...this.metrics } };
  }

  commit(batch: LedgerBatch): void {
    batch.commit(this.ctx.ledger, this.ctx.sourceOrg, this.ctx.targetOrg, this.ctx.now());
  }

  /**
   * Loads the Id map entries of these source records into `known`; a record OrgBridge wrote the
   * other way (from the target org into the source org) is known as the target record it came from.
   */
  loadKnown(sourceIds: Iterable<string>): void {
    const ids = [...new Set(sourceIds)].filter((id) => !this.known.has(id));
    const { ledger, sourceOrg, targetOrg } = this.ctx;
    for (const [id, entry] of ledger.idMapEntries(sourceOrg, targetOrg, ids)) this.known.set(id, entry.targetId);
    const rest = ids.filter((id) => !this.known.has(id));
    for (const [id, entry] of ledger.reverseIdMapEntries(sourceOrg, targetOrg, rest)) {
      this.known.set(id, entry.sourceId);
      this.linkedBack.add(id);
    }
  }

  /**
   * The one place that decides REST or Bulk for a write: groups of at least bulkThreshold records
   * are cut into jobs of bulkJobSize, smaller ones into collections calls of batchSize. What a
   * call of more records than a collections call takes is sent by `save` as a Bulk API job.
   */
  writeChunks<T>(items: T[]): T[][] {
    if (items.length < this.ctx.bulkThreshold) return this.chunks(items);
    const out: T[][] = [];
    const size = Math.max(this.ctx.bulkJobSize, this.ctx.batchSize + 1);
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    // A short last job is sent as collections calls if a collections call can take it.
    const last = out[out.length - 1]!;
    if (out.length > 1 && last.length <= this.ctx.batchSize) out.splice(out.length - 1, 1, ...this.chunks(last));
    return out;
  }

  /** Sends one chunk of writeChunks: a collections call, or a Bulk API job when it holds more. */
  save(mode: 'create' | 'update' | 'upsert', object: string, extField: string, records: WireRecord[]): Promise<WireSaveResult[]> {
    const { api } = this.ctx;
    if (records.length > this.ctx.batchSize) {
      this.metrics.bulkJobs++;
      return api.bulkWrite(object, mode === 'create' ? 'insert' : mode, records, mode === 'upsert' ? extField : undefined);
    }
    return mode === 'create' ? api.create(records) : mode === 'upsert' ? api.upsert(object, extField, records) : api.update(records);
  }

  /**
   * Deletes one chunk: a Bulk API job (all of `object`) when `bulk`, else a collections call.
   * A job deletes to the recycle bin, or for good when the writer is set to hard deletes.
   */
  remove(object: string, ids: string[], bulk: boolean): Promise<WireSaveResult[]> {
    if (!bulk) return this.ctx.api.delete(ids);
    this.metrics.bulkJobs++;
    return this.ctx.api.bulkWrite(object, this.ctx.bulkHardDelete ? 'hardDelete' : 'delete', ids.map((Id) => ({ attributes: { type: object }, Id })));
  }

  /** Splits `items` into calls of at most batchSize. */
  chunks<T>(items: readonly T[]): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += this.ctx.batchSize) out.push(items.slice(i, i + this.ctx.batchSize));
    return out;
  }

  /**
   * Sends items, re-sending only those that failed transiently, after an exponential, jittered
   * wait, until each has succeeded, failed for good, or used its attempts. Each call's outcome is
   * committed to the ledger (one transaction) before the next call for these items is made.
   */
  async sendWithRetry<I extends Attempted>(items: I[], h: SendHandlers<I>): Promise<void> {
    const { policy } = this.ctx;
    let pending = items;
    let retry = 0;
    while (pending.length) {
      if (this.halt) {
        const batch = new LedgerBatch();
        for (const item of pending) h.fail(item, this.halt, batch);
        this.commit(batch);
        return;
      }
      for (const item of pending) {
        if (item.attempts > 0) this.metrics.resends++;
        item.attempts++;
      }
      const outcomes = await h.send(pending);
      const batch = new LedgerBatch();
      const again: I[] = [];
      let wait = false;
      pending.forEach((item, k) => {
        const o = outcomes[k] ?? { ok: false, error: { code: 'NO_ANSWER', message: 'the target org gave no answer for this record', fields: [], class: 'transient' } };
        if (o.ok) return h.succeed(item, o, batch);
        const error = o.error;
        if (error.class === 'halt') {
          this.halt ??= error;
          return h.fail(item, error, batch);
        }
        const repaired = h.repair?.(item, error, batch) ?? false;
        if (repaired === true) {
          item.freeResends++;
          again.push(item);
        } else if (repaired) {
          h.fail(item, repaired, batch);
        } else if (error.class === 'transient' && item.attempts - item.freeResends < policy.maxAttempts) {
          again.push(item);
          wait = true;
        } else {
          h.fail(item, error, batch);
        }
      });
      this.commit(batch);
      pending = again;
      if (pending.length && wait) await this.waitToRetry(pending, ++retry, outcomes);
    }
  }

  /** The backoff before the next try, shown on the retry board while it lasts. */
  private async waitToRetry<I extends Attempted>(pending: I[], retry: number, outcomes: Outcome[]): Promise<void> {
    const delay = backoffDelay(retry, this.ctx.policy, this.ctx.random);
    const board = this.ctx.retryBoard;
    const key = `${this.ctx.targetOrg}:${this.id}`;
    if (board) {
      const failed = outcomes.find((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      const ids = pending.slice(0, 5).map((item) => (item as unknown as { sourceId?: string }).sourceId).filter((id): id is string => !!id);
      board.set(key, {
        targetOrg: this.ctx.targetOrg, object: this.records[0]?.target?.object ?? this.records[0]?.object ?? '', records: pending.length, sourceIds: ids,
        attempt: Math.max(...pending.map((i) => i.attempts)) + 1, maxAttempts: this.ctx.policy.maxAttempts, nextTryAt: this.ctx.now() + delay,
        lastError: { code: failed?.error.code ?? 'UNKNOWN', message: failed?.error.message ?? '' },
      });
    }
    try {
      await this.ctx.sleep(delay);
    } finally {
      board?.clear(key);
    }
  }

  /**
   * A lookup read, answering the value or the error it ended with. The access layer already retries
   * what a dropped connection or a 5xx does to a read; this retries, by the writer's own policy, the
   * rest of what clears up by itself (a query or request timeout, a lock, a session renewed late),
   * and halts the run on what stops every call (a spent limit, a refused login).
   */
  async read<T>(read: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: ClassifiedError }> {
    for (let attempt = 1; ; attempt++) {
      if (this.halt) return { ok: false, error: this.halt };
      try {
        return { ok: true, value: await read() };
      } catch (err) {
        const error = classifyCallError(err);
        if (error.class === 'halt') this.halt ??= error;
        const kind = (err as { kind?: string }).kind;
        const retriedByLayer = kind === 'network' || kind === 'server';
        if (error.class !== 'transient' || retriedByLayer || attempt >= this.ctx.policy.maxAttempts) return { ok: false, error };
        await this.ctx.sleep(backoffDelay(attempt, this.ctx.policy, this.ctx.random));
      }
    }
  }

  /** Per-item outcomes of one call; a failed call gives every item the call's error. */
  async outcomesOf(count: number, call: () => Promise<WireSaveResult[]>, onCallError?: (error: ClassifiedError) => void): Promise<Outcome[]> {
    try {
      return (await call()).map(toOutcome);
    } catch (err) {
      const error = classifyCallError(err);
      onCallError?.(error);
      return Array.from({ length: count }, () => ({ ok: false as const, error }));
    }
  }
}

export function toOutcome(w: WireSaveResult): Outcome {
  return w.success ? { ok: true, id: w.id, created: w.created } : { ok: false, error: classifyRecordError(w.errors) };
}

export function categoryOf(error: ClassifiedError): 'transient' | 'permanent' {
  return error.class === 'permanent' ? 'permanent' : 'transient';
}
