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
