/**
 * What the ledger does not keep: API calls and write speed, counted in memory from the
 * `msg.s2s.write` metrics of every sf-upsert-out write. Figures start at zero when Node-RED starts.
 */
import { writeMetricsOf } from '../sync/envelope.js';
import type { BatchMeta } from '../sync/types.js';

/** One write as observed on a message. */
export interface WriteSample {
  /** Records the write settled (every outcome). */
  records: number;
  apiCalls: number;
  durationMs: number;
  sourceOrg?: string;
  targetOrg?: string;
  /** Target object when the results name it, else the batch's (source) object. */
  object?: string;
  /** Change events: the batch's longest commit-to-written time. */
  lagMs?: number;
}

/** Replication lag over the last minute: how long changes took from commit in the source to written. */
export interface LagFigures {
  /** Writes of change events in the minute. */
  writes: number;
  p50Ms: number;
  maxMs: number;
  lastMs: number;
}

/** One point of the lag chart: the longest lag of the writes in a bucket. */
export interface LagPoint {
  /** Bucket start (ms since epoch). */
  x: number;
  /** Seconds. */
  y: number;
  series: string;
}

/** The observed figures of one org pair and object. */
export interface ObservedUse {
  sourceOrg: string;
  targetOrg: string;
  object: string;
  writes: number;
  records: number;
  apiCalls: number;
}

export interface LiveSnapshot {
  /** When counting started (ms since epoch): Node-RED's start, or the last reset. */
  since: number;
  writes: number;
  records: number;
  apiCalls: number;
  lastWriteAt: number | null;
  lastMinute: {
    writes: number;
    records: number;
    apiCalls: number;
    /** Records per second of wall-clock time over the last minute (or since counting began, if later). */
    recordsPerSecond: number;
    /** Records per second of time spent writing: the writer's own speed, whatever the gaps between batches. */
    writeRecordsPerSecond: number | null;
    /** Null when no change event was written in the minute. */
    lag: LagFigures | null;
  };
  byObject: ObservedUse[];
}

const MINUTE_MS = 60_000;
/** Enough for a write every few milliseconds; beyond that the minute is cut short rather than memory grown. */
const MAX_RECENT = 20_000;
interface Recent {
  at: number;
  records: number;
  apiCalls: number;
  durationMs: number;
  lagMs?: number;
  key: { sourceOrg: string; targetOrg: string; object: string };
}

/** The lag chart covers this much history, in buckets of LAG_BUCKET_MS. */
const LAG_HISTORY_MS = 15 * MINUTE_MS;
const LAG_BUCKET_MS = 10_000;

/** Which writes a snapshot counts: an org pair and object, each optional. */
export interface LiveFilter {
  sourceOrg?: string;
  targetOrg?: string;
  object?: string;
}

/** A write that does not name an org (or object) counts for any filter that matches the rest. */
function matches(u: { sourceOrg: string; targetOrg: string; object: string }, f: LiveFilter | undefined): boolean {
  if (!f) return true;
  return (!f.sourceOrg || !u.sourceOrg || u.sourceOrg === f.sourceOrg)
    && (!f.targetOrg || !u.targetOrg || u.targetOrg === f.targetOrg)
    && (!f.object || !u.object || u.object === f.object);
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * What a message of sf-upsert-out's output says about its write (`msg.s2s.write`, the batch's
 * WriteMetrics), or undefined when it carries none.
 */
export function writeSampleOf(msg: { s2s?: unknown; payload?: unknown }): WriteSample | undefined {
  const write = writeMetricsOf(msg);
  if (!write) return undefined;
  const s2s = msg.s2s as Partial<BatchMeta>;
  const first = Array.isArray(msg.payload) ? (msg.payload[0] as { targetObject?: unknown } | undefined) : undefined;
  return {
    records: write.records,
    apiCalls: write.apiCalls,
    durationMs: write.durationMs ?? 0,
    ...(typeof write.lagMs === 'number' ? { lagMs: write.lagMs } : {}),
    sourceOrg: text(s2s.source?.orgId),
    targetOrg: text(s2s.target?.orgId),
    object: text(first?.targetObject) ?? text(s2s.object),
  };
}

/**
 * Rolling and cumulative write figures. One instance lives in the shared runtime context and
 * counts every write of the process (sf-upsert-out reports each); a status node reads it through
 * a filter for its org pair and object.
 */
export class LiveMetrics {
  private since: number;
  private recent: Recent[] = [];
  /** Lag of change-event writes over LAG_HISTORY_MS, for the chart; bounded like `recent`. */
  private lags: Array<{ at: number; lagMs: number; key: Recent['key'] }> = [];
  private readonly byKey = new Map<string, ObservedUse & { lastWriteAt: number }>();

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  observe(sample: WriteSample): void {
    const at = this.now();
    const use = { sourceOrg: sample.sourceOrg ?? '', targetOrg: sample.targetOrg ?? '', object: sample.object ?? '' };
    const key = keyOf(use.sourceOrg, use.targetOrg, use.object);
    const entry = this.byKey.get(key) ?? { ...use, writes: 0, records: 0, apiCalls: 0, lastWriteAt: at };
    entry.writes++;
    entry.records += sample.records;
    entry.apiCalls += sample.apiCalls;
    entry.lastWriteAt = at;
    this.byKey.set(key, entry);
    this.recent.push({ at, records: sample.records, apiCalls: sample.apiCalls, durationMs: sample.durationMs, ...(sample.lagMs !== undefined ? { lagMs: sample.lagMs } : {}), key: entry });
    if (this.recent.length > MAX_RECENT) this.recent.splice(0, this.recent.length - MAX_RECENT);
    if (sample.lagMs !== undefined) {
      this.lags.push({ at, lagMs: sample.lagMs, key: entry });
      if (this.lags.length > MAX_RECENT) this.lags.splice(0, this.lags.length - MAX_RECENT);
    }
  }

  /**
   * The lag chart: per 10-second bucket of the last 15 minutes with change-event writes, the
   * longest lag in seconds (series `lag (max)`) and the median (`lag (median)`).
   */
  lagPoints(filter?: LiveFilter): LagPoint[] {
    const now = this.now();
    this.lags = this.lags.filter((l) => l.at > now - LAG_HISTORY_MS);
    const buckets = new Map<number, number[]>();
    for (const l of this.lags) {
      if (!matches(l.key, filter)) continue;
      const x = Math.floor(l.at / LAG_BUCKET_MS) * LAG_BUCKET_MS;
      const list = buckets.get(x) ?? [];
      list.push(l.lagMs);
      buckets.set(x, list);
    }
    const points: LagPoint[] = [];
    for (const [x, list] of [...buckets].sort((a, b) => a[0] - b[0])) {
      points.push({ x, y: round(Math.max(...list) / 1000), series: 'lag (max)' });
      points.push({ x, y: round(median(list) / 1000), series: 'lag (median)' });
    }
    return points;
  }

  /**
   * What was observed for one org pair and object, or undefined when no write of it was seen.
   * Writes whose message did not name an org (or object) count for any that matches the rest.
   */
  use(sourceOrg: string, targetOrg: string, object: string): ObservedUse | undefined {
    const exact = this.byKey.get(keyOf(sourceOrg, targetOrg, object));
    const partial = [...this.byKey.values()].filter(
      (u) => (u.sourceOrg === '' || u.sourceOrg === sourceOrg) && (u.targetOrg === '' || u.targetOrg === targetOrg)
        && (u.object === '' || u.object === object) && u !== exact,
    );
    if (!partial.length) return exact && { ...exact };
    return [exact, ...partial].reduce<ObservedUse>(
      (sum, u) => (u ? { ...sum, writes: sum.writes + u.writes, records: sum.records + u.records, apiCalls: sum.apiCalls + u.apiCalls } : sum),
      { sourceOrg, targetOrg, object, writes: 0, records: 0, apiCalls: 0 },
    );
  }

  /** The figures of every write, or of those a filter matches. */
  snapshot(filter?: LiveFilter): LiveSnapshot {
    const now = this.now();
    this.recent = this.recent.filter((r) => r.at > now - MINUTE_MS);
    const uses = [...this.byKey.values()].filter((u) => matches(u, filter));
    const total = uses.reduce(
      (t, u) => ({ writes: t.writes + u.writes, records: t.records + u.records, apiCalls: t.apiCalls + u.apiCalls, lastWriteAt: Math.max(t.lastWriteAt, u.lastWriteAt) }),
      { writes: 0, records: 0, apiCalls: 0, lastWriteAt: 0 },
    );
    const minute = this.recent.filter((r) => matches(r.key, filter)).reduce(
      (m, r) => ({ writes: m.writes + 1, records: m.records + r.records, apiCalls: m.apiCalls + r.apiCalls, durationMs: m.durationMs + r.durationMs }),
      { writes: 0, records: 0, apiCalls: 0, durationMs: 0 },
    );
    const span = Math.max(1, Math.min(MINUTE_MS, now - this.since)) / 1000;
    const lagged = this.recent.filter((r) => r.lagMs !== undefined && matches(r.key, filter));
    const lags = lagged.map((r) => r.lagMs!);
    return {
      since: this.since,
      writes: total.writes,
      records: total.records,
      apiCalls: total.apiCalls,
      lastWriteAt: total.writes ? total.lastWriteAt : null,
      lastMinute: {
        writes: minute.writes,
        records: minute.records,
        apiCalls: minute.apiCalls,
        recordsPerSecond: round(minute.records / span),
        writeRecordsPerSecond: minute.durationMs > 0 ? round(minute.records / (minute.durationMs / 1000)) : null,
        lag: lags.length ? { writes: lags.length, p50Ms: Math.round(median(lags)), maxMs: Math.round(Math.max(...lags)), lastMs: Math.round(lags[lags.length - 1]!) } : null,
      },
      byObject: uses.map(({ lastWriteAt: _at, ...u }) => ({ ...u })).sort((a, b) => keyOf(a.sourceOrg, a.targetOrg, a.object).localeCompare(keyOf(b.sourceOrg, b.targetOrg, b.object))),
    };
  }

  reset(): void {
    this.since = this.now();
    this.recent = [];
    this.lags = [];
    this.byKey.clear();
  }
}

function keyOf(sourceOrg: string, targetOrg: string, object: string): string {
  return `${sourceOrg}\u0000${targetOrg}\u0000${object}`;
}

/** Rates to three decimals: enough for a slow trickle, short enough to read. */
export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
