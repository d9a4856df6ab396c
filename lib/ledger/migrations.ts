import type { SqliteDatabase } from './database.js';

/**
 * One step of the ledger's schema. Steps are applied in version order, each in its own
 * transaction, exactly once per file. An applied step is never edited: a change to the schema is
 * a new step at the end of the list.
 */
export interface Migration {
  /** 1, 2, 3, … without gaps. */
  version: number;
  /** Recorded with the version, so a file written by a different build's step is recognised. */
  name: string;
  /** SQL to run, or a function for steps that need to read data while migrating. */
  up: string | ((db: SqliteDatabase) => void);
}

export class LedgerSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerSchemaError';
  }
}

export interface MigrationResult {
  /** The schema version of the file after migrating. */
  version: number;
  /** Versions applied by this call (empty when the file was up to date). */
  applied: number[];
}

interface AppliedRow {
  version: number;
  name: string;
}

export function validateMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new LedgerSchemaError(`ledger migration "${m.name}" has version ${m.version}; versions must run 1, 2, 3, … in list order (expected ${i + 1})`);
    }
    if (!m.name.trim()) throw new LedgerSchemaError(`ledger migration ${m.version} needs a name`);
  });
}

/**
 * Brings the database up to the newest step of `migrations`. Refuses a file whose schema is newer
 * than this code knows (written by a newer OrgBridge: running older code against it could corrupt
 * sync state) or whose applied steps differ from ours.
 */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[], label = db.name): MigrationResult {
  validateMigrations(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const appliedRows = db.prepare<[], AppliedRow>('SELECT version, name FROM schema_migrations ORDER BY version');
  const isApplied = db.prepare<[number], unknown>('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare<[number, string, number], unknown>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');

  checkCompatible(appliedRows.all(), migrations, label);

  const applied: number[] = [];
  for (const m of migrations) {
    // IMMEDIATE takes the write lock before re-checking, so when two processes open a fresh file
    // at once, the second waits (busy_timeout) and then finds the step already applied.
    const step = db.transaction(() => {
      if (isApplied.get(m.version) !== undefined) return false;
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      record.run(m.version, m.name, Date.now());
      return true;
    });
    if (step.immediate()) applied.push(m.version);
  }
  return { version: migrations.length, applied };
}

function checkCompatible(appliedRows: AppliedRow[], migrations: readonly Migration[], label: string): void {
  const newest = appliedRows.at(-1)?.version ?? 0;
  if (newest > migrations.length) {
    throw new LedgerSchemaError(
      `The ledger ${label} has schema version ${newest}, newer than this version of OrgBridge knows (${migrations.length}). ` +
        'It was written by a newer @orgbridge/node-red-s2s: upgrade the package, or point the ledger at another file.',
    );
  }
  for (const row of appliedRows) {
    const known = migrations[row.version - 1];
    if (known && known.name !== row.name) {
      throw new LedgerSchemaError(
        `The ledger ${label} has schema step ${row.version} "${row.name}", but this version of OrgBridge expects "${known.name}"; ` +
          'the file was written by an incompatible build. Point the ledger at another file.',
      );
    }
  }
}

/** The newest schema version recorded in the file (0 for a file never migrated). */
export function schemaVersion(db: SqliteDatabase): number {
  const exists = db.prepare<[], unknown>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").pluck().get();
  if (exists === undefined) return 0;
  return Number(db.prepare<[], unknown>('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get());
}
