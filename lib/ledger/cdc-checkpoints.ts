import type { SqliteDatabase } from './database.js';

/** Where a change-capture subscription resumes (see the cdc_checkpoints table). */
export interface CdcCheckpoint {
  orgId: string;
  channel: string;
  name: string;
  replayId: number;
  /** Commit time (ms) of the event at the checkpoint: where a catch-up read starts. */
  committedAt: number;
  updatedAt: number;
}

interface Row {
  org_id: string;
  channel: string;
  name: string;
  replay_id: number;
  committed_at: number;
  updated_at: number;
}

export class CdcCheckpointStore {
  private readonly getStmt;
  private readonly putStmt;
  private readonly removeStmt;

  constructor(db: SqliteDatabase) {
    this.getStmt = db.prepare<[string, string, string], Row>('SELECT * FROM cdc_checkpoints WHERE org_id = ? AND channel = ? AND name = ?');
    // A checkpoint only moves forward; one moved back on purpose (a catch-up) is removed first.
    this.putStmt = db.prepare<[string, string, string, number, number, number], unknown>(`
      INSERT INTO cdc_checkpoints (org_id, channel, name, replay_id, committed_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (org_id, channel, name) DO UPDATE SET replay_id = excluded.replay_id, committed_at = excluded.committed_at, updated_at = excluded.updated_at
      WHERE excluded.replay_id > cdc_checkpoints.replay_id`);
    this.removeStmt = db.prepare<[string, string, string], unknown>('DELETE FROM cdc_checkpoints WHERE org_id = ? AND channel = ? AND name = ?');
  }

  get(orgId: string, channel: string, name: string): CdcCheckpoint | undefined {
    const r = this.getStmt.get(orgId, channel, name);
    return r && { orgId: r.org_id, channel: r.channel, name: r.name, replayId: r.replay_id, committedAt: r.committed_at, updatedAt: r.updated_at };
  }

  put(c: Omit<CdcCheckpoint, 'updatedAt'>, at: number): void {
    this.putStmt.run(c.orgId, c.channel, c.name, c.replayId, c.committedAt, at);
  }

  remove(orgId: string, channel: string, name: string): boolean {
    return this.removeStmt.run(orgId, channel, name).changes > 0;
  }
}
