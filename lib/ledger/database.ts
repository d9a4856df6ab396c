import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export const MEMORY_PATH = ':memory:';

export interface DatabaseOptions {
  /** How long a writer waits for another process's lock before failing (default 5 s). */
  busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating its folder) a SQLite file set up for the ledger:
 * - WAL, so readers (dashboards) never block the writer and a crash never corrupts the file;
 * - synchronous=NORMAL, which in WAL mode keeps every committed transaction across a process
 *   crash (only a power cut can lose the last few), at a fraction of FULL's fsync cost;
 * - foreign_keys, which SQLite leaves off unless asked on every connection;
 * - busy_timeout, so a second Node-RED process or a backup tool briefly holding the lock means
 *   a short wait, not an error.
 */
export function openDatabase(file: string, options: DatabaseOptions = {}): SqliteDatabase {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (file !== MEMORY_PATH) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = openNative(file, busyTimeoutMs);
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * better-sqlite3 is a native module: built (or downloaded) for the Node.js that ran `npm install`.
 * A Node-RED started on another Node.js major version cannot load it, and Node's own words for that
 * ("did not self-register", "NODE_MODULE_VERSION 115") say nothing of what to do.
 */
function openNative(file: string, busyTimeoutMs: number): SqliteDatabase {
  try {
    return new Database(file, { timeout: busyTimeoutMs });
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (/NODE_MODULE_VERSION|did not self-register|invalid ELF header|wrong ELF class/.test(message)) {
      const found = /NODE_MODULE_VERSION (\d+)[^]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(message);
      const which = found ? ` (it was built for Node.js ABI ${found[1]}; this Node.js ${process.version} needs ${found[2]})` : '';
      const fix = new Error(
        `The OrgBridge ledger cannot load SQLite: the better-sqlite3 module was built for another Node.js${which}. ` +
          'Run "npm rebuild better-sqlite3" in the Node-RED user directory with the Node.js that runs Node-RED, then restart Node-RED.',
      );
      (fix as Error & { code: string }).code = 'SQLITE_NATIVE_MISMATCH';
      throw fix;
    }
    throw err;
  }
}

/** The pragmas as SQLite reports them, for diagnostics and tests. */
export function databaseSettings(db: SqliteDatabase): { journalMode: string; synchronous: string; foreignKeys: boolean; busyTimeoutMs: number } {
  const synchronous = Number(db.pragma('synchronous', { simple: true }));
  return {
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][synchronous] ?? String(synchronous),
    foreignKeys: Number(db.pragma('foreign_keys', { simple: true })) === 1,
    busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
  };
}
