/**
 * The message envelope every OrgBridge sync node passes: `msg.payload` is an array of SyncRecords
 * (one bounded batch) and `msg.s2s` the batch metadata. Any node can follow any other, and core
 * nodes (switch, function, split, join) can sit in between. The same shapes as a JSON Schema, for
 * checking and for the help pages, are in envelope-schema.ts; envelope.ts reads messages by it.
 */

export type SyncOperation = 'upsert' | 'delete' | 'undelete';

export type FieldValue = string | number | boolean | null;

/** Where a record came from: enough to trace it and to recognise our own echoes. */
export interface SyncOrigin {
  /** Source org Id (00D…). */
  orgId: string;
  /** When the source changed it (ISO 8601), if known. */
  changedAt?: string;
  /** CDC replay id, for checkpointing. */
  replayId?: number;
  /** CDC changeOrigin, e.g. `com/salesforce/api/rest/62.0;client=OrgBridge`. */
  changeOrigin?: string;
  /** User who committed the change. */
  commitUser?: string;
  /** CDC transaction key: changes committed together share it. */
  transactionKey?: string;
  /** CDC sequence number: the change's place within its transaction, from 1. */
  sequenceNumber?: number;
  /** How the record entered the flow: `collect`, `cdc`, `bulk`. */
  via: 'collect' | 'cdc' | 'bulk' | 'manual';
}

/** A source-side lookup, kept so the target side can resolve it after mapping. */
export interface SourceReference {
  /** Reference field on the source record, e.g. `ParentId`. */
  field: string;
  /** Source Id it points at (18 characters). */
  id: string;
  /** Object of the referenced record, e.g. `Account`. */
  object: string;
  /**
   * Set by sf-collect on one link of a reference cycle: write the record without it first and set
   * it in a second pass, once the referenced record exists in the target.
   */
  deferred?: true;
}

/** How `sf-upsert-out` finds the record in the target org. */
export type TargetMatch =
  | { by: 'externalId'; field: string; value: string }
  /** The target Id the ledger's Id map holds for the source record. */
  | { by: 'ledger' };

/** A target lookup, resolved at write time by the parent's external Id or by the ledger's Id map. */
export interface TargetReference {
  /** Lookup field on the target object, e.g. `ParentId` or `AccountId`. */
  field: string;
  /** Relationship name for the external Id form, e.g. `Parent` or `Account`. */
  relationshipName: string;
  /** Target object of the lookup. */
  object: string;
  /** The parent in the source org; its target Id comes from the ledger, or … */
  sourceId: string;
  /** … its external Id in the target (`{field: 'HQ_Id__c', value: '001…'}`). */
  externalId?: { field: string; value: string };
  /** May be left empty on a first pass and set later (breaks cycles). */
  nillable: boolean;
}

export interface TargetSide {
  object: string;
  match: TargetMatch;
  /** Mapped field values (target API names), without relationship fields. */
  fields: Record<string, FieldValue>;
  references: TargetReference[];
  /** Identifies the mapping that produced this (name, version, content hash). */
  mapping: { name: string; version: string; hash: string };
  /**
   * Change events only: target fields (and lookups) that are copies of source fields the change
   * did not touch. The writer leaves them out when it writes only what changed.
   */
  untouched?: string[];
}

export interface SyncRecord {
  /** Source sObject type, e.g. `Account`. */
  object: string;
  /** Source record Id (18 characters). */
  sourceId: string;
  operation: SyncOperation;
  /** Source field values (source API names). */
  fields: Record<string, FieldValue>;
  /** Fields known to have changed (CDC), or undefined when the whole record is given. */
  changedFields?: string[];
  references: SourceReference[];
  origin: SyncOrigin;
  /** Filled by sf-map-fields. */
  target?: TargetSide;
}

/** The write figures sf-upsert-out adds to `msg.s2s.write` for the batch it wrote. */
export interface WriteMetrics {
  /** Records in the batch (every outcome). */
  records: number;
  /** HTTP requests made to the target org (every retry counts). */
  apiCalls: number;
  /** Record sends beyond the first (retries and re-sends). */
  resends: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  deadLettered: number;
  /** Lookups written empty because their parent was not in the target yet. */
  deferredReferences: number;
  /** Lookups set in a second pass (cycles, and parents that arrived after their children). */
  completedReferences: number;
  /** Creates whose answer was lost earlier, found in the target instead of being created again. */
  recoveredCreates: number;
  /** Bulk API 2.0 ingest jobs the write used (the rest went through collections calls). */
  bulkJobs: number;
  durationMs: number;
  /**
   * Change events only: the longest time from a change's commit in the source org to its write
   * settling here, in milliseconds (replication lag, by this machine's clock).
   */
  lagMs?: number;
}

/** An org as the envelope names it. */
export interface OrgRef {
  /** Org Id (00D…). */
  orgId: string;
  /** The connection's name, for people. */
  name: string;
}

/** `msg.s2s`: batch metadata. Sources set the first fields; later nodes add theirs. */
export interface BatchMeta {
  /** Source org Id and name. */
  source: OrgRef;
  /** Target org, once known (sf-map-fields sets it from its mapping's connection). */
  target?: OrgRef;
  /** The object the source read (the root object of a collection). */
  object: string;
  batchId: string;
  /** Sync run this batch belongs to (one manual sync, one backfill…); absent on a batch built by hand. */
  runId?: string;
  /** Dependency level: parents are at lower levels and are written first. */
  level: number;
  /** True on the last batch of a run. */
  last: boolean;
  /** Records sf-map-fields dropped through its mapping's record filter (the sum over the mappers it passed). */
  filtered?: number;
  /** Handles acknowledged once the batch is written (lets a source move its checkpoint). */
  ack?: string[];
  /** Set by sf-upsert-out: what writing the batch did and cost. */
  write?: WriteMetrics;
}

/** A per-record outcome, on sf-upsert-out's output and in the ledger. */
export interface RecordResult {
  object: string;
  sourceId: string;
  targetObject: string;
  targetId?: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'deleted' | 'undeleted' | 'failed' | 'dead-lettered';
  /** Fields written (target names); for failures the fields blamed. */
  fields?: string[];
  error?: { code: string; message: string; category: 'transient' | 'permanent'; fields?: string[] };
  attempts: number;
  /** Something the outcome alone does not say (an undelete that had to re-create the record). */
  note?: string;
}
