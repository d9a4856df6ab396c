import type { SqliteDatabase } from './database.js';

export interface LedgerOrg {
  orgId: string;
  name: string;
  firstSeen: number;
  lastSeen: number;
}

interface OrgRow {
  org_id: string;
  name: string;
  first_seen: number;
  last_seen: number;
}

/**
 * The orgs the ledger knows (every other table points here) and the login keys they were reached
 * by. A login key stands in for an org Id while a connection has never logged in; once it has,
 * the key is remembered and whatever was filed under it moves to the real org Id.
 */
export class OrgDirectory {
  private readonly upsertStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly keyLookupStmt;
  private readonly keyUpsertStmt;
  private readonly moveSamplesStmt;
  private readonly deleteOrgStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.upsertStmt = db.prepare<[string, string, number, number], unknown>(`
      INSERT INTO orgs (org_id, name, first_seen, last_seen) VALUES (?, ?, ?, ?)
      ON CONFLICT (org_id) DO UPDATE SET
        name      = CASE WHEN excluded.last_seen >= orgs.last_seen THEN excluded.name ELSE orgs.name END,
        first_seen = MIN(orgs.first_seen, excluded.first_seen),
        last_seen  = MAX(orgs.last_seen, excluded.last_seen)`);
    this.listStmt = db.prepare<[], OrgRow>('SELECT org_id, name, first_seen, last_seen FROM orgs ORDER BY name, org_id');
    this.getStmt = db.prepare<[string], OrgRow>('SELECT org_id, name, first_seen, last_seen FROM orgs WHERE org_id = ?');
    this.keyLookupStmt = db.prepare<[string], unknown>('SELECT org_id FROM org_login_keys WHERE login_key = ?').pluck();
    this.keyUpsertStmt = db.prepare<[string, string, number], unknown>(`
      INSERT INTO org_login_keys (login_key, org_id, seen_at) VALUES (?, ?, ?)
      ON CONFLICT (login_key) DO UPDATE SET org_id = excluded.org_id, seen_at = excluded.seen_at`);
    this.moveSamplesStmt = db.prepare<[string, string], unknown>('UPDATE availability_samples SET org_id = ? WHERE org_id = ?');
    this.deleteOrgStmt = db.prepare<[string], unknown>('DELETE FROM orgs WHERE org_id = ?');
  }

  /** Adds the org or refreshes its name (the newest name wins) and when it was last seen. */
  touch(orgId: string, name: string, at: number): void {
    this.upsertStmt.run(orgId, name, at, at);
  }

  get(orgId: string): LedgerOrg | undefined {
    const row = this.getStmt.get(orgId);
    return row && toOrg(row);
  }

  list(): LedgerOrg[] {
    return this.listStmt.all().map(toOrg);
  }

  orgIdForLoginKey(loginKey: string): string | undefined {
    const id = this.keyLookupStmt.get(loginKey);
    return typeof id === 'string' ? id : undefined;
  }

  /**
   * Remembers that `loginKey` reaches `orgId` and moves anything filed under the key as a
   * placeholder org to the real org. Salesforce usernames are unique across all orgs and My Domain
   * hosts belong to one org, so a key can only ever mean one org. Call inside a transaction.
   */
  linkLoginKey(loginKey: string, orgId: string, name: string, at: number): void {
    this.touch(orgId, name, at);
    this.keyUpsertStmt.run(loginKey, orgId, at);
    if (loginKey !== orgId && this.getStmt.get(loginKey)) {
      this.moveSamplesStmt.run(orgId, loginKey);
      this.deleteOrgStmt.run(loginKey);
    }
  }
}

function toOrg(row: OrgRow): LedgerOrg {
  return { orgId: row.org_id, name: row.name, firstSeen: row.first_seen, lastSeen: row.last_seen };
}
