/**
 * The date ranges of a backfill: a span cut at calendar boundaries (UTC) into days, weeks (from
 * Monday), months, quarters or years, oldest first. Each range is `from` inclusive and `to`
 * exclusive, as YYYY-MM-DD; the last one is open-ended unless the span has an end, so a record
 * created while the backfill runs is never outside every range.
 */

export const RANGE_UNITS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type RangeUnit = (typeof RANGE_UNITS)[number];

export interface DateRange {
  /** First day of the range (inclusive), YYYY-MM-DD, or the exact start given. */
  from: string;
  /** First day after it (exclusive); absent for the open-ended last range. */
  to?: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The start of the unit that holds `d`. */
export function unitStart(d: Date, unit: RangeUnit): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (unit) {
    case 'day': return new Date(Date.UTC(y, m, d.getUTCDate()));
    case 'week': return new Date(Date.UTC(y, m, d.getUTCDate() - ((d.getUTCDay() + 6) % 7)));
    case 'month': return new Date(Date.UTC(y, m, 1));
    case 'quarter': return new Date(Date.UTC(y, m - (m % 3), 1));
    case 'year': return new Date(Date.UTC(y, 0, 1));
  }
}

/** The start of the unit after the one starting at `d`. */
export function nextUnit(d: Date, unit: RangeUnit): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (unit) {
    case 'day': return new Date(Date.UTC(y, m, d.getUTCDate() + 1));
    case 'week': return new Date(Date.UTC(y, m, d.getUTCDate() + 7));
    case 'month': return new Date(Date.UTC(y, m + 1, 1));
    case 'quarter': return new Date(Date.UTC(y, m + 3, 1));
    case 'year': return new Date(Date.UTC(y + 1, 0, 1));
  }
}

/** At most this many ranges: a daily backfill over decades is a mistake better named than run. */
export const MAX_RANGES = 5000;

/**
 * The ranges from `start` until `end` (given: the last range ends there) or `now` (the last range
 * is open). `start` may be a YYYY-MM-DD or an ISO datetime; the first range begins exactly there.
 */
export function dateRanges(start: string, unit: RangeUnit, options: { end?: string; now: Date }): DateRange[] {
  const first = parseDay(start, 'the backfill start');
  const end = options.end ? parseDay(options.end, 'the backfill end') : undefined;
  const stop = end ?? options.now;
  if (end && end.getTime() <= first.getTime()) throw new RangeError(`the backfill ends (${options.end}) before it starts (${start})`);
  const ranges: DateRange[] = [];
  let from = start;
  let at = nextUnit(unitStart(first, unit), unit);
  while (at.getTime() <= stop.getTime() && (!end || at.getTime() < end.getTime())) {
    ranges.push({ from, to: day(at) });
    from = day(at);
    at = nextUnit(at, unit);
    if (ranges.length > MAX_RANGES) throw new RangeError(`a backfill by ${unit} from ${start} makes more than ${MAX_RANGES} ranges; choose a larger unit or a later start`);
  }
  ranges.push(end ? { from, to: options.end! } : { from });
  return ranges;
}

function parseDay(text: string, what: string): Date {
  // Only ISO shapes: Date's own parser takes almost anything (even SOQL date literals).
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(text);
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!iso || Number.isNaN(d.getTime())) throw new RangeError(`${what} '${text}' is not a date (YYYY-MM-DD or an ISO datetime)`);
  return d;
}
