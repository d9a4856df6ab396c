import { bucketOf, RECORD_LEVEL, SYNC_BUCKET_MS, type Ledger, type LastFieldError, type SyncTotals } from '../ledger/index.js';
import { round, type LiveMetrics, type LiveSnapshot } from './live-metrics.js';

/** The ledger queries a status report reads; a Ledger has them all. */
export type StatusSource = Pick<Ledger, 'syncTotals' | 'syncHistory' | 'lastDeadLetterErrors' | 'countDeadLetters' | 'exportDeadLetters' | 'org' | 'lastSample'>;

export interface StatusFilter {
  sourceOrg?: string;
  targetOrg?: string;
  /** Target object: the ledger counts what was written, under the target's names. */
  object?: string;
}

export interface StatusQuery extends StatusFilter {
  /** How far back from `now` (default 24). */
  hours?: number;
  /** End of the window (ms since epoch, default the clock). */
  now?: number;
  /** Org names by org Id, for orgs the ledger has no name for yet (connections not health-checked). */
  names?: ReadonlyMap<string, string>;
  /** Counters observed in memory (API calls, speed of the last minute). */
  live?: LiveMetrics;
}

export const DEFAULT_WINDOW_HOURS = 24;
/** Sync history is bucketed hourly; a longer reach than a quarter would make dashboards slow to build. */
export const MAX_WINDOW_HOURS = 24 * 92;

export interface StatusWindow {
  /** Start of the first hour bucket in the window (ms since epoch): counts are hourly, so the window starts on the hour. */
  from: number;
  /** End (ms since epoch, exclusive). */
  to: number;
  hours: number;
}

export interface StatusCounts {
  synced: number;
  skipped: number;
  failed: number;
  deadLettered: number;
  /** synced + skipped + failed + deadLettered. */
  processed: number;
  /** Share (percent, one decimal) of processed that reached the target or needed no write; null when nothing was processed. */
  successPercent: number | null;
}

/** The newest dead letter still waiting (open or being retried) that blames a field, or of an object. */
export interface LastError {
  code: string;
  message: string;
  category: 'transient' | 'permanent';
  /** `open`, or `retried` while a replay is under way. */
  status: string;
  /** When it failed (ms since epoch). */
  at: number;
  /** Such letters in the window that blame this field (or, on an object row, any of the object). */
  letters: number;
}

interface PairObject {
  sourceOrg: string;
  sourceName: string;
  targetOrg: string;
  targetName: string;
  object: string;
}

export interface ObjectStatus extends PairObject, StatusCounts {
  /** Records processed per second over the window. */
  recordsPerSecond: number;
  lastError: LastError | null;
  /** API calls of writes this node saw since it started; null when it saw none for this object. */
  apiCalls: number | null;
}

export interface FieldStatus extends PairObject, StatusCounts {
  field: string;
  lastError: LastError | null;
}

export interface StatusTotals extends StatusCounts {
  recordsPerSecond: number;
  /** Dead letters still waiting (open or being retried), whenever they failed. */
  deadLettersOpen: number;
  /** API calls of every write this node saw since it started; null when it saw none. */
  apiCalls: number | null;
}

/** An org's own daily API use, as its last health check read it. */
export interface OrgApiUse {
  orgId: string;
  name: string;
  apiUsed: number | null;
  apiLimit: number | null;
  /** When that was read (ms since epoch); null when the org was never checked. */
  at: number | null;
}

export interface StatusReport {
  generatedAt: number;
  window: StatusWindow;
  filter: StatusFilter;
  totals: StatusTotals;
  objects: ObjectStatus[];
  fields: FieldStatus[];
  /** What this node observed in memory; null when it is not fed write metrics. */
  live: LiveSnapshot | null;
  orgs: OrgApiUse[];
}

/** The window of a query: `hours` back from `now`, starting on the hour. */
export function windowOf(q: Pick<StatusQuery, 'hours' | 'now'> = {}): StatusWindow {
  const to = q.now ?? Date.now();
  const asked = Number(q.hours ?? DEFAULT_WINDOW_HOURS);
  if (!Number.isFinite(asked) || asked <= 0) throw new RangeError(`a status window is a positive number of hours (got ${String(q.hours)})`);
  const hours = Math.min(asked, MAX_WINDOW_HOURS);
  return { from: bucketOf(to - hours * SYNC_BUCKET_MS), to, hours };
}

/** Only the filters that are set, so `{}` and absent filters read the same downstream. */
export function filterOf(q: StatusFilter): StatusFilter {
  const f: StatusFilter = {};
  if (q.sourceOrg) f.sourceOrg = q.sourceOrg;
  if (q.targetOrg) f.targetOrg = q.targetOrg;
  if (q.object) f.object = q.object;
  return f;
}

export function countsOf(c: Pick<StatusCounts, 'synced' | 'skipped' | 'failed' | 'deadLettered'>): StatusCounts {
  const processed = c.synced + c.skipped + c.failed + c.deadLettered;
  return {
    synced: c.synced, skipped: c.skipped, failed: c.failed, deadLettered: c.deadLettered, processed,
    successPercent: processed ? Math.round(((c.synced + c.skipped) / processed) * 1000) / 10 : null,
  };
}

const LIVE = ['open', 'retried'] as const;
const ZERO = { synced: 0, skipped: 0, failed: 0, deadLettered: 0 };

function keyOf(sourceOrg: string, targetOrg: string, object: string, field = RECORD_LEVEL): string {
  return [sourceOrg, targetOrg, object, field].join('\u0000');
}

function lastErrorOf(e: LastFieldError | undefined): LastError | null {
  return e ? { code: e.errorCode, message: e.message, category: e.category, status: e.status, at: e.at, letters: e.letters } : null;
}

/**
 * The sync status over a window: per org pair and target object (record counts), per field, the
 * newest error of each, and the totals. Object rows count records, field rows count field writes,
 * so a record that wrote five fields adds one to its object and one to each of the five fields.
 */
export function buildStatusReport(source: StatusSource, q: StatusQuery = {}): StatusReport {
  const window = windowOf(q);
  const filter = filterOf(q);
  const history = { ...filter, from: window.from, to: window.to };
  const totals = source.syncTotals(history);
  // Live letters only: resolving a letter moves its time to the fix, and its error no longer holds.
  const errors = source.lastDeadLetterErrors({
    sourceOrg: filter.sourceOrg, targetOrg: filter.targetOrg, targetObject: filter.object, from: window.from, to: window.to, status: LIVE,
  });
  const errorBy = new Map(errors.map((e) => [keyOf(e.sourceOrg, e.targetOrg, e.targetObject, e.field), e]));

  const names = new Map<string, string>();
  const nameOf = (orgId: string): string => {
    let name = names.get(orgId);
    if (name === undefined) {
      name = source.org(orgId)?.name || q.names?.get(orgId) || orgId;
      names.set(orgId, name);
    }
    return name;
  };
  const pairObject = (sourceOrg: string, targetOrg: string, object: string): PairObject => ({
    sourceOrg, sourceName: nameOf(sourceOrg), targetOrg, targetName: nameOf(targetOrg), object,
  });

  // Objects and fields that only have errors (or only field counts) still get rows.
  const objectCounts = new Map<string, SyncTotals>();
  const fieldCounts = new Map<string, SyncTotals>();
  const put = (into: Map<string, SyncTotals>, t: SyncTotals) => into.set(keyOf(t.sourceOrg, t.targetOrg, t.object, t.field), t);
  for (const t of totals) {
    put(t.field === RECORD_LEVEL ? objectCounts : fieldCounts, t);
    const objectKey = keyOf(t.sourceOrg, t.targetOrg, t.object);
    if (!objectCounts.has(objectKey)) objectCounts.set(objectKey, { ...t, field: RECORD_LEVEL, ...ZERO });
  }
  for (const e of errors) {
    const t = { sourceOrg: e.sourceOrg, targetOrg: e.targetOrg, object: e.targetObject, field: e.field, ...ZERO };
    const into = e.field === RECORD_LEVEL ? objectCounts : fieldCounts;
    if (!into.has(keyOf(t.sourceOrg, t.targetOrg, t.object, t.field))) put(into, t);
    if (!objectCounts.has(keyOf(t.sourceOrg, t.targetOrg, t.object))) put(objectCounts, { ...t, field: RECORD_LEVEL });
  }

  const seconds = Math.max(1, window.to - window.from) / 1000;
  const live = q.live;
  const objects: ObjectStatus[] = [...objectCounts.values()].sort(byPairObject).map((t) => {
    const counts = countsOf(t);
    return {
      ...pairObject(t.sourceOrg, t.targetOrg, t.object), ...counts,
      recordsPerSecond: round(counts.processed / seconds),
      lastError: lastErrorOf(errorBy.get(keyOf(t.sourceOrg, t.targetOrg, t.object))),
      apiCalls: live?.use(t.sourceOrg, t.targetOrg, t.object)?.apiCalls ?? null,
    };
  });
  const fields: FieldStatus[] = [...fieldCounts.values()].sort(byPairObject).map((t) => ({
    ...pairObject(t.sourceOrg, t.targetOrg, t.object), field: t.field, ...countsOf(t),
    lastError: lastErrorOf(errorBy.get(keyOf(t.sourceOrg, t.targetOrg, t.object, t.field))),
  }));

  const sum = objects.reduce(
    (s, o) => ({ synced: s.synced + o.synced, skipped: s.skipped + o.skipped, failed: s.failed + o.failed, deadLettered: s.deadLettered + o.deadLettered }),
    { ...ZERO },
  );
  const totalCounts = countsOf(sum);
  const snapshot = live ? live.snapshot({ sourceOrg: filter.sourceOrg, targetOrg: filter.targetOrg, object: filter.object }) : null;
  const orgIds = new Set<string>([filter.sourceOrg, filter.targetOrg, ...objects.flatMap((o) => [o.sourceOrg, o.targetOrg])].filter((id): id is string => !!id));
  return {
    generatedAt: window.to,
    window,
    filter,
    totals: {
      ...totalCounts,
      recordsPerSecond: round(totalCounts.processed / seconds),
      deadLettersOpen: source.countDeadLetters({ sourceOrg: filter.sourceOrg, targetOrg: filter.targetOrg, targetObject: filter.object, status: LIVE }),
      apiCalls: snapshot && snapshot.writes ? snapshot.apiCalls : null,
    },
    objects,
    fields,
    live: snapshot && snapshot.writes ? snapshot : null,
    orgs: [...orgIds].sort().map((orgId) => {
      const s = source.lastSample(orgId);
      return { orgId, name: nameOf(orgId), apiUsed: s?.apiUsed ?? null, apiLimit: s?.apiLimit ?? null, at: s?.at ?? null };
    }),
  };
}

function byPairObject(a: SyncTotals, b: SyncTotals): number {
  return a.sourceOrg.localeCompare(b.sourceOrg) || a.targetOrg.localeCompare(b.targetOrg) || a.object.localeCompare(b.object) || a.field.localeCompare(b.field);
}
