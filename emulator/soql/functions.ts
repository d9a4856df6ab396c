import type { FunctionExp } from '@jetstreamapp/soql-parser-js';
import type { FieldDef } from '../schema/types.js';
import type { FieldValue } from '../store/types.js';
import { parseSfDateTime } from '../util/clock.js';
import { isNull, kindOf, type ValueKind } from './values.js';

export const AGGREGATE_FUNCTIONS = new Set(['COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX']);

/** Date functions (all in UTC, the org emulator's only time zone): value -> number, or a date for DAY_ONLY. */
const DATE_FUNCTIONS: Record<string, (d: Date) => number | string> = {
  CALENDAR_MONTH: (d) => d.getUTCMonth() + 1,
  CALENDAR_QUARTER: (d) => Math.floor(d.getUTCMonth() / 3) + 1,
  CALENDAR_YEAR: (d) => d.getUTCFullYear(),
  DAY_IN_MONTH: (d) => d.getUTCDate(),
  // 1 = Sunday, as in Salesforce.
  DAY_IN_WEEK: (d) => d.getUTCDay() + 1,
  DAY_IN_YEAR: (d) => dayInYear(d),
  DAY_ONLY: (d) => d.toISOString().slice(0, 10),
  // The fiscal year of a default org starts in January.
  FISCAL_MONTH: (d) => d.getUTCMonth() + 1,
  FISCAL_QUARTER: (d) => Math.floor(d.getUTCMonth() / 3) + 1,
  FISCAL_YEAR: (d) => d.getUTCFullYear(),
  HOUR_IN_DAY: (d) => d.getUTCHours(),
  WEEK_IN_MONTH: (d) => Math.floor((d.getUTCDate() - 1) / 7) + 1,
  WEEK_IN_YEAR: (d) => Math.floor((dayInYear(d) - 1) / 7) + 1,
};

function dayInYear(d: Date): number {
  return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

export function isDateFunction(name: string): boolean {
  return name.toUpperCase() in DATE_FUNCTIONS;
}

/** A scalar (non-aggregate) function applied to one field's value. */
export interface ScalarFunction {
  kind: ValueKind;
  apply: (v: FieldValue | null) => FieldValue | null;
}

/** The scalar functions SOQL allows on a field, or undefined for anything else. */
export function scalarFunction(name: string, field: FieldDef): ScalarFunction | undefined {
  const upper = name.toUpperCase();
  const date = DATE_FUNCTIONS[upper];
  if (date) {
    return {
      kind: upper === 'DAY_ONLY' ? 'date' : 'number',
      apply: (v) => {
        if (isNull(v)) return null;
        const ms = parseSfDateTime(String(v));
        return ms === undefined ? null : date(new Date(ms));
      },
    };
  }
  switch (upper) {
    case 'TOLABEL': {
      const labels = new Map((field.picklistValues ?? []).map((p) => [p.value, p.label ?? p.value]));
      const label = (s: string) => labels.get(s) ?? s;
      return {
        kind: 'string',
        apply: (v) => (isNull(v) ? null : field.type === 'multipicklist' ? String(v).split(';').map(label).join(';') : label(String(v))),
      };
    }
    // One currency and one time zone (GMT) in the emulator: converting is the identity.
    case 'CONVERTCURRENCY':
    case 'CONVERTTIMEZONE':
      return { kind: kindOf(field), apply: (v) => v };
    case 'FORMAT':
      return { kind: 'string', apply: (v) => (isNull(v) ? null : typeof v === 'number' ? v.toLocaleString('en-US') : String(v)) };
    default:
      return undefined;
  }
}

/** The field a function reads, looking through nesting such as `HOUR_IN_DAY(convertTimezone(CreatedDate))`. */
export function innermostParameter(fn: FunctionExp): { field: string | undefined; wrappers: string[] } {
  const wrappers: string[] = [];
  let cur: FunctionExp | string | undefined = fn;
  while (cur && typeof cur !== 'string') {
    wrappers.push(cur.functionName ?? '');
    cur = cur.parameters?.[0];
  }
  return { field: cur, wrappers };
}
