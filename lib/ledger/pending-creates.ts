import type { SqliteDatabase } from './database.js';

/**
 * A create sent for a record matched by the ledger (no external Id to upsert by). It is filed
 * before the call and removed in the transaction that maps the new Id, so one still here means
 * the answer was lost (a crash, a timeout): the record may exist in the target already and has to
 * be looked for before it is created again.
 */
export interface PendingCreate {
  sourceOrg: string;
  sourceId: string;
  targetOrg: string;
  targetObject: string;
  /** The values sent, to recognise the record by. */
  fields: Record<string, unknown>;
  startedAt: number;
}

interface PendingRow {
  source_org: string;
  source_id: string;
  target_org: string;
  target_object: string;
  fields_json: string;
  started_at: number;
}

export class PendingCreateStore {
  private readonly putStmt;
  private readonly removeStmt;
  private readonly manyStmt;

  constructor(db: SqliteDatabase) {
    // The earliest start is kept: a record sent twice may have been created by the first send.
    this.putStmt = db.prepare<[string, string, string, string, string, number], unknown>(`
      INSERT INTO pending_creates (source_org, source_id, target_org, target_object, fields_json, started_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_org, target_org, source_id) DO UPDATE SET target_object = excluded.target_object, fields_json = excluded.fields_json`);
    this.removeStmt = db.prepare<[string, string, string], unknown>('DELETE FROM pending_creates WHERE source_org = ? AND target_org = ? AND source_id = ?');
    this.manyStmt = db.prepare<[string, string, string], PendingRow>(`
      SELECT * FROM pending_creates WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))`);
  }

  put(p: Omit<PendingCreate, 'startedAt'>, at: number): void {
    this.putStmt.run(p.sourceOrg, p.sourceId, p.targetOrg, p.targetObject, JSON.stringify(p.fields), at);
  }

  remove(sourceOrg: string, targetOrg: string, sourceId: string): boolean {
    return this.removeStmt.run(sourceOrg, targetOrg, sourceId).changes > 0;
  }

  many(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, PendingCreate> {
    const out = new Map<string, PendingCreate>();
    if (!sourceIds.length) return out;
    for (const r of this.manyStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds))) {
      out.set(r.source_id, {
        sourceOrg: r.source_org, sourceId: r.source_id, targetOrg: r.target_org, targetObject: r.target_object,
        fields: JSON.parse(r.fields_json) as Record<string, unknown>, startedAt: r.started_at,
      });
    }
    return out;
  }
}
