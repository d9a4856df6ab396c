import type { SqliteDatabase } from './database.js';

/** Where a bulk read resumes (see the bulk_checkpoints table). */
export interface BulkCheckpoint {
  orgId: string;
  object: string;
  name: string;
  /** The Bulk API query job whose results are being read. */
  jobId: string;
  /** Locator of the first results page not fully written ('' the first page); null: every page is written. */
  locator: string | null;
  /** Records in the pages before it. */
  records: number;
  /** The last record written, when known: where a new job goes on from once the old one's results are gone. */
  lastId: string | null;
  /** A fingerprint of the query read ('' when unknown): a changed query starts anew. */
  queryHash?: string;
  /** When the read began (ms). */
  startedAt: number;
  updatedAt: number;
}

interface Row {
  org_id: string;
  object: string;
  name: string;
  job_id: string;
  locator: string | null;
  records: number;
  last_id: string | null;
  started_at: number;
  updated_at: number;
  query_hash: string;
}

export class BulkCheckpointStore {
  private readonly getStmt;
  private readonly putStmt;
  private readonly removeStmt;

  constructor(db: SqliteDatabase) {
    this.getStmt = db.prepare<[string, string, string], Row>('SELECT * FROM bulk_checkpoints WHERE org_id = ? AND object = ? AND name = ?');
    this.putStmt = db.prepare<[string, string, string, string, string | null, number, string | null, number, number, string], unknown>(`
      INSERT INTO bulk_checkpoints (org_id, object, name, job_id, locator, records, last_id, started_at, updated_at, query_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (org_id, object, name) DO UPDATE SET job_id = excluded.job_id, locator = excluded.locator, records = excluded.records,
        last_id = excluded.last_id, started_at = excluded.started_at, updated_at = excluded.updated_at, query_hash = excluded.query_hash`);
    this.removeStmt = db.prepare<[string, string, string], unknown>('DELETE FROM bulk_checkpoints WHERE org_id = ? AND object = ? AND name = ?');
  }

  get(orgId: string, object: string, name: string): BulkCheckpoint | undefined {
    const r = this.getStmt.get(orgId, object, name);
    return r && {
      orgId: r.org_id, object: r.object, name: r.name, jobId: r.job_id, locator: r.locator, records: r.records, lastId: r.last_id,
      startedAt: r.started_at, updatedAt: r.updated_at, queryHash: r.query_hash,
    };
  }

  put(c: Omit<BulkCheckpoint, 'updatedAt'>, at: number): void {
    this.putStmt.run(c.orgId, c.object, c.name, c.jobId, c.locator, c.records, c.lastId, c.startedAt, at, c.queryHash ?? '');
  }

  remove(orgId: string, object: string, name: string): boolean {
    return this.removeStmt.run(orgId, object, name).changes > 0;
  }
}
