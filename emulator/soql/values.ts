import type { FieldDef } from '../schema/types.js';
import type { FieldValue } from '../store/types.js';
import { parseSfDateTime, sfDateTime } from '../util/clock.js';

/** How SOQL compares and sorts a field's values. */
export type ValueKind = 'string' | 'id' | 'number' | 'boolean' | 'date' | 'datetime' | 'time' | 'multipicklist' | 'compound';

export function kindOf(f: Pick<FieldDef, 'type'>): ValueKind {
  switch (f.type) {
    case 'id':
    case 'reference':
      return 'id';
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'time':
      return 'time';
    case 'multipicklist':
      return 'multipicklist';
    case 'address':
    case 'location':
      return 'compound';
    default:
      return 'string';
  }
}

/** The type name real filter-type errors use ("must be of type dateTime"). */
export function soapTypeName(f: Pick<FieldDef, 'type'>): string {
  switch (f.type) {
    case 'int':
      return 'integer';
    case 'double':
    case 'currency':
    case 'percent':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'dateTime';
    case 'time':
      return 'time';
    case 'id':
    case 'reference':
      return 'id';
    default:
      return 'string';
  }
}

/** Empty strings are how some writers express null; SOQL treats both alike. */
export function isNull(v: FieldValue | undefined): v is null | undefined {
  return v === null || v === undefined || v === '';
}

/**
 * Stored datetimes are `YYYY-MM-DDTHH:mm:ss.SSS+0000`, so they compare correctly as strings.
 * Anything else (an older writer, an offset) is brought to that form first.
 */
export function canonicalDateTime(v: string): string {
  if (v.length === 28 && v.charCodeAt(10) === 84 /* T */ && v.endsWith('+0000')) return v;
  const ms = parseSfDateTime(v);
  return ms === undefined ? v : sfDateTime(ms);
}

export function canonicalDate(v: string): string {
  return v.length === 10 ? v : v.slice(0, 10);
}

/**
 * A comparable form of a stored value for its kind: strings fold case (SOQL compares text
 * case-insensitively), dates and datetimes become their canonical string, booleans 0/1.
 */
export function comparable(kind: ValueKind, v: FieldValue | undefined): string | number | null {
  if (isNull(v)) return null;
  switch (kind) {
    case 'number':
      return typeof v === 'number' ? v : Number(v);
    case 'boolean':
      return v === true || v === 'true' ? 1 : 0;
    case 'datetime':
      return canonicalDateTime(String(v));
    case 'date':
      return canonicalDate(String(v));
    case 'id':
    case 'time':
      return String(v);
    default:
      return String(v).toLowerCase();
  }
}

export function compareComparable(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The values of a multi-select picklist, lower-cased for case-insensitive INCLUDES/EXCLUDES. */
export function multipicklistSet(v: FieldValue | undefined): Set<string> {
  if (isNull(v)) return new Set();
  return new Set(
    String(v)
      .split(';')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}
