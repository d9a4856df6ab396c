import type { SqliteDatabase } from './database.js';

/** A target record a synced delete removed (see the deleted_targets table). */
export interface DeletedTarget {
  sourceOrg: string;
  sourceId: string;
  targetOrg: string;
  targetObject: string;
  targetId: string;
  deletedAt: number;
}

interface Row {
  source_org: string;
  source_id: string;
  target_org: string;
  target_object: string;
  target_id: string;
  deleted_at: number;
}

export class DeletedTargetStore {
  private readonly putStmt;
  private readonly removeStmt;
  private readonly removeManyStmt;
  private readonly manyStmt;

  constructor(db: SqliteDatabase) {
    this.putStmt = db.prepare<[string, string, string, string, string, number], unknown>(`
      INSERT INTO deleted_targets (source_org, source_id, target_org, target_object, target_id, deleted_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_org, target_org, source_id) DO UPDATE SET target_object = excluded.target_object, target_id = excluded.target_id, deleted_at = excluded.deleted_at`);
    this.removeStmt = db.prepare<[string, string, string], unknown>('DELETE FROM deleted_targets WHERE source_org = ? AND target_org = ? AND source_id = ?');
    this.removeManyStmt = db.prepare<[string, string, string], unknown>('DELETE FROM deleted_targets WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))');
    this.manyStmt = db.prepare<[string, string, string], Row>('SELECT * FROM deleted_targets WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))');
  }

  put(d: Omit<DeletedTarget, 'deletedAt'>, at: number): void {
    this.putStmt.run(d.sourceOrg, d.sourceId, d.targetOrg, d.targetObject, d.targetId, at);
  }

  /** remove() for many records in one statement. */
  removeMany(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): void {
    if (sourceIds.length) this.removeManyStmt.run(sourceOrg, targetOrg, JSON.stringify(sourceIds));
  }

  remove(sourceOrg: string, targetOrg: string, sourceId: string): void {
    this.removeStmt.run(sourceOrg, targetOrg, sourceId);
  }

  many(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, DeletedTarget> {
    const out = new Map<string, DeletedTarget>();
    if (!sourceIds.length) return out;
    for (const r of this.manyStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds))) {
      out.set(r.source_id, { sourceOrg: r.source_org, sourceId: r.source_id, targetOrg: r.target_org, targetObject: r.target_object, targetId: r.target_id, deletedAt: r.deleted_at });
    }
    return out;
  }
}
