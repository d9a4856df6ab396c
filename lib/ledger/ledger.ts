import path from 'node:path';
import { databaseSettings, MEMORY_PATH, openDatabase, type DatabaseOptions, type SqliteDatabase } from './database.js';
import { migrate, type Migration } from './migrations.js';
import { LEDGER_MIGRATIONS } from './schema.js';
import { OrgDirectory, type LedgerOrg } from './org-directory.js';
import { AvailabilitySampleStore, type AvailabilitySample, type HistoryQuery } from './availability-samples.js';
import type { HistoryBucket, TimeWindow, UptimeFigures } from './availability-math.js';
import { SyncStores, type SyncBatch } from './sync-batch.js';
import type { IdMapEntry, NewIdMapEntry } from './id-map.js';
import { hashValue, type RecordHashes } from './field-hashes.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterStatus, DeadLetterSummary, LastFieldError, NewDeadLetter } from './dead-letters.js';
import type { SyncCount, SyncHistoryQuery, SyncHistoryRow, SyncTotals } from './sync-history.js';
import type { PendingReference } from './pending-references.js';
import type { PendingCreate } from './pending-creates.js';
import { CdcCheckpointStore, type CdcCheckpoint } from './cdc-checkpoints.js';
import { BulkCheckpointStore, type BulkCheckpoint } from './bulk-checkpoints.js';
import type { DeletedTarget } from './deleted-targets.js';

export interface LedgerOptions extends DatabaseOptions {
  /** The schema steps to apply; tests pass other lists, everything else uses the default. */
  migrations?: readonly Migration[];
}

/**
 * The durable sync state of every org this Node-RED instance touches, in one SQLite file.
 * Everything is keyed by Salesforce org Id, so re-creating a config node keeps its history.
 * Nodes share one instance per file through acquireLedger(); open() is for tools and tests.
 */
export class Ledger {
  /** The schema version of the file (the number of migration steps applied). */
  readonly schemaVersion: number;
  /** Versions this open applied (empty for an up-to-date file). */
  readonly migrated: readonly number[];
  private readonly orgDirectory: OrgDirectory;
  private readonly samples: AvailabilitySampleStore;
  private readonly recordOne: (sample: AvailabilitySample) => void;
  private readonly recordMany: (samples: readonly AvailabilitySample[]) => void;
  private readonly linkKey: (loginKey: string, orgId: string, name: string, at: number) => void;
  private syncStores?: SyncStores;
  private checkpointStore?: CdcCheckpointStore;
  private bulkCheckpointStore?: BulkCheckpointStore;
  private presenceStmt?: ReturnType<SqliteDatabase['prepare']>;

  private constructor(
    readonly path: string,
    private readonly db: SqliteDatabase,
    migrations: readonly Migration[],
  ) {
    const result = migrate(db, migrations, path === MEMORY_PATH ? 'in memory' : path);
    this.schemaVersion = result.version;
    this.migrated = result.applied;
    this.orgDirectory = new OrgDirectory(db);
    this.samples = new AvailabilitySampleStore(db);
    const write = (s: AvailabilitySample) => {
      this.orgDirectory.touch(s.orgId, s.orgName, s.at);
      this.samples.insert(s);
    };
    this.recordOne = db.transaction(write);
    this.recordMany = db.transaction((list: readonly AvailabilitySample[]) => list.forEach(write));
    this.linkKey = db.transaction((loginKey: string, orgId: string, name: string, at: number) => this.orgDirectory.linkLoginKey(loginKey, orgId, name, at));
  }

  /** Opens (creating the file and its folder) and migrates the ledger at `file`; `:memory:` for tests. */
  static open(file: string, options: LedgerOptions = {}): Ledger {
    const resolved = file === MEMORY_PATH ? file : path.resolve(file);
    const db = openDatabase(resolved, options);
    try {
      return new Ledger(resolved, db, options.migrations ?? LEDGER_MIGRATIONS);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** The SQLite settings in force (journal mode, synchronous, foreign keys, busy timeout). */
  settings(): ReturnType<typeof databaseSettings> {
    return databaseSettings(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in one write transaction (rolled back if it throws); for ledger stores added later. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  orgs(): LedgerOrg[] {
    return this.orgDirectory.list();
  }

  org(orgId: string): LedgerOrg | undefined {
    return this.orgDirectory.get(orgId);
  }

  /** The org Id a login key was last seen to reach, if any (see lib/connection/org-key.ts). */
  orgIdForLoginKey(loginKey: string): string | undefined {
    return this.orgDirectory.orgIdForLoginKey(loginKey);
  }

  /** Records that `loginKey` reaches `orgId`; samples filed under the key move to the org. */
  linkLoginKey(loginKey: string, orgId: string, orgName: string, at: number): void {
    this.linkKey(loginKey, orgId, orgName, at);
  }

  recordSample(sample: AvailabilitySample): void {
    this.recordOne(sample);
  }

  /** Several samples in one transaction (a check of all connections). */
  recordSamples(samples: readonly AvailabilitySample[]): void {
    this.recordMany(samples);
  }

  lastSample(orgId: string): AvailabilitySample | undefined {
    return this.samples.last(orgId);
  }

  /** Time-weighted shares of `[from, to)` the org was available, degraded and unavailable. */
  uptime(orgId: string, window: TimeWindow): UptimeFigures {
    return this.samples.uptime(orgId, window);
  }

  /** uptime() for several windows from one read (an hour, a day and a week for the price of a week). */
  uptimes(orgId: string, windows: readonly TimeWindow[]): UptimeFigures[] {
    return this.samples.uptimes(orgId, windows);
  }

  /** The same figures per bucket of `bucketMs` from `from`, with latency and API use, for trend charts. */
  history(orgId: string, query: HistoryQuery): HistoryBucket[] {
    return this.samples.history(orgId, query);
  }

  /** Deletes samples older than `olderThan` except each org's newest one; returns how many went. */
  pruneSamples(olderThan: number): number {
    return this.samples.prune(olderThan);
  }

  // --- sync state (schema v2): Id map, field hashes, dead letters, history, deferred work ---

  /** Prepared on first use, so a ledger opened with an older migration list (tests) still opens. */
  private get sync(): SyncStores {
    return (this.syncStores ??= new SyncStores(this.db));
  }

  /**
   * Everything one collections call settled (Id map, hashes, dead letters, deferred lookups,
   * history) in one transaction: after a crash the ledger has all of it or none of it.
   */
  recordSyncBatch(batch: SyncBatch): void {
    this.transaction(() => this.sync.apply(batch));
  }

  mapIds(entries: readonly NewIdMapEntry[], at: number = Date.now()): void {
    this.transaction(() => entries.forEach((e) => this.sync.idMap.put(e, at)));
  }

  idMapEntry(sourceOrg: string, sourceId: string, targetOrg: string): IdMapEntry | undefined {
    return this.sync.idMap.get(sourceOrg, sourceId, targetOrg);
  }

  /** Id map entries of many source records (one query), keyed by source Id. */
  idMapEntries(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, IdMapEntry> {
    return this.sync.idMap.many(sourceOrg, targetOrg, sourceIds);
  }

  /** Id map entries written from `targetOrg` into `sourceOrg`, keyed by their `sourceOrg` Id (two-way sync). */
  reverseIdMapEntries(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, IdMapEntry> {
    return this.sync.idMap.reverse(sourceOrg, targetOrg, sourceIds);
  }

  /**
   * What both orgs of a linked pair held after OrgBridge last synced each field, whichever way it
   * went: per field, the newer of the hash written from `sourceOrg` into `targetOrg` and the one
   * written back from `targetOrg` into `sourceOrg`. Keyed by the `sourceOrg` Id. Field names are
   * compared as they are, so this holds for mappings that use the same field names both ways.
   */
  pairFieldHashes(sourceOrg: string, targetOrg: string, pairs: ReadonlyArray<{ sourceId: string; targetId: string }>): Map<string, Map<string, string>> {
    const forward = this.sync.hashes.manyTimed(sourceOrg, targetOrg, pairs.map((p) => p.sourceId));
    const back = this.sync.hashes.manyTimed(targetOrg, sourceOrg, pairs.map((p) => p.targetId));
    const out = new Map<string, Map<string, string>>();
    for (const { sourceId, targetId } of pairs) {
      const mine = forward.get(sourceId);
      const theirs = back.get(targetId);
      if (!mine && !theirs) continue;
      const fields = new Map<string, string>();
      const newest = new Map<string, number>();
      for (const side of [mine, theirs]) {
        for (const [f, h] of side ?? []) {
          if ((newest.get(f) ?? -1) >= h.syncedAt) continue;
          newest.set(f, h.syncedAt);
          fields.set(f, h.hash);
        }
      }
      out.set(sourceId, fields);
    }
    return out;
  }

  /**
   * How many of these source records the ledger has in a target org (any target, or `targetOrg`),
   * and how many of the rest wait in the dead letters: what a backfill's range check counts.
   */
  presence(sourceOrg: string, sourceIds: readonly string[], targetOrg?: string): { inTarget: number; deadLettered: number } {
    if (!sourceIds.length) return { inTarget: 0, deadLettered: 0 };
    this.presenceStmt ??= this.db.prepare(`
      SELECT
        (SELECT COUNT(DISTINCT source_id) FROM id_map
          WHERE source_org = @org AND source_id IN (SELECT value FROM json_each(@ids)) AND (@target IS NULL OR target_org = @target)) AS in_target,
        (SELECT COUNT(DISTINCT d.source_id) FROM dead_letters d
          WHERE d.source_org = @org AND d.source_id IN (SELECT value FROM json_each(@ids)) AND d.status IN ('open', 'retried') AND (@target IS NULL OR d.target_org = @target)
            AND NOT EXISTS (SELECT 1 FROM id_map m WHERE m.source_org = d.source_org AND m.source_id = d.source_id AND (@target IS NULL OR m.target_org = @target))) AS dead`);
    const row = this.presenceStmt.get({ org: sourceOrg, ids: JSON.stringify(sourceIds), target: targetOrg ?? null }) as { in_target: number; dead: number } | undefined;
    return { inTarget: row?.in_target ?? 0, deadLettered: row?.dead ?? 0 };
  }

  /** The source records written to a target record. */
  sourcesOfTarget(targetOrg: string, targetId: string): IdMapEntry[] {
    return this.sync.idMap.byTarget(targetOrg, targetId);
  }

  /** Forgets where records went (and their hashes): they were deleted in the target. */
  unmapIds(sourceOrg: string, targetOrg: string, sourceIds: readonly string[], at: number = Date.now()): void {
    this.recordSyncBatch({ sourceOrg, targetOrg, at, deleted: [...sourceIds] });
  }

  storeFieldHashes(sourceOrg: string, targetOrg: string, records: readonly RecordHashes[], at: number = Date.now()): void {
    this.transaction(() => records.forEach((r) => this.sync.hashes.put(sourceOrg, targetOrg, r, at)));
  }

  /** Stored field hashes of many records: source Id to (target field to hash). */
  fieldHashes(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, Map<string, string>> {
    return this.sync.hashes.many(sourceOrg, targetOrg, sourceIds);
  }

  /**
   * Recognises an echo: the source record written to `targetId` whose last synced values of every
   * given field hash the same as `values` (a change event from the target org that only repeats
   * what OrgBridge wrote). Values must be in the form the mapping produced them.
   */
  echoOf(targetOrg: string, targetId: string, values: Record<string, unknown>): IdMapEntry | undefined {
    const names = Object.keys(values);
    if (!names.length) return undefined;
    for (const entry of this.sync.idMap.byTarget(targetOrg, targetId)) {
      // In a two-way sync the value may have gone the other way since: only the newer write counts
      // (a person setting a field back to what OrgBridge once wrote here is a change, not an echo).
      const stored = this.pairFieldHashes(entry.sourceOrg, targetOrg, [{ sourceId: entry.sourceId, targetId }]).get(entry.sourceId);
      if (stored && names.every((n) => stored.get(n) === hashValue(values[n]))) return entry;
    }
    return undefined;
  }

  /** Files dead letters in one transaction; returns their ids (a record's live letter is updated). */
  addDeadLetters(letters: readonly NewDeadLetter[], at: number = Date.now()): number[] {
    return this.transaction(() => letters.map((l) => this.sync.deadLetters.add(l, at)));
  }

  deadLetter(id: number): DeadLetter | undefined {
    return this.sync.deadLetters.get(id);
  }

  /** Dead letters matching the filter, newest first, one page (1,000 unless `limit` says). */
  deadLetters(filter: DeadLetterFilter = {}): DeadLetter[] {
    return this.sync.deadLetters.list(filter);
  }

  countDeadLetters(filter: DeadLetterFilter = {}): number {
    return this.sync.deadLetters.count(filter);
  }

  deadLetterSummary(filter: DeadLetterFilter = {}): DeadLetterSummary[] {
    return this.sync.deadLetters.summary(filter);
  }

  /** The newest error per org pair, target object and blamed field (field '' per object); `limit`/`offset` are ignored. */
  lastDeadLetterErrors(filter: DeadLetterFilter = {}): LastFieldError[] {
    return this.sync.deadLetters.lastErrors(filter);
  }

  /** Sets the status of letters (discard, reopen…); returns how many changed. */
  setDeadLetterStatus(ids: readonly number[], status: DeadLetterStatus): number {
    return this.transaction(() => this.sync.deadLetters.setStatus(ids, status));
  }

  /** Marks a record's live letter resolved (it was fixed some other way). */
  resolveDeadLetters(sourceOrg: string, targetOrg: string, sourceIds: readonly string[], at: number = Date.now()): number {
    return this.transaction(() => sourceIds.filter((id) => this.sync.deadLetters.resolve(sourceOrg, id, targetOrg, at)).length);
  }

  /**
   * Open letters to replay: marked `retried` and returned in one transaction, so two replays never
   * take the same letter. A replay that fails again reopens its letter; one that succeeds resolves it.
   */
  takeDeadLettersForRetry(filter: DeadLetterFilter = {}): DeadLetter[] {
    return this.transaction(() => {
      const letters = this.sync.deadLetters.list({ ...filter, status: 'open' });
      this.sync.deadLetters.setStatus(letters.map((l) => l.id), 'retried');
      return letters.map((l) => ({ ...l, status: 'retried' as const }));
    });
  }

  exportDeadLetters(filter: DeadLetterFilter, format: 'csv' | 'json'): string {
    return this.sync.deadLetters.export(filter, format);
  }

  /** Adds counts into the hour bucket of `at` (one transaction). */
  addSyncCounts(sourceOrg: string, targetOrg: string, counts: readonly SyncCount[], at: number = Date.now()): void {
    this.transaction(() => this.sync.history.add(sourceOrg, targetOrg, counts, at));
  }

  /** Hourly buckets in `[from, to)`. */
  syncHistory(query: SyncHistoryQuery): SyncHistoryRow[] {
    return this.sync.history.rows(query);
  }

  /** Sums over `[from, to)` per org pair, object and field. */
  syncTotals(query: SyncHistoryQuery): SyncTotals[] {
    return this.sync.history.totals(query);
  }

  pruneSyncHistory(olderThan: number): number {
    return this.transaction(() => this.sync.history.prune(olderThan));
  }

  /** Lookups waiting for any of these parents to reach the target. */
  pendingReferencesForParents(sourceOrg: string, targetOrg: string, parentSourceIds: readonly string[]): PendingReference[] {
    return this.sync.pendingReferences.byParents(sourceOrg, targetOrg, parentSourceIds);
  }

  /** Lookups these children are still waiting to have set. */
  pendingReferencesOf(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): PendingReference[] {
    return this.sync.pendingReferences.byChildren(sourceOrg, targetOrg, sourceIds);
  }

  /** Files creates about to be sent (see PendingCreate); one transaction. */
  startCreates(creates: ReadonlyArray<Omit<PendingCreate, 'startedAt'>>, at: number = Date.now()): void {
    this.transaction(() => creates.forEach((c) => this.sync.pendingCreates.put(c, at)));
  }

  /** Target records synced deletes removed, by source Id: what an undelete restores. */
  deletedTargets(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, DeletedTarget> {
    return this.sync.deletedTargets.many(sourceOrg, targetOrg, sourceIds);
  }

  /** Creates sent earlier whose outcome never reached the ledger. */
  pendingCreates(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, PendingCreate> {
    return this.sync.pendingCreates.many(sourceOrg, targetOrg, sourceIds);
  }

  // --- change capture (schema v3) ---

  private get checkpoints(): CdcCheckpointStore {
    return (this.checkpointStore ??= new CdcCheckpointStore(this.db));
  }

  /** Where a change-capture subscription of `orgId` on `channel` resumes, if it ran before. */
  cdcCheckpoint(orgId: string, channel: string, name = ''): CdcCheckpoint | undefined {
    return this.checkpoints.get(orgId, channel, name);
  }

  /** Moves a checkpoint forward (never back: a lower replay id is ignored). */
  moveCdcCheckpoint(checkpoint: Omit<CdcCheckpoint, 'updatedAt'>, at: number = Date.now()): void {
    this.checkpoints.put(checkpoint, at);
  }

  /**
   * Puts a checkpoint whatever the one before (moveCdcCheckpoint only moves forward): after an org
   * reset the replay ids start again, and a start-time anchor (replay id -1) moves to a later time.
   */
  replaceCdcCheckpoint(checkpoint: Omit<CdcCheckpoint, 'updatedAt'>, at: number = Date.now()): void {
    this.transaction(() => {
      this.checkpoints.remove(checkpoint.orgId, checkpoint.channel, checkpoint.name);
      this.checkpoints.put(checkpoint, at);
    });
  }

  /** Forgets a checkpoint: the next start begins as a first one (after a catch-up read, or on request). */
  clearCdcCheckpoint(orgId: string, channel: string, name = ''): boolean {
    return this.checkpoints.remove(orgId, channel, name);
  }

  private get bulkCheckpoints(): BulkCheckpointStore {
    return (this.bulkCheckpointStore ??= new BulkCheckpointStore(this.db));
  }

  /** Where a bulk read of an object resumes, or undefined when none is under way. */
  bulkCheckpoint(orgId: string, object: string, name = ''): BulkCheckpoint | undefined {
    return this.bulkCheckpoints.get(orgId, object, name);
  }

  /** Keeps where a bulk read stands (it replaces the one before: a new job starts its own). */
  saveBulkCheckpoint(checkpoint: Omit<BulkCheckpoint, 'updatedAt'>, at: number = Date.now()): void {
    this.bulkCheckpoints.put(checkpoint, at);
  }

  /** Forgets a bulk read's checkpoint: the read is finished, or starts again from the beginning. */
  clearBulkCheckpoint(orgId: string, object: string, name = ''): boolean {
    return this.bulkCheckpoints.remove(orgId, object, name);
  }
}
