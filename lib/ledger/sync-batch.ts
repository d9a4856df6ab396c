import type { SqliteDatabase } from './database.js';
import { DeadLetterStore, type NewDeadLetter } from './dead-letters.js';
import { FieldHashStore } from './field-hashes.js';
import { IdMapStore } from './id-map.js';
import { DeletedTargetStore } from './deleted-targets.js';
import { PendingCreateStore } from './pending-creates.js';
import { PendingReferenceStore, type PendingReference } from './pending-references.js';
import { SyncHistoryStore, type SyncCount } from './sync-history.js';

/** A record now in the target org as written. */
export interface WrittenRecord {
  sourceId: string;
  targetObject: string;
  targetId: string;
  /** Hashes of the fields written (target names); other stored hashes of the record are kept. */
  hashes: Record<string, string>;
  /** Stored hashes to drop: fields whose value in the target is no longer what was last hashed. */
  staleFields?: string[];
}

/**
 * Everything one sObject Collections call (or one pass of unchanged records) settled, applied to
 * the ledger in one transaction. Written only after the target answered, so the ledger never
 * claims a write the org did not make. The reverse gap (the org wrote, the process died before
 * this commit) is closed by the writer: upserts by external Id and updates by mapped Id simply
 * happen again, and creates without an external Id are filed as pending first (PendingCreate).
 */
export interface SyncBatch {
  sourceOrg: string;
  targetOrg: string;
  at: number;
  written?: WrittenRecord[];
  /**
   * Records found unchanged: a live dead letter is stale (the target already has these values)
   * and so is any lookup they were waiting for (it now resolves to what the target holds).
   */
  unchanged?: string[];
  /**
   * Records found unchanged whose lookups still wait for parents that are not in the target: a
   * live dead letter is stale, the waits stay (the lookups are set when the parents arrive).
   */
  stillWaiting?: string[];
  /** Source Ids whose target records were deleted: their map entries, hashes and waiting lookups go. */
  deleted?: string[];
  deadLetters?: Array<Omit<NewDeadLetter, 'sourceOrg' | 'targetOrg'>>;
  /** Lookups written empty, to be set once their parents are in the target. */
  deferred?: Array<Omit<PendingReference, 'sourceOrg' | 'targetOrg' | 'createdAt'>>;
  /** Waiting lookups that are now set (or no longer wanted). */
  referencesDone?: Array<{ sourceId: string; field: string }>;
  /** Creates whose outcome is now known (mapped or failed). */
  createsSettled?: string[];
  history?: SyncCount[];
}

/** The stores a sync write touches, sharing one database connection. */
export class SyncStores {
  readonly idMap: IdMapStore;
  readonly hashes: FieldHashStore;
  readonly deadLetters: DeadLetterStore;
  readonly history: SyncHistoryStore;
  readonly pendingReferences: PendingReferenceStore;
  readonly pendingCreates: PendingCreateStore;
  readonly deletedTargets: DeletedTargetStore;

  constructor(db: SqliteDatabase) {
    this.idMap = new IdMapStore(db);
    this.hashes = new FieldHashStore(db);
    this.deadLetters = new DeadLetterStore(db);
    this.history = new SyncHistoryStore(db);
    this.pendingReferences = new PendingReferenceStore(db);
    this.pendingCreates = new PendingCreateStore(db);
    this.deletedTargets = new DeletedTargetStore(db);
  }

  /** Applies a batch; call inside a transaction. */
  apply(b: SyncBatch): void {
    const { sourceOrg, targetOrg, at } = b;
    const written = b.written ?? [];
    for (const w of written) {
      this.idMap.put({ sourceOrg, sourceId: w.sourceId, targetOrg, targetObject: w.targetObject, targetId: w.targetId }, at);
      this.hashes.put(sourceOrg, targetOrg, { sourceId: w.sourceId, fields: w.hashes }, at, w.staleFields);
    }
    // One statement each for the whole batch: most records have no letter and no deleted twin.
    const writtenIds = written.map((w) => w.sourceId);
    this.deadLetters.resolveMany(sourceOrg, writtenIds, targetOrg, at);
    this.deletedTargets.removeMany(sourceOrg, targetOrg, writtenIds);
    const unchanged = b.unchanged ?? [];
    this.deadLetters.resolveMany(sourceOrg, unchanged, targetOrg, at);
    this.pendingReferences.removeChildren(sourceOrg, targetOrg, unchanged);
    this.deadLetters.resolveMany(sourceOrg, b.stillWaiting ?? [], targetOrg, at);
    for (const id of b.deleted ?? []) {
      // Kept aside, so an undelete in the source can bring back this very record.
      const mapped = this.idMap.get(sourceOrg, id, targetOrg);
      if (mapped) this.deletedTargets.put({ sourceOrg, sourceId: id, targetOrg, targetObject: mapped.targetObject, targetId: mapped.targetId }, at);
      this.idMap.remove(sourceOrg, id, targetOrg);
      this.hashes.forget(sourceOrg, targetOrg, id);
      this.pendingReferences.removeChild(sourceOrg, targetOrg, id);
      this.deadLetters.resolve(sourceOrg, id, targetOrg, at);
    }
    for (const d of b.deadLetters ?? []) this.deadLetters.add({ ...d, sourceOrg, targetOrg }, at);
    for (const r of b.referencesDone ?? []) this.pendingReferences.remove(sourceOrg, targetOrg, r.sourceId, r.field);
    for (const r of b.deferred ?? []) this.pendingReferences.put({ ...r, sourceOrg, targetOrg }, at);
    for (const id of b.createsSettled ?? []) this.pendingCreates.remove(sourceOrg, targetOrg, id);
    if (b.history?.length) this.history.add(sourceOrg, targetOrg, b.history, at);
  }
}
