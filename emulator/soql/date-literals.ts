/**
 * SOQL relative date literals as half-open UTC ranges [start, end) in epoch milliseconds, relative
 * to the org clock. Weeks start on Sunday and the fiscal year is the calendar year (the defaults of
 * a new org with an en_US, GMT user).
 */

export interface DateRange {
  start: number;
  end: number;
}

const DAY = 86_400_000;

interface Anchors {
  day: number;
  week: number;
  year: number;
  month: number;
  quarterMonth: number;
}

function anchors(now: number): Anchors {
  const d = new Date(now);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = Date.UTC(year, month, d.getUTCDate());
  return { day, week: day - d.getUTCDay() * DAY, year, month, quarterMonth: month - (month % 3) };
}

const monthStart = (a: Anchors, offsetMonths: number) => Date.UTC(a.year, a.month + offsetMonths, 1);
const quarterStart = (a: Anchors, offsetQuarters: number) => Date.UTC(a.year, a.quarterMonth + 3 * offsetQuarters, 1);
const yearStart = (a: Anchors, offsetYears: number) => Date.UTC(a.year + offsetYears, 0, 1);

const days = (a: Anchors, from: number, to: number): DateRange => ({ start: a.day + from * DAY, end: a.day + to * DAY });
const weeks = (a: Anchors, from: number, to: number): DateRange => ({ start: a.week + 7 * from * DAY, end: a.week + 7 * to * DAY });
const months = (a: Anchors, from: number, to: number): DateRange => ({ start: monthStart(a, from), end: monthStart(a, to) });
const quarters = (a: Anchors, from: number, to: number): DateRange => ({ start: quarterStart(a, from), end: quarterStart(a, to) });
const years = (a: Anchors, from: number, to: number): DateRange => ({ start: yearStart(a, from), end: yearStart(a, to) });

const FIXED: Record<string, (a: Anchors) => DateRange> = {
  YESTERDAY: (a) => days(a, -1, 0),
  TODAY: (a) => days(a, 0, 1),
  TOMORROW: (a) => days(a, 1, 2),
  LAST_WEEK: (a) => weeks(a, -1, 0),
  THIS_WEEK: (a) => weeks(a, 0, 1),
  NEXT_WEEK: (a) => weeks(a, 1, 2),
  LAST_MONTH: (a) => months(a, -1, 0),
  THIS_MONTH: (a) => months(a, 0, 1),
  NEXT_MONTH: (a) => months(a, 1, 2),
  // Documented as including today: LAST_90_DAYS is LAST_N_DAYS:90.
  LAST_90_DAYS: (a) => days(a, -90, 1),
  NEXT_90_DAYS: (a) => days(a, 1, 91),
  LAST_QUARTER: (a) => quarters(a, -1, 0),
  THIS_QUARTER: (a) => quarters(a, 0, 1),
  NEXT_QUARTER: (a) => quarters(a, 1, 2),
  LAST_YEAR: (a) => years(a, -1, 0),
  THIS_YEAR: (a) => years(a, 0, 1),
  NEXT_YEAR: (a) => years(a, 1, 2),
  LAST_FISCAL_QUARTER: (a) => quarters(a, -1, 0),
  THIS_FISCAL_QUARTER: (a) => quarters(a, 0, 1),
  NEXT_FISCAL_QUARTER: (a) => quarters(a, 1, 2),
  LAST_FISCAL_YEAR: (a) => years(a, -1, 0),
  THIS_FISCAL_YEAR: (a) => years(a, 0, 1),
  NEXT_FISCAL_YEAR: (a) => years(a, 1, 2),
};

const WITH_N: Record<string, (a: Anchors, n: number) => DateRange> = {
  // Today plus the n days before it.
  LAST_N_DAYS: (a, n) => days(a, -n, 1),
  // Starts tomorrow; today is not included.
  NEXT_N_DAYS: (a, n) => days(a, 1, 1 + n),
  N_DAYS_AGO: (a, n) => days(a, -n, -n + 1),
  LAST_N_WEEKS: (a, n) => weeks(a, -n, 0),
  NEXT_N_WEEKS: (a, n) => weeks(a, 1, 1 + n),
  N_WEEKS_AGO: (a, n) => weeks(a, -n, -n + 1),
  LAST_N_MONTHS: (a, n) => months(a, -n, 0),
  NEXT_N_MONTHS: (a, n) => months(a, 1, 1 + n),
  N_MONTHS_AGO: (a, n) => months(a, -n, -n + 1),
  LAST_N_QUARTERS: (a, n) => quarters(a, -n, 0),
  NEXT_N_QUARTERS: (a, n) => quarters(a, 1, 1 + n),
  N_QUARTERS_AGO: (a, n) => quarters(a, -n, -n + 1),
  LAST_N_YEARS: (a, n) => years(a, -n, 0),
  NEXT_N_YEARS: (a, n) => years(a, 1, 1 + n),
  N_YEARS_AGO: (a, n) => years(a, -n, -n + 1),
  LAST_N_FISCAL_QUARTERS: (a, n) => quarters(a, -n, 0),
  NEXT_N_FISCAL_QUARTERS: (a, n) => quarters(a, 1, 1 + n),
  N_FISCAL_QUARTERS_AGO: (a, n) => quarters(a, -n, -n + 1),
  LAST_N_FISCAL_YEARS: (a, n) => years(a, -n, 0),
  NEXT_N_FISCAL_YEARS: (a, n) => years(a, 1, 1 + n),
  N_FISCAL_YEARS_AGO: (a, n) => years(a, -n, -n + 1),
};

/** The range of a literal such as `TODAY` or `LAST_N_DAYS:7` (case-insensitive), or undefined if unknown. */
export function dateLiteralRange(literal: string, now: number): DateRange | undefined {
  const [name = '', nText] = literal.toUpperCase().split(':');
  const a = anchors(now);
  if (nText === undefined) return FIXED[name]?.(a);
  const n = Number(nText);
  if (!Number.isInteger(n) || n < 0) return undefined;
  return WITH_N[name]?.(a, n);
}
