import { createHash } from 'node:crypto';
import type { SqliteDatabase } from './database.js';

/**
 * Hash of one mapped target value. JSON keeps types apart (`1` and `"1"` differ, so a mapping
 * that starts sending numbers is a change); 22 base64url characters are 132 bits, far beyond
 * any chance of two values of one field colliding.
 */
export function hashValue(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest('base64url').slice(0, 22);
}

/** Hashes of one record's fields as last written to one target org. */
export interface RecordHashes {
  sourceId: string;
  /** Target field name to hash. */
  fields: Record<string, string>;
}

interface HashRow {
  source_id: string;
  field: string;
  hash: string;
  synced_at: number;
}

/** A field's stored hash and when it was written. */
export interface TimedHash {
  hash: string;
  syncedAt: number;
}

/** Field hashes per synced record and target org. Callers run writes inside a transaction. */
export class FieldHashStore {
  private readonly upsertStmt;
  private readonly manyStmt;
  private readonly forgetStmt;
  private readonly forgetFieldStmt;

  constructor(db: SqliteDatabase) {
    this.upsertStmt = db.prepare<[string, string, string, string, string, number], unknown>(`
      INSERT INTO field_hashes (source_org, source_id, target_org, field, hash, synced_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_org, target_org, source_id, field) DO UPDATE SET hash = excluded.hash, synced_at = excluded.synced_at`);
    this.manyStmt = db.prepare<[string, string, string], HashRow>(`
      SELECT source_id, field, hash, synced_at FROM field_hashes
      WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))`);
    this.forgetStmt = db.prepare<[string, string, string], unknown>('DELETE FROM field_hashes WHERE source_org = ? AND target_org = ? AND source_id = ?');
    this.forgetFieldStmt = db.prepare<[string, string, string, string], unknown>('DELETE FROM field_hashes WHERE source_org = ? AND target_org = ? AND source_id = ? AND field = ?');
  }

  put(sourceOrg: string, targetOrg: string, record: RecordHashes, at: number): void {
    for (const [field, hash] of Object.entries(record.fields)) this.upsertStmt.run(sourceOrg, record.sourceId, targetOrg, field, hash, at);
  }

  /** Stored hashes of many records: source Id to (field to hash); records never synced are absent. */
  many(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, Map<string, string>> {
    const out = new Map<string, Map<string, string>>();
    if (!sourceIds.length) return out;
    for (const row of this.manyStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds))) {
      let fields = out.get(row.source_id);
      if (!fields) out.set(row.source_id, (fields = new Map()));
      fields.set(row.field, row.hash);
    }
    return out;
  }

  /** As many(), with the time each field was written. */
  manyTimed(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, Map<string, TimedHash>> {
    const out = new Map<string, Map<string, TimedHash>>();
    if (!sourceIds.length) return out;
    for (const row of this.manyStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds))) {
      let fields = out.get(row.source_id);
      if (!fields) out.set(row.source_id, (fields = new Map()));
      fields.set(row.field, { hash: row.hash, syncedAt: row.synced_at });
    }
    return out;
  }

  /** Forgets a record's hashes (it was deleted in the target), or only some fields' hashes. */
  forget(sourceOrg: string, targetOrg: string, sourceId: string, fields?: readonly string[]): void {
    if (!fields) this.forgetStmt.run(sourceOrg, targetOrg, sourceId);
    else for (const f of fields) this.forgetFieldStmt.run(sourceOrg, targetOrg, sourceId, f);
  }
}
