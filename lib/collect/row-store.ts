/**
 * The rows a collection read during discovery, kept until they are emitted.
 *
 * Records are emitted in dependency order (parents first, level by level), which is not the order
 * the org returns them in. Reading them again by Id in that order costs a call per 200 records; a
 * 60,000-record resync spent three quarters of its read calls that way. Keeping the rows instead
 * costs memory, so rows are held in memory up to a limit and past it go to a private temporary
 * SQLite database: SQLite keeps a small page cache (a few MB) and writes the rest to a temporary
 * file it deletes itself when the store is closed, so the process's memory stays flat however
 * large the run, and each record is read from the org once.
 */
import Database from 'better-sqlite3';
import type { QueryRow } from '../salesforce/org-api.js';

/** Pages of the temporary database kept in memory (negative: KiB), about 4 MB. */
const CACHE_KIB = 4096;

export class RowStore {
  private readonly memory = new Map<number, QueryRow>();
  private db?: Database.Database;
  private insert?: Database.Statement<[number, string]>;
  private select?: Database.Statement<[number], { row: string }>;
  private spilled = 0;

  /** @param memoryLimit rows held in memory before the store writes to its temporary database (0: none). */
  constructor(private readonly memoryLimit: number) {}

  /** Rows written to the temporary database so far. */
  get spilledRows(): number {
    return this.spilled;
  }

  get size(): number {
    return this.memory.size + this.spilled;
  }

  /** Keeps the rows of one query page; `attributes` is dropped, as nothing downstream reads it. */
  putAll(rows: ReadonlyArray<{ node: number; row: QueryRow }>): void {
    const toDisk: Array<{ node: number; row: QueryRow }> = [];
    for (const r of rows) {
      delete r.row.attributes;
      if (!this.db && this.memory.size < this.memoryLimit) this.memory.set(r.node, r.row);
      else toDisk.push(r);
    }
    if (!toDisk.length) return;
    const db = this.open();
    db.transaction(() => {
      for (const r of toDisk) this.insert!.run(r.node, JSON.stringify(r.row));
    })();
    this.spilled += toDisk.length;
  }

  /** The row of a node, handed over: the store keeps no copy in memory once it is taken. */
  take(node: number): QueryRow | undefined {
    const held = this.memory.get(node);
    if (held) {
      this.memory.delete(node);
      return held;
    }
    const found = this.select?.get(node);
    return found ? (JSON.parse(found.row) as QueryRow) : undefined;
  }

  /** Frees the memory and deletes the temporary database. */
  close(): void {
    this.memory.clear();
    this.db?.close();
    this.db = undefined;
    this.insert = this.select = undefined;
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    // An empty name is SQLite's private temporary database: a file of its own, removed on close
    // (or by the operating system when the process dies), never seen by another connection.
    const db = new Database('');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.exec('CREATE TABLE rows (node INTEGER PRIMARY KEY, row TEXT NOT NULL)');
    this.insert = db.prepare('INSERT OR REPLACE INTO rows (node, row) VALUES (?, ?)');
    this.select = db.prepare('SELECT row FROM rows WHERE node = ?');
    this.db = db;
    return db;
  }
}
