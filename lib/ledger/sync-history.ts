import type { SqliteDatabase } from './database.js';

export const SYNC_BUCKET_MS = 60 * 60 * 1000;

/** The `field` of counts that are about whole records rather than one field. */
export const RECORD_LEVEL = '';

/** Counts to add for one target object and field (RECORD_LEVEL for whole records). */
export interface SyncCount {
  /** Target object. */
  object: string;
  /** Target field, or RECORD_LEVEL. */
  field: string;
  synced?: number;
  skipped?: number;
  failed?: number;
  deadLettered?: number;
}

export interface SyncHistoryRow {
  bucketStart: number;
  sourceOrg: string;
  targetOrg: string;
  object: string;
  field: string;
  synced: number;
  skipped: number;
  failed: number;
  deadLettered: number;
}

export interface SyncHistoryQuery {
  sourceOrg?: string;
  targetOrg?: string;
  object?: string;
  /** One field, RECORD_LEVEL for record counts only; every field and the record counts when absent. */
  field?: string;
  /** Inclusive start, ms since epoch (bucket starts are compared). */
  from: number;
  /** Exclusive end. */
  to: number;
}

export type SyncTotals = Omit<SyncHistoryRow, 'bucketStart'>;

interface HistoryRow {
  bucket_start: number;
  source_org: string;
  target_org: string;
  object: string;
  field: string;
  synced: number;
  skipped: number;
  failed: number;
  dead_lettered: number;
}

export function bucketOf(at: number): number {
  return Math.floor(at / SYNC_BUCKET_MS) * SYNC_BUCKET_MS;
}

/** Hourly sync counts per org pair, target object and field. */
export class SyncHistoryStore {
  private readonly addStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.addStmt = db.prepare<[number, string, string, string, string, number, number, number, number], unknown>(`
      INSERT INTO sync_history (bucket_start, source_org, target_org, object, field, synced, skipped, failed, dead_lettered)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_org, target_org, object, field, bucket_start) DO UPDATE SET
        synced = synced + excluded.synced, skipped = skipped + excluded.skipped,
        failed = failed + excluded.failed, dead_lettered = dead_lettered + excluded.dead_lettered`);
  }

  /** Adds counts into the hour bucket of `at`; call inside a transaction for batches. */
  add(sourceOrg: string, targetOrg: string, counts: readonly SyncCount[], at: number): void {
    const bucket = bucketOf(at);
    for (const c of counts) {
      const n = [c.synced ?? 0, c.skipped ?? 0, c.failed ?? 0, c.deadLettered ?? 0] as const;
      if (n.every((v) => v === 0)) continue;
      this.addStmt.run(bucket, sourceOrg, targetOrg, c.object, c.field, ...n);
    }
  }

  rows(q: SyncHistoryQuery): SyncHistoryRow[] {
    const { where, params } = whereOf(q);
    return this.db
      .prepare<unknown[], HistoryRow>(`SELECT * FROM sync_history ${where} ORDER BY bucket_start, source_org, target_org, object, field`)
      .all(...params)
      .map(toRow);
  }

  /** Sums over the window per org pair, object and field. */
  totals(q: SyncHistoryQuery): SyncTotals[] {
    const { where, params } = whereOf(q);
    const sql = `SELECT source_org, target_org, object, field, SUM(synced) AS synced, SUM(skipped) AS skipped,
                        SUM(failed) AS failed, SUM(dead_lettered) AS dead_lettered
                 FROM sync_history ${where} GROUP BY source_org, target_org, object, field ORDER BY source_org, target_org, object, field`;
    return this.db
      .prepare<unknown[], Omit<HistoryRow, 'bucket_start'>>(sql)
      .all(...params)
      .map((r) => ({
        sourceOrg: r.source_org, targetOrg: r.target_org, object: r.object, field: r.field,
        synced: r.synced, skipped: r.skipped, failed: r.failed, deadLettered: r.dead_lettered,
      }));
  }

  prune(olderThan: number): number {
    return this.db.prepare<[number], unknown>('DELETE FROM sync_history WHERE bucket_start < ?').run(bucketOf(olderThan)).changes;
  }
}

function whereOf(q: SyncHistoryQuery): { where: string; params: unknown[] } {
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) throw new RangeError('a sync history query needs finite from and to times (ms since epoch)');
  const clauses = ['bucket_start >= ?', 'bucket_start < ?'];
  const params: unknown[] = [bucketOf(q.from), q.to];
  for (const [column, value] of [['source_org', q.sourceOrg], ['target_org', q.targetOrg], ['object', q.object], ['field', q.field]] as const) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    params.push(value);
  }
  return { where: `WHERE ${clauses.join(' AND ')}`, params };
}

function toRow(r: HistoryRow): SyncHistoryRow {
  return {
    bucketStart: r.bucket_start, sourceOrg: r.source_org, targetOrg: r.target_org, object: r.object, field: r.field,
    synced: r.synced, skipped: r.skipped, failed: r.failed, deadLettered: r.dead_lettered,
  };
}
