/**
 * Time-weighted availability from a sparse series of status samples. Pure functions: the SQLite
 * store feeds them rows, tests feed them hand-made sequences.
 *
 * A sample says "from now on the org is <status>" and holds until the next sample, the end of the
 * window, or `maxHoldMs` after it was taken, whichever comes first. Time no sample speaks for
 * (before the first one, or after a sample went stale because nothing was checking) is unknown
 * and left out of the fractions rather than counted as up or down; `coverage` says how much of
 * the window is known.
 */
export type AvailabilityStatus = 'available' | 'degraded' | 'unavailable';

export const AVAILABILITY_STATUSES: readonly AvailabilityStatus[] = ['available', 'degraded', 'unavailable'];

export interface StatusPoint {
  at: number;
  status: AvailabilityStatus;
  latencyMs: number | null;
  apiUsed: number | null;
}

export interface TimeWindow {
  /** Inclusive start, ms since epoch. */
  from: number;
  /** Exclusive end, ms since epoch. */
  to: number;
  /** A sample stops counting this long after it was taken (default: it holds until the next one). */
  maxHoldMs?: number;
}

export interface UptimeFigures {
  /** Share of the known time the org was usable: available plus degraded. Null when nothing is known. */
  up: number | null;
  available: number | null;
  degraded: number | null;
  unavailable: number | null;
  /** Samples taken inside the window. */
  samples: number;
  /** Milliseconds of the window some sample speaks for. */
  knownMs: number;
  /** knownMs as a share of the window, 0..1. */
  coverage: number;
}

export interface HistoryBucket extends UptimeFigures {
  start: number;
  end: number;
  /** Mean latency of the checks in this bucket that got an answer. */
  avgLatencyMs: number | null;
  /** Highest API usage any check in this bucket read. */
  maxApiUsed: number | null;
}

/** Buckets per history call are capped so a wrong bucket size cannot allocate millions. */
export const MAX_HISTORY_BUCKETS = 10_000;

interface Span {
  start: number;
  end: number;
  status: AvailabilityStatus;
}

type Durations = Record<AvailabilityStatus, number>;

export function checkWindow(window: TimeWindow): void {
  if (!Number.isFinite(window.from) || !Number.isFinite(window.to)) throw new RangeError('the window needs finite from and to times (ms since epoch)');
  if (window.to < window.from) throw new RangeError(`the window ends (${window.to}) before it starts (${window.from})`);
  if (window.maxHoldMs !== undefined && !(window.maxHoldMs > 0)) throw new RangeError('maxHoldMs must be positive');
}

/**
 * The stretches of the window each point's status covers. `points` are in time order and must
 * include the last sample before the window (what the window opens with); points outside the
 * window are otherwise ignored, so one read can serve several windows.
 */
export function spansOf(points: readonly StatusPoint[], window: TimeWindow): Span[] {
  const hold = window.maxHoldMs ?? Number.POSITIVE_INFINITY;
  const spans: Span[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const next = points[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const start = Math.max(p.at, window.from);
    const end = Math.min(next, window.to, p.at + hold);
    if (end > start) spans.push({ start, end, status: p.status });
  }
  return spans;
}

export function uptimeOf(points: readonly StatusPoint[], window: TimeWindow): UptimeFigures {
  checkWindow(window);
  const durations = emptyDurations();
  for (const s of spansOf(points, window)) durations[s.status] += s.end - s.start;
  const samples = points.filter((p) => p.at >= window.from && p.at < window.to).length;
  return figures(durations, samples, window.to - window.from);
}

/** Equal buckets from `window.from` (the last one may be shorter), for trend charts. */
export function bucketsOf(points: readonly StatusPoint[], window: TimeWindow, bucketMs: number): HistoryBucket[] {
  checkWindow(window);
  if (!(bucketMs > 0) || !Number.isFinite(bucketMs)) throw new RangeError('bucketMs must be a positive number of milliseconds');
  const count = Math.ceil((window.to - window.from) / bucketMs);
  if (count > MAX_HISTORY_BUCKETS) {
    throw new RangeError(`${count} history buckets asked for; at most ${MAX_HISTORY_BUCKETS} (use a larger bucket size)`);
  }
  const startOf = (i: number) => window.from + i * bucketMs;
  const endOf = (i: number) => Math.min(window.from + (i + 1) * bucketMs, window.to);
  const indexOf = (t: number) => Math.min(count - 1, Math.floor((t - window.from) / bucketMs));

  const durations = Array.from({ length: count }, emptyDurations);
  for (const s of spansOf(points, window)) {
    for (let i = indexOf(s.start); i < count && startOf(i) < s.end; i++) {
      const overlap = Math.min(s.end, endOf(i)) - Math.max(s.start, startOf(i));
      if (overlap > 0) durations[i]![s.status] += overlap;
    }
  }

  const stats = Array.from({ length: count }, () => ({ samples: 0, latencySum: 0, latencyCount: 0, maxApiUsed: null as number | null }));
  for (const p of points) {
    if (p.at < window.from || p.at >= window.to) continue;
    const st = stats[indexOf(p.at)]!;
    st.samples++;
    if (p.latencyMs !== null) {
      st.latencySum += p.latencyMs;
      st.latencyCount++;
    }
    if (p.apiUsed !== null) st.maxApiUsed = Math.max(st.maxApiUsed ?? p.apiUsed, p.apiUsed);
  }

  return durations.map((d, i) => {
    const st = stats[i]!;
    return {
      start: startOf(i),
      end: endOf(i),
      ...figures(d, st.samples, endOf(i) - startOf(i)),
      avgLatencyMs: st.latencyCount ? st.latencySum / st.latencyCount : null,
      maxApiUsed: st.maxApiUsed,
    };
  });
}

function emptyDurations(): Durations {
  return { available: 0, degraded: 0, unavailable: 0 };
}

function figures(d: Durations, samples: number, windowMs: number): UptimeFigures {
  const knownMs = d.available + d.degraded + d.unavailable;
  const share = (ms: number) => (knownMs > 0 ? ms / knownMs : null);
  return {
    up: share(d.available + d.degraded),
    available: share(d.available),
    degraded: share(d.degraded),
    unavailable: share(d.unavailable),
    samples,
    knownMs,
    coverage: windowMs > 0 ? knownMs / windowMs : 0,
  };
}
