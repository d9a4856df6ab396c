import type { SqliteDatabase } from './database.js';

/** Where one source record lives in one target org. */
export interface IdMapEntry {
  sourceOrg: string;
  sourceId: string;
  targetOrg: string;
  targetObject: string;
  targetId: string;
  updatedAt: number;
}

export type NewIdMapEntry = Omit<IdMapEntry, 'updatedAt'>;

interface IdMapRow {
  source_org: string;
  source_id: string;
  target_org: string;
  target_object: string;
  target_id: string;
  updated_at: number;
}

const COLUMNS = 'source_org, source_id, target_org, target_object, target_id, updated_at';

/** The cross-org Id map: source org + Id to target org + Id. Callers run writes inside a transaction. */
export class IdMapStore {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly manyStmt;
  private readonly byTargetStmt;
  private readonly reverseStmt;
  private readonly deleteStmt;

  constructor(db: SqliteDatabase) {
    this.upsertStmt = db.prepare<[string, string, string, string, string, number], unknown>(`
      INSERT INTO id_map (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_org, source_id, target_org) DO UPDATE SET
        target_object = excluded.target_object, target_id = excluded.target_id, updated_at = excluded.updated_at`);
    this.getStmt = db.prepare<[string, string, string], IdMapRow>(`SELECT ${COLUMNS} FROM id_map WHERE source_org = ? AND source_id = ? AND target_org = ?`);
    // One statement for a whole batch: json_each turns the Id list into rows the primary key is probed with.
    this.manyStmt = db.prepare<[string, string, string], IdMapRow>(`
      SELECT ${COLUMNS} FROM id_map
      WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?))`);
    this.byTargetStmt = db.prepare<[string, string], IdMapRow>(`SELECT ${COLUMNS} FROM id_map WHERE target_org = ? AND target_id = ? ORDER BY source_org`);
    this.reverseStmt = db.prepare<[string, string, string], IdMapRow>(`
      SELECT ${COLUMNS} FROM id_map
      WHERE source_org = ? AND target_org = ? AND target_id IN (SELECT value FROM json_each(?))`);
    this.deleteStmt = db.prepare<[string, string, string], unknown>('DELETE FROM id_map WHERE source_org = ? AND source_id = ? AND target_org = ?');
  }

  put(entry: NewIdMapEntry, at: number): void {
    this.upsertStmt.run(entry.sourceOrg, entry.sourceId, entry.targetOrg, entry.targetObject, entry.targetId, at);
  }

  get(sourceOrg: string, sourceId: string, targetOrg: string): IdMapEntry | undefined {
    const row = this.getStmt.get(sourceOrg, sourceId, targetOrg);
    return row && toEntry(row);
  }

  /** Entries for many source records of one org pair, by source Id (missing ones are absent). */
  many(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, IdMapEntry> {
    const out = new Map<string, IdMapEntry>();
    if (!sourceIds.length) return out;
    for (const row of this.manyStmt.all(sourceOrg, targetOrg, JSON.stringify(sourceIds))) out.set(row.source_id, toEntry(row));
    return out;
  }

  /** The source records written to one target record (one per source org that syncs into it). */
  byTarget(targetOrg: string, targetId: string): IdMapEntry[] {
    return this.byTargetStmt.all(targetOrg, targetId).map(toEntry);
  }

  /**
   * Entries written the other way round: records of `targetOrg` that OrgBridge wrote into
   * `sourceOrg`, keyed by the `sourceOrg` Id they were written to. In a two-way sync this is how a
   * record that came from the other org finds its original there. A record several were written
   * into has no single original and is left out.
   */
  reverse(sourceOrg: string, targetOrg: string, sourceIds: readonly string[]): Map<string, IdMapEntry> {
    const out = new Map<string, IdMapEntry>();
    if (!sourceIds.length) return out;
    const many = new Set<string>();
    for (const row of this.reverseStmt.all(targetOrg, sourceOrg, JSON.stringify(sourceIds))) {
      // Several records written into one (matched by a shared external Id): no single original.
      if (out.has(row.target_id)) many.add(row.target_id);
      out.set(row.target_id, toEntry(row));
    }
    for (const id of many) out.delete(id);
    return out;
  }

  remove(sourceOrg: string, sourceId: string, targetOrg: string): boolean {
    return this.deleteStmt.run(sourceOrg, sourceId, targetOrg).changes > 0;
  }
}

function toEntry(row: IdMapRow): IdMapEntry {
  return {
    sourceOrg: row.source_org, sourceId: row.source_id, targetOrg: row.target_org,
    targetObject: row.target_object, targetId: row.target_id, updatedAt: row.updated_at,
  };
}
