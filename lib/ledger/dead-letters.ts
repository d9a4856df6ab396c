import { stringify } from 'csv-stringify/sync';
import type { SqliteDatabase } from './database.js';

export type DeadLetterCategory = 'transient' | 'permanent';
/**
 * `open`: waiting for someone; `retried`: sent again, outcome not known yet; `resolved`: a later
 * write succeeded; `discarded`: an admin gave up on it. Only open and retried letters are live.
 */
export type DeadLetterStatus = 'open' | 'retried' | 'resolved' | 'discarded';

export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['open', 'retried', 'resolved', 'discarded'];

/** A record the target refused (or that could not be written), kept to be fixed and replayed. */
export interface DeadLetter {
  id: number;
  sourceOrg: string;
  sourceId: string;
  targetOrg: string;
  /** Source object. */
  object: string;
  targetObject: string;
  operation: string;
  /** The record as it was to be written (a SyncRecord), for replay. */
  record: unknown;
  errorCode: string;
  message: string;
  category: DeadLetterCategory;
  /** Fields the target blamed. */
  fields: string[];
  /** API attempts spent on it, over every time it failed. */
  attempts: number;
  firstAt: number;
  lastAt: number;
  status: DeadLetterStatus;
}

export type NewDeadLetter = Omit<DeadLetter, 'id' | 'firstAt' | 'lastAt' | 'status'>;

export interface DeadLetterFilter {
  sourceOrg?: string;
  targetOrg?: string;
  /** Source object. */
  object?: string;
  targetObject?: string;
  sourceId?: string;
  status?: DeadLetterStatus | readonly DeadLetterStatus[];
  category?: DeadLetterCategory;
  errorCode?: string;
  /** Last failure at or after (ms since epoch). */
  from?: number;
  /** Last failure before (ms since epoch). */
  to?: number;
  /** Newest first; at most 1,000 per page unless `limit` says otherwise. */
  limit?: number;
  offset?: number;
}

interface LetterRow {
  id: number;
  source_org: string;
  source_id: string;
  target_org: string;
  object: string;
  target_object: string;
  operation: string;
  record_json: string;
  error_code: string;
  message: string;
  category: DeadLetterCategory;
  fields: string;
  attempts: number;
  first_at: number;
  last_at: number;
  status: DeadLetterStatus;
}

/** Dead letters counted per error code, category and target object. */
export interface DeadLetterSummary {
  errorCode: string;
  category: DeadLetterCategory;
  targetObject: string;
  count: number;
}

/**
 * The newest failure blamed on one target field (RECORD_LEVEL: on the record as a whole, whatever
 * fields were blamed) per org pair and target object, with how many letters share that key.
 */
export interface LastFieldError {
  sourceOrg: string;
  targetOrg: string;
  targetObject: string;
  /** Target field, or '' (RECORD_LEVEL) for the newest letter of the object. */
  field: string;
  errorCode: string;
  message: string;
  category: DeadLetterCategory;
  status: DeadLetterStatus;
  /** The letter's last_at (ms since epoch): when it last failed, or for a resolved letter when it was resolved. */
  at: number;
  /** Letters matching the filter that blame this field (or, for '', any letter of the object). */
  letters: number;
}

export const DEFAULT_DEAD_LETTER_PAGE = 1000;

const LIVE = "status IN ('open', 'retried')";

/** Dead letters: one live letter per record and target org, history kept once resolved or discarded. */
export class DeadLetterStore {
  private readonly upsertStmt;
  private readonly resolveStmt;
  private readonly resolveManyStmt;
  private readonly getStmt;
  private readonly setStatusStmt;

  constructor(private readonly db: SqliteDatabase) {
    // A record failing again updates its live letter (attempts add up, the newest reason wins)
    // rather than piling up one letter per failure.
    this.upsertStmt = db.prepare<[string, string, string, string, string, string, string, string, string, string, string, number, number, number], { id: number }>(`
      INSERT INTO dead_letters (source_org, source_id, target_org, object, target_object, operation, record_json,
                                error_code, message, category, fields, attempts, first_at, last_at, status)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')
      ON CONFLICT (source_org, source_id, target_org) WHERE ${LIVE} DO UPDATE SET
        object = excluded.object, target_object = excluded.target_object, operation = excluded.operation,
        record_json = excluded.record_json, error_code = excluded.error_code, message = excluded.message,
        category = excluded.category, fields = excluded.fields, attempts = dead_letters.attempts + excluded.attempts,
        last_at = excluded.last_at, status = 'open'
      RETURNING id`);
    this.resolveStmt = db.prepare<[number, string, string, string], unknown>(`
      UPDATE dead_letters SET status = 'resolved', last_at = ? WHERE source_org = ? AND source_id = ? AND target_org = ? AND ${LIVE}`);
    this.resolveManyStmt = db.prepare<[number, string, string, string], unknown>(`
      UPDATE dead_letters SET status = 'resolved', last_at = ? WHERE source_org = ? AND target_org = ? AND source_id IN (SELECT value FROM json_each(?)) AND ${LIVE}`);
    this.getStmt = db.prepare<[number], LetterRow>('SELECT * FROM dead_letters WHERE id = ?');
    this.setStatusStmt = db.prepare<[string, number], unknown>('UPDATE dead_letters SET status = ? WHERE id = ?');
  }

  /** Files a failure; returns the live letter's id. Call inside a transaction for batches. */
  add(letter: NewDeadLetter, at: number): number {
    const row = this.upsertStmt.get(
      letter.sourceOrg, letter.sourceId, letter.targetOrg, letter.object, letter.targetObject, letter.operation,
      JSON.stringify(letter.record ?? null), letter.errorCode, letter.message, letter.category, JSON.stringify(letter.fields ?? []),
      Math.max(0, Math.floor(letter.attempts)), at, at,
    );
    return row!.id;
  }

  /** Marks the live letter of a record resolved (a later write succeeded); false when there was none. */
  resolve(sourceOrg: string, sourceId: string, targetOrg: string, at: number): boolean {
    return this.resolveStmt.run(at, sourceOrg, sourceId, targetOrg).changes > 0;
  }

  /** resolve() for many records in one statement (a batch's worth); answers how many letters it resolved. */
  resolveMany(sourceOrg: string, sourceIds: readonly string[], targetOrg: string, at: number): number {
    return sourceIds.length ? this.resolveManyStmt.run(at, sourceOrg, targetOrg, JSON.stringify(sourceIds)).changes : 0;
  }

  get(id: number): DeadLetter | undefined {
    const row = this.getStmt.get(id);
    return row && toLetter(row);
  }

  list(filter: DeadLetterFilter = {}): DeadLetter[] {
    const { where, params } = whereOf(filter);
    const limit = filter.limit ?? DEFAULT_DEAD_LETTER_PAGE;
    const sql = `SELECT * FROM dead_letters ${where} ORDER BY last_at DESC, id DESC LIMIT ? OFFSET ?`;
    return this.db.prepare<unknown[], LetterRow>(sql).all(...params, limit, filter.offset ?? 0).map(toLetter);
  }

  count(filter: DeadLetterFilter = {}): number {
    const { where, params } = whereOf(filter);
    return Number(this.db.prepare<unknown[], unknown>(`SELECT COUNT(*) FROM dead_letters ${where}`).pluck().get(...params));
  }

  /** Counts per error code and category, for the dashboard's "why things fail" table. */
  summary(filter: DeadLetterFilter = {}): DeadLetterSummary[] {
    const { where, params } = whereOf(filter);
    const sql = `SELECT error_code, category, target_object, COUNT(*) AS n FROM dead_letters ${where}
                 GROUP BY error_code, category, target_object ORDER BY n DESC, error_code`;
    return this.db
      .prepare<unknown[], { error_code: string; category: DeadLetterCategory; target_object: string; n: number }>(sql)
      .all(...params)
      .map((r) => ({ errorCode: r.error_code, category: r.category, targetObject: r.target_object, count: r.n }));
  }

  /**
   * The newest error per org pair, target object and blamed field, plus one per object (field '').
   * Done in SQL so a dashboard refresh neither parses the stored records nor pages through letters.
   */
  lastErrors(filter: DeadLetterFilter = {}): LastFieldError[] {
    const { where, params } = whereOf(filter);
    const sql = `
      WITH picked AS (
        SELECT id, source_org, target_org, target_object, fields, error_code, message, category, status, last_at FROM dead_letters ${where}
      ), blamed AS (
        SELECT id, source_org, target_org, target_object, '' AS field, error_code, message, category, status, last_at FROM picked
        UNION ALL
        SELECT p.id, p.source_org, p.target_org, p.target_object, CAST(j.value AS TEXT), p.error_code, p.message, p.category, p.status, p.last_at
        FROM picked p, json_each(p.fields) j WHERE j.type = 'text' AND j.value <> ''
      ), ranked AS (
        SELECT *, ROW_NUMBER() OVER w AS rn, COUNT(*) OVER (PARTITION BY source_org, target_org, target_object, field) AS letters
        FROM blamed WINDOW w AS (PARTITION BY source_org, target_org, target_object, field ORDER BY last_at DESC, id DESC)
      )
      SELECT source_org, target_org, target_object, field, error_code, message, category, status, last_at, letters
      FROM ranked WHERE rn = 1 ORDER BY source_org, target_org, target_object, field`;
    type Row = Omit<LetterRow, 'id' | 'source_id' | 'object' | 'operation' | 'record_json' | 'fields' | 'attempts' | 'first_at'> & { field: string; letters: number };
    return this.db
      .prepare<unknown[], Row>(sql)
      .all(...params)
      .map((r) => ({
        sourceOrg: r.source_org, targetOrg: r.target_org, targetObject: r.target_object, field: r.field, errorCode: r.error_code,
        message: r.message, category: r.category, status: r.status, at: r.last_at, letters: r.letters,
      }));
  }

  /**
   * Sets the status of letters by id. A letter is only moved between live states or out of them:
   * reopening a resolved letter would clash with a newer live one for the same record, so it is left.
   */
  setStatus(ids: readonly number[], status: DeadLetterStatus): number {
    if (!DEAD_LETTER_STATUSES.includes(status)) throw new TypeError(`a dead letter status is one of ${DEAD_LETTER_STATUSES.join(', ')}`);
    let changed = 0;
    for (const id of ids) {
      const row = this.getStmt.get(id);
      if (!row || row.status === status) continue;
      const live = row.status === 'open' || row.status === 'retried';
      if (!live && (status === 'open' || status === 'retried')) continue;
      changed += this.setStatusStmt.run(status, id).changes;
    }
    return changed;
  }

  /** Letters as CSV (one row each, the record as JSON in one column) or as a JSON array. */
  export(filter: DeadLetterFilter, format: 'csv' | 'json'): string {
    const letters = this.list({ limit: Number.MAX_SAFE_INTEGER, ...filter });
    if (format === 'json') return JSON.stringify(letters, null, 2);
    return stringify(
      letters.map((l) => [
        l.id, l.status, l.category, l.errorCode, l.message, l.fields.join(';'), l.attempts, new Date(l.firstAt).toISOString(), new Date(l.lastAt).toISOString(),
        l.sourceOrg, l.object, l.sourceId, l.targetOrg, l.targetObject, l.operation, JSON.stringify(l.record),
      ]),
      {
        header: true,
        columns: ['id', 'status', 'category', 'errorCode', 'message', 'fields', 'attempts', 'firstAt', 'lastAt', 'sourceOrg', 'object', 'sourceId', 'targetOrg', 'targetObject', 'operation', 'record'],
      },
    );
  }
}

function whereOf(f: DeadLetterFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: unknown) => {
    if (value === undefined) return;
    clauses.push(`${column} = ?`);
    params.push(value);
  };
  eq('source_org', f.sourceOrg);
  eq('target_org', f.targetOrg);
  eq('object', f.object);
  eq('target_object', f.targetObject);
  eq('source_id', f.sourceId);
  eq('category', f.category);
  eq('error_code', f.errorCode);
  if (f.status !== undefined) {
    const statuses = typeof f.status === 'string' ? [f.status] : [...f.status];
    clauses.push(`status IN (${statuses.map(() => '?').join(', ') || "''"})`);
    params.push(...statuses);
  }
  if (f.from !== undefined) {
    clauses.push('last_at >= ?');
    params.push(f.from);
  }
  if (f.to !== undefined) {
    clauses.push('last_at < ?');
    params.push(f.to);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function toLetter(row: LetterRow): DeadLetter {
  return {
    id: row.id, sourceOrg: row.source_org, sourceId: row.source_id, targetOrg: row.target_org, object: row.object,
    targetObject: row.target_object, operation: row.operation, record: JSON.parse(row.record_json) as unknown,
    errorCode: row.error_code, message: row.message, category: row.category, fields: JSON.parse(row.fields) as string[],
    attempts: row.attempts, firstAt: row.first_at, lastAt: row.last_at, status: row.status,
  };
}
