import type { SqliteDatabase } from './database.js';

/**
 * A lookup written empty because its parent was not in the target org yet. Once a write puts the
 * parent there, the writer sets the lookup (the second pass) and the row goes.
 */
export interface PendingReference {
  sourceOrg: string;
  /** The child record in the source org. */
  sourceId: string;
  targetOrg: string;
  /** The child's source object. */
  object: string;
  /** The child's target object. */
  targetObject: string;
  /** Lookup field on the child, e.g. `ParentId`. */
  field: string;
  parentObject: string;
  parentSourceId: string;
  parentExternalId?: { field: string; value: string };
  createdAt: number;
}

interface PendingRow {
  source_org: string;
  source_id: string;
  target_org: string;
  object: string;
  target_object: string;
  field: string;
  parent_object: string;
  parent_source_id: string;
  parent_ext_field: string | null;
  parent_ext_value: string | null;
  created_at: number;
}

export class PendingReferenceStore {
  private readonly putStmt;
  private readonly removeStmt;
  private readonly removeChildStmt;
  private readonly removeChildrenStmt;
  private readonly byParentsStmt;
  private readonly byChildrenStmt;

  constructor(db: SqliteDatabase) {
    this.putStmt = db.prepare<[string, string, string, string, string, string, string, string, string | null, string | null, number], unknown>(`
      INSERT INTO pending_references (source_org, source_id, target_org, object, target_object, field, parent_object, parent_source_id,
                                      parent_ext_field, parent_ext_value, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_org, target_org, source_id, field) DO UPDATE SET
        object = excluded.object, target_object = excluded.target_object, parent_object = excluded.parent_object, parent_source_id = excluded.parent_source_id,
        parent_ext_field = excluded.parent_ext_field, parent_ext_value = excluded.parent_ext_value`);
    this.removeStmt = db.prepare<[string, string, string, string], unknown>(
      'DELETE FROM pending_references WHERE source_org = ? AND target_org = ? AND source_id = ? AND field = ?',
    );
    this.removeChildStmt = db.prepare<[string, string, string], unknown>('DELETE FROM pending_references WHERE source_org = ? AND target_org = ? AND source_id = ?');
    this.removeChildrenStmt = db.prepare<[string, string, string], unknown>('DELETE FROM pending_references WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))');
    this.byParentsStmt = db.prepare<[string, string, string], PendingRow>(`
      SELECT * FROM pending_references
      WHERE source_org = ? AND target_org = ? AND parent_source_id IN (SELECT value FROM json_each(?))
      ORDER BY target_object, source_id, field`);
    this.byChildrenStmt = db.prepare<[string, string, string], PendingRow>(`
      SELECT * FROM pending_references
      WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))`);
  }

  put(ref: Omit<PendingReference, 'createdAt'>, at: number): void {
    this.putStmt.run(ref.sourceOrg, ref.sourceId, ref.targetOrg, ref.object, ref.targetObject, ref.field, ref.parentObject, ref.parentSourceId,
      ref.parentExternalId?.field ?? null, ref.parentExternalId?.value ?? null, at);
  }

  remove(sourceOrg: string, targetOrg: string, sourceId: string, field: string): boolean {
    return this.removeStmt.run(sourceOrg, targetOrg, sourceId, field).changes > 0;
  }

  /** Every lookup a child waits for (the child was deleted). */
  /** removeChild() for many records in one statement. */
  removeChildren(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): number {
    return sourceIds.length ? this.removeChildrenStmt.run(sourceOrg, targetOrg, JSON.stringify(sourceIds)).changes : 0;
  }

  removeChild(sourceOrg: string, targetOrg: string, sourceId: string): number {
    return this.removeChildStmt.run(sourceOrg, targetOrg, sourceId).changes;
  }

  /** Lookups waiting for any of these parents. */
  byParents(sourceOrg: string, targetOrg: string, parentSourceIds: readonly string[]): PendingReference[] {
    if (!parentSourceIds.length) return [];
    return this.byParentsStmt.all(sourceOrg, targetOrg, JSON.stringify(parentSourceIds)).map(toRef);
  }

  /** Lookups these children are waiting to have set. */
  byChildren(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): PendingReference[] {
    if (!sourceIds.length) return [];
    return this.byChildrenStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds)).map(toRef);
  }
}

function toRef(r: PendingRow): PendingReference {
  return {
    sourceOrg: r.source_org, sourceId: r.source_id, targetOrg: r.target_org, object: r.object, targetObject: r.target_object, field: r.field,
    parentObject: r.parent_object, parentSourceId: r.parent_source_id,
    ...(r.parent_ext_field !== null && r.parent_ext_value !== null ? { parentExternalId: { field: r.parent_ext_field, value: r.parent_ext_value } } : {}),
    createdAt: r.created_at,
  };
}
