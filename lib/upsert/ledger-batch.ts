import type { Ledger } from '../ledger/ledger.js';
import { RECORD_LEVEL, type SyncCount } from '../ledger/sync-history.js';
import type { SyncBatch } from '../ledger/sync-batch.js';

type Counter = 'synced' | 'skipped' | 'failed' | 'deadLettered';

/** What one call settled, gathered while its answer is read and committed in one transaction. */
export class LedgerBatch {
  readonly batch: Required<Omit<SyncBatch, 'sourceOrg' | 'targetOrg' | 'at'>> = {
    written: [], unchanged: [], stillWaiting: [], deleted: [], deadLetters: [], deferred: [], referencesDone: [], createsSettled: [], history: [],
  };
  private readonly counts = new Map<string, SyncCount>();

  /** Adds to the history counters of a target object, for the record (RECORD_LEVEL) or one field. */
  count(object: string, field: string, counter: Counter, n = 1): void {
    const key = `${object}\u0000${field}`;
    let c = this.counts.get(key);
    if (!c) this.counts.set(key, (c = { object, field }));
    c[counter] = (c[counter] ?? 0) + n;
  }

  countRecord(object: string, counter: Counter, fields: readonly string[] = []): void {
    this.count(object, RECORD_LEVEL, counter);
    for (const f of fields) this.count(object, f, counter);
  }

  get empty(): boolean {
    const b = this.batch;
    return !this.counts.size && !b.written.length && !b.unchanged.length && !b.stillWaiting.length && !b.deleted.length && !b.deadLetters.length
      && !b.deferred.length && !b.referencesDone.length && !b.createsSettled.length;
  }

  commit(ledger: Ledger, sourceOrg: string, targetOrg: string, at: number): void {
    if (this.empty) return;
    ledger.recordSyncBatch({ sourceOrg, targetOrg, at, ...this.batch, history: [...this.counts.values()] });
  }
}
