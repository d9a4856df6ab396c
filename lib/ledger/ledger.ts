import path from 'node:path';
import { databaseSettings, MEMORY_PATH, openDatabase, type DatabaseOptions, type SqliteDatabase } from './database.js';
import { migrate, type Migration } from './migrations.js';
import { LEDGER_MIGRATIONS } from './schema.js';
import { OrgDirectory, type LedgerOrg } from './org-directory.js';
import { AvailabilitySampleStore, type AvailabilitySample, type HistoryQuery } from './availability-samples.js';
import type { HistoryBucket, TimeWindow, UptimeFigures } from './availability-math.js';

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

  /** The org Id a login key was last seen to reach, if any (see lib/health/org-key.ts). */
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
}
