export { Ledger, type LedgerOptions } from './ledger.js';
export { acquireLedger, defaultLedgerPath, ledgerHolders, type LedgerLease } from './shared-ledger.js';
export { LedgerSchemaError, migrate, schemaVersion, type Migration, type MigrationResult } from './migrations.js';
export { LEDGER_MIGRATIONS } from './schema.js';
export { openDatabase, databaseSettings, MEMORY_PATH, type SqliteDatabase, type DatabaseOptions } from './database.js';
export type { LedgerOrg } from './org-directory.js';
export { SEVERITIES, type AvailabilitySample, type HistoryQuery, type Severity } from './availability-samples.js';
export {
  AVAILABILITY_STATUSES, MAX_HISTORY_BUCKETS, bucketsOf, uptimeOf,
  type AvailabilityStatus, type HistoryBucket, type StatusPoint, type TimeWindow, type UptimeFigures,
} from './availability-math.js';
export { hashValue, type RecordHashes } from './field-hashes.js';
export type { IdMapEntry, NewIdMapEntry } from './id-map.js';
export {
  DEAD_LETTER_STATUSES, DEFAULT_DEAD_LETTER_PAGE,
  type DeadLetter, type DeadLetterCategory, type DeadLetterFilter, type DeadLetterStatus, type DeadLetterSummary, type LastFieldError, type NewDeadLetter,
} from './dead-letters.js';
export { RECORD_LEVEL, SYNC_BUCKET_MS, bucketOf, type SyncCount, type SyncHistoryQuery, type SyncHistoryRow, type SyncTotals } from './sync-history.js';
export type { PendingReference } from './pending-references.js';
export type { PendingCreate } from './pending-creates.js';
export type { SyncBatch, WrittenRecord } from './sync-batch.js';
export type { CdcCheckpoint } from './cdc-checkpoints.js';
export type { BulkCheckpoint } from './bulk-checkpoints.js';
export type { DeletedTarget } from './deleted-targets.js';
