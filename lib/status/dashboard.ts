import { RECORD_LEVEL, SYNC_BUCKET_MS, bucketOf } from '../ledger/index.js';
import { filterOf, windowOf, type StatusQuery, type StatusReport, type StatusSource } from './status-report.js';

/** One ui-table row: flat, so the table shows every column without a function node in between. */
export interface StatusTableRow {
  source: string;
  target: string;
  object: string;
  synced: number;
  skipped: number;
  failed: number;
  deadLettered: number;
  /** Percent, one decimal; null (an empty cell) when nothing was processed. */
  successPercent: number | null;
  recordsPerSecond: number;
  /** Observed by this node since it started; null when it saw no write of the object. */
  apiCalls: number | null;
  /** `CODE: message`, or '' when nothing failed in the window. */
  lastError: string;
  /** ISO 8601, or ''. */
  lastErrorAt: string;
}

/** One ui-chart point: series `<object> synced` or `<object> failed`, x the hour, y the records. */
export interface StatusChartPoint {
  series: string;
  /** Start of the hour bucket, ms since epoch. */
  x: number;
  y: number;
}

export function tableRows(report: StatusReport): StatusTableRow[] {
  return report.objects.map((o) => ({
    source: o.sourceName,
    target: o.targetName,
    object: o.object,
    synced: o.synced,
    skipped: o.skipped,
    failed: o.failed,
    deadLettered: o.deadLettered,
    successPercent: o.successPercent,
    recordsPerSecond: o.recordsPerSecond,
    apiCalls: o.apiCalls,
    lastError: o.lastError ? `${o.lastError.code}: ${o.lastError.message}` : '',
    lastErrorAt: o.lastError ? new Date(o.lastError.at).toISOString() : '',
  }));
}

/**
 * Records per hour and target object over the window, summed over the org pairs the filter lets
 * through: two series per object, synced and failed (failed plus dead-lettered: both mean the record
 * is not in the target). Every hour gets a point, zero included, so lines do not bridge quiet hours.
 */
export function chartPoints(source: Pick<StatusSource, 'syncHistory'>, q: StatusQuery = {}): StatusChartPoint[] {
  const window = windowOf(q);
  const rows = source.syncHistory({ ...filterOf(q), field: RECORD_LEVEL, from: window.from, to: window.to });
  const byObject = new Map<string, Map<number, { synced: number; failed: number }>>();
  for (const r of rows) {
    let hours = byObject.get(r.object);
    if (!hours) byObject.set(r.object, (hours = new Map()));
    const h = hours.get(r.bucketStart) ?? { synced: 0, failed: 0 };
    h.synced += r.synced;
    h.failed += r.failed + r.deadLettered;
    hours.set(r.bucketStart, h);
  }
  const buckets: number[] = [];
  for (let b = window.from; b <= bucketOf(window.to - 1); b += SYNC_BUCKET_MS) buckets.push(b);
  const points: StatusChartPoint[] = [];
  for (const object of [...byObject.keys()].sort()) {
    const hours = byObject.get(object)!;
    for (const kind of ['synced', 'failed'] as const) {
      for (const x of buckets) points.push({ series: `${object} ${kind}`, x, y: hours.get(x)?.[kind] ?? 0 });
    }
  }
  return points;
}
