import crypto from 'node:crypto';
import type { SqliteDatabase } from './database.js';

/** One-shot hashing where the runtime has it (Node 20.12+): a quarter of createHash's cost per value. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

/**
 * Hash of one mapped target value. JSON keeps types apart (`1` and `"1"` differ, so a mapping
 * that starts sending numbers is a change); 22 base64url characters are 132 bits, far beyond
 * any chance of two values of one field colliding.
 */
export function hashValue(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  return (oneShot ? oneShot('sha256', json, 'base64url') : crypto.createHash('sha256').update(json).digest('base64url')).slice(0, 22);
}

/** Hashes of one record's fields as last written to one target org. */
export interface RecordHashes {
  sourceId: string;
  /** Target field name to hash. */
  fields: Record<string, string>;
}

/** A field's stored hash and when it was written. */
export interface TimedHash {
  hash: string;
  syncedAt: number;
}

interface HashRow {
  source_id: string;
  /** JSON: target field to [hash, written at]. */
  hashes: string;
}

interface PatchParams {
  sourceOrg: string;
  targetOrg: string;
  sourceId: string;
  /** JSON merge patch: field to [hash, at], or null to drop the field. */
  patch: string;
}

type StoredHashes = Record<string, [string, number]>;

/**
 * Field hashes per synced record and target org, one row per record (see the ledger schema,
 * version 7). Callers run writes inside a transaction.
 */
export class FieldHashStore {
  private readonly patchStmt;
  private readonly manyStmt;
  private readonly forgetStmt;
  private readonly dropFieldsStmt;

  constructor(db: SqliteDatabase) {
    // A patch's null values remove fields (RFC 7396), which is how stale fields are forgotten.
    this.patchStmt = db.prepare<[PatchParams], unknown>(`
      INSERT INTO record_hashes (source_org, target_org, source_id, hashes) VALUES (@sourceOrg, @targetOrg, @sourceId, json_patch('{}', @patch))
      ON CONFLICT (source_org, target_org, source_id) DO UPDATE SET hashes = json_patch(hashes, @patch)`);
    this.manyStmt = db.prepare<[string, string, string], HashRow>(`
      SELECT source_id, hashes FROM record_hashes
      WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))`);
    this.dropFieldsStmt = db.prepare<[PatchParams], unknown>(
      'UPDATE record_hashes SET hashes = json_patch(hashes, @patch) WHERE source_org = @sourceOrg AND target_org = @targetOrg AND source_id = @sourceId');
    this.forgetStmt = db.prepare<[string, string, string], unknown>('DELETE FROM record_hashes WHERE source_org = ? AND target_org = ? AND source_id = ?');
  }

  /**
   * Stores the hashes of the fields written (other stored fields keep theirs) and drops those of
   * `staleFields`, in one statement.
   */
  put(sourceOrg: string, targetOrg: string, record: RecordHashes, at: number, staleFields: readonly string[] = []): void {
    // Nothing written: no row is made (a record without hashes reads as never synced).
    if (!Object.keys(record.fields).length) return this.forget(sourceOrg, targetOrg, record.sourceId, staleFields);
    const patch: Record<string, [string, number] | null> = {};
    for (const f of staleFields) patch[f] = null;
    for (const [field, hash] of Object.entries(record.fields)) patch[field] = [hash, at];
    this.patchStmt.run({ sourceOrg, targetOrg, sourceId: record.sourceId, patch: JSON.stringify(patch) });
  }

  /** Stored hashes of many records: source Id to (field to hash); records never synced are absent. */
  many(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, Map<string, string>> {
    const out = new Map<string, Map<string, string>>();
    if (!sourceIds.length) return out;
    for (const row of this.manyStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds))) {
      const fields = new Map<string, string>();
      for (const [f, [hash]] of Object.entries(JSON.parse(row.hashes) as StoredHashes)) fields.set(f, hash);
      out.set(row.source_id, fields);
    }
    return out;
  }

  /** As many(), with the time each field was written. */
  manyTimed(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, Map<string, TimedHash>> {
    const out = new Map<string, Map<string, TimedHash>>();
    if (!sourceIds.length) return out;
    for (const row of this.manyStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds))) {
      const fields = new Map<string, TimedHash>();
      for (const [f, [hash, syncedAt]] of Object.entries(JSON.parse(row.hashes) as StoredHashes)) fields.set(f, { hash, syncedAt });
      out.set(row.source_id, fields);
    }
    return out;
  }

  /** Forgets a record's hashes (it was deleted in the target), or only some fields' hashes. */
  forget(sourceOrg: string, targetOrg: string, sourceId: string, fields?: readonly string[]): void {
    if (!fields) this.forgetStmt.run(sourceOrg, targetOrg, sourceId);
    else if (fields.length) this.dropFieldsStmt.run({ sourceOrg, targetOrg, sourceId, patch: JSON.stringify(Object.fromEntries(fields.map((f) => [f, null]))) });
  }
}
