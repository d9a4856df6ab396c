import type { SqliteDatabase } from './database.js';
import { AVAILABILITY_STATUSES, bucketsOf, checkWindow, uptimeOf, type AvailabilityStatus, type HistoryBucket, type StatusPoint, type TimeWindow, type UptimeFigures } from './availability-math.js';

export type Severity = 'info' | 'warning' | 'critical';

export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/** One health check's outcome as the ledger keeps it. */
export interface AvailabilitySample {
  /** Salesforce org Id (00D…), or a `login:` placeholder for an org never reached. */
  orgId: string;
  orgName: string;
  /** When the check ran, ms since epoch. */
  at: number;
  status: AvailabilityStatus;
  severity: Severity;
  /** Null when the check got no answer. */
  latencyMs: number | null;
  apiUsed: number | null;
  apiLimit: number | null;
  reason: string;
}

export interface HistoryQuery extends TimeWindow {
  bucketMs: number;
}

type PointRow = [at: number, status: AvailabilityStatus, latencyMs: number | null, apiUsed: number | null];

interface SampleRow {
  org_id: string;
  name: string;
  at: number;
  status: AvailabilityStatus;
  severity: Severity;
  latency_ms: number | null;
  api_used: number | null;
  api_limit: number | null;
  reason: string;
}

/** Availability samples per org: written by health checks, read back as uptime and trends. */
export class AvailabilitySampleStore {
  private readonly insertStmt;
  private readonly lastStmt;
  private readonly beforeStmt;
  private readonly rangeStmt;
  private readonly pruneStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, number, string, string, number | null, number | null, number | null, string], unknown>(`
      INSERT INTO availability_samples (org_id, at, status, severity, latency_ms, api_used, api_limit, reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.lastStmt = db.prepare<[string], SampleRow>(`
      SELECT s.org_id, o.name, s.at, s.status, s.severity, s.latency_ms, s.api_used, s.api_limit, s.reason
      FROM availability_samples s JOIN orgs o ON o.org_id = s.org_id
      WHERE s.org_id = ? ORDER BY s.at DESC, s.id DESC LIMIT 1`);
    // The sample in force when a window opens: the newest one before it.
    this.beforeStmt = db
      .prepare<[string, number], PointRow>('SELECT at, status, latency_ms, api_used FROM availability_samples WHERE org_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1')
      .raw();
    this.rangeStmt = db
      .prepare<[string, number, number], PointRow>('SELECT at, status, latency_ms, api_used FROM availability_samples WHERE org_id = ? AND at >= ? AND at < ? ORDER BY at, id')
      .raw();
    // Keeps each org's newest sample older than the cutoff: it is what the first retained window opens with.
    this.pruneStmt = db.prepare<[number, number], unknown>(`
      DELETE FROM availability_samples AS s
      WHERE s.at < ?
        AND EXISTS (
          SELECT 1 FROM availability_samples AS n
          WHERE n.org_id = s.org_id AND n.at < ? AND (n.at > s.at OR (n.at = s.at AND n.id > s.id))
        )`);
  }

  /** Call inside a transaction that also touched the org. */
  insert(sample: AvailabilitySample): void {
    checkSample(sample);
    this.insertStmt.run(sample.orgId, Math.round(sample.at), sample.status, sample.severity, sample.latencyMs ?? null, sample.apiUsed ?? null, sample.apiLimit ?? null, sample.reason ?? '');
  }

  last(orgId: string): AvailabilitySample | undefined {
    const row = this.lastStmt.get(orgId);
    return row && {
      orgId: row.org_id, orgName: row.name, at: row.at, status: row.status, severity: row.severity,
      latencyMs: row.latency_ms, apiUsed: row.api_used, apiLimit: row.api_limit, reason: row.reason,
    };
  }

  uptime(orgId: string, window: TimeWindow): UptimeFigures {
    checkWindow(window);
    return uptimeOf(this.points(orgId, window), window);
  }

  /** Several windows from one read of the rows they span (an hour, a day and a week cost one week). */
  uptimes(orgId: string, windows: readonly TimeWindow[]): UptimeFigures[] {
    windows.forEach(checkWindow);
    if (!windows.length) return [];
    const span = { from: Math.min(...windows.map((w) => w.from)), to: Math.max(...windows.map((w) => w.to)) };
    const points = this.points(orgId, span);
    return windows.map((w) => uptimeOf(points, w));
  }

  history(orgId: string, query: HistoryQuery): HistoryBucket[] {
    checkWindow(query);
    return bucketsOf(this.points(orgId, query), query, query.bucketMs);
  }

  /** Deletes samples taken before `olderThan` (ms since epoch); returns how many. */
  prune(olderThan: number): number {
    return this.pruneStmt.run(olderThan, olderThan).changes;
  }

  private points(orgId: string, window: TimeWindow): StatusPoint[] {
    const points: StatusPoint[] = [];
    const before = this.beforeStmt.get(orgId, window.from);
    if (before) points.push(toPoint(before));
    // all() rather than iterate(): one native call instead of one per row, three times faster here.
    for (const row of this.rangeStmt.all(orgId, window.from, window.to)) points.push(toPoint(row));
    return points;
  }
}

function toPoint(row: PointRow): StatusPoint {
  return { at: row[0], status: row[1], latencyMs: row[2], apiUsed: row[3] };
}

export function checkSample(s: AvailabilitySample): void {
  const problems: string[] = [];
  if (typeof s.orgId !== 'string' || !s.orgId) problems.push('an orgId');
  if (typeof s.orgName !== 'string') problems.push('an orgName');
  if (!Number.isFinite(s.at)) problems.push('a time `at` in ms since epoch');
  if (!AVAILABILITY_STATUSES.includes(s.status)) problems.push(`a status (${AVAILABILITY_STATUSES.join(', ')})`);
  if (!SEVERITIES.includes(s.severity)) problems.push(`a severity (${SEVERITIES.join(', ')})`);
  if (problems.length) throw new TypeError(`an availability sample needs ${problems.join(', ')}`);
}
