/**
 * Conversion of mapped values to what the TARGET field takes, built once per field at compile
 * time so the per-record path is a closure call: no lookups by name, no describe reads.
 * Converters see non-empty values only; apply.ts handles null, '' and "no value".
 */
import type { FieldValue } from '../sync/types.js';
import { activePicklistValues, fieldKind, type DescribeField, type FieldKind } from './describe.js';
import { Invalid, PROBLEM_CODES as P, quote } from './problems.js';

export type Converter = (value: unknown) => FieldValue | Invalid;

export interface ConverterOptions {
  /** Cut text to the field length instead of refusing it. */
  truncate?: boolean;
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SF_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;
const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'off']);
/** The range Salesforce stores dates and datetimes in. */
const MIN_YEAR = 1700;
const MAX_YEAR = 4000;

/** One value out of a JSONata sequence of one; several values or an object cannot fill one field. */
function scalarOf(value: unknown, field: string): FieldValue | Invalid {
  if (Array.isArray(value)) {
    if (value.length === 1) return scalarOf(value[0], field);
    return new Invalid(P.NOT_A_SCALAR, `${field} takes one value; got ${value.length} values`);
  }
  if (typeof value === 'object' && value !== null) return new Invalid(P.NOT_A_SCALAR, `${field} takes one value; got an object`);
  if (typeof value === 'function' || typeof value === 'bigint' || typeof value === 'symbol') {
    return new Invalid(P.NOT_A_SCALAR, `${field} takes one value; got a ${typeof value}`);
  }
  return value as FieldValue;
}

function textOf(v: string | number | boolean): string {
  return typeof v === 'string' ? v : String(v);
}

function fitLength(text: string, field: DescribeField, truncate: boolean | undefined): string | Invalid {
  const max = field.length;
  if (!max || text.length <= max) return text;
  if (!truncate) return new Invalid(P.STRING_TOO_LONG, `${field.name} takes at most ${max} characters; the value has ${text.length}`);
  // Never leave half of a surrogate pair at the cut.
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function textConverter(field: DescribeField, opts: ConverterOptions, check?: (s: string) => Invalid | undefined): Converter {
  return (value) => {
    const v = scalarOf(value, field.name);
    if (v instanceof Invalid || v === null) return v;
    const fitted = fitLength(textOf(v), field, opts.truncate);
    if (fitted instanceof Invalid || !check) return fitted;
    return check(fitted) ?? fitted;
  };
}

/** Canonical spelling by lower-cased value: "gold" is written as the org's "Gold". */
function picklistIndex(field: DescribeField): Map<string, string> {
  const index = new Map<string, string>();
  for (const v of activePicklistValues(field)) if (!index.has(v.toLowerCase())) index.set(v.toLowerCase(), v);
  return index;
}

function restrictedMessage(field: DescribeField, value: string): string {
  return `${quote(value)} is not a value of the restricted picklist ${field.name}`;
}

function picklistConverter(field: DescribeField, opts: ConverterOptions): Converter {
  const index = picklistIndex(field);
  const restricted = !!field.restrictedPicklist;
  return (value) => {
    const v = scalarOf(value, field.name);
    if (v instanceof Invalid || v === null) return v;
    const text = textOf(v);
    const known = index.get(text.toLowerCase());
    if (known !== undefined) return known;
    if (restricted) return new Invalid(P.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, restrictedMessage(field, text));
    return fitLength(text, field, opts.truncate);
  };
}

/** Items of a multi-select value, from `A;B` or a list, trimmed, empty ones and repeats dropped. */
export function multiSelectItems(value: unknown): string[] | Invalid {
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? value.split(';') : [value];
  const out: string[] = [];
  for (const item of raw) {
    if (item === null || item === undefined) continue;
    if (typeof item === 'object') return new Invalid(P.NOT_A_SCALAR, 'a multi-select value takes text items; got an object');
    const text = String(item).trim();
    if (text && !out.includes(text)) out.push(text);
  }
  return out;
}

function multiPicklistConverter(field: DescribeField, opts: ConverterOptions): Converter {
  const index = picklistIndex(field);
  const restricted = !!field.restrictedPicklist;
  return (value) => {
    const items = multiSelectItems(value);
    if (items instanceof Invalid) return items;
    const out: string[] = [];
    for (const item of items) {
      const known = index.get(item.toLowerCase());
      if (known === undefined && restricted) return new Invalid(P.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, restrictedMessage(field, item));
      const v = known ?? item;
      if (!out.includes(v)) out.push(v);
    }
    if (!out.length) return null;
    return fitLength(out.join(';'), field, opts.truncate);
  };
}

function numberOf(value: unknown, field: DescribeField): number | null | Invalid {
  const v = scalarOf(value, field.name);
  if (v instanceof Invalid || v === null) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return new Invalid(P.INVALID_NUMBER, `${field.name} takes a finite number; got ${String(v)}`);
    return v;
  }
  const text = v.trim();
  if (!NUMERIC.test(text)) return new Invalid(P.INVALID_NUMBER, `${field.name} takes a number; got ${quote(v)}`);
  return Number(text);
}

/** Half away from zero, as Salesforce rounds; decimal-exponent arithmetic avoids 1.005 → 1.00. */
export function roundToScale(n: number, scale: number): number {
  const sign = n < 0 ? -1 : 1;
  const abs = Math.abs(n);
  // Past 2^53 a double has no fraction left to round.
  if (abs * 10 ** Math.max(scale, 0) >= Number.MAX_SAFE_INTEGER) return n;
  if (scale <= 0) return sign * Math.round(abs) || 0;
  const text = String(abs);
  const shifted = text.includes('e') ? Math.round(abs * 10 ** scale) / 10 ** scale : Number(`${Math.round(Number(`${text}e${scale}`))}e-${scale}`);
  return sign * shifted || 0;
}

function numberConverter(field: DescribeField): Converter {
  const scale = field.scale ?? 0;
  const precision = field.precision ?? 0;
  const intDigits = precision > 0 ? precision - scale : 0;
  const limit = intDigits > 0 ? 10 ** intDigits : Infinity;
  return (value) => {
    const n = numberOf(value, field);
    if (n instanceof Invalid || n === null) return n;
    const rounded = roundToScale(n, scale);
    if (Math.abs(rounded) >= limit) {
      return new Invalid(P.NUMBER_OUTSIDE_VALID_RANGE, `${field.name} takes at most ${intDigits} digits before the decimal point; got ${String(n)}`);
    }
    return rounded;
  };
}

const INT32 = 2 ** 31;

function intConverter(field: DescribeField): Converter {
  const digits = field.digits || field.precision || 0;
  const limit = digits > 0 ? Math.min(10 ** digits, INT32) : INT32;
  return (value) => {
    const n = numberOf(value, field);
    if (n instanceof Invalid || n === null) return n;
    if (!Number.isInteger(n)) return new Invalid(P.INVALID_INTEGER, `${field.name} takes a whole number; got ${String(n)}`);
    if (Math.abs(n) >= limit) {
      const what = digits > 0 && 10 ** digits <= INT32 ? `at most ${digits} digits` : 'a 32-bit whole number';
      return new Invalid(P.NUMBER_OUTSIDE_VALID_RANGE, `${field.name} takes ${what}; got ${String(n)}`);
    }
    return n;
  };
}

function booleanConverter(field: DescribeField): Converter {
  return (value) => {
    const v = scalarOf(value, field.name);
    if (v instanceof Invalid || v === null) return v;
    if (typeof v === 'boolean') return v;
    if (v === 1 || v === 0) return v === 1;
    const word = String(v).trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return new Invalid(P.INVALID_BOOLEAN, `${field.name} takes true or false; got ${quote(v)}`);
  };
}

function validCalendar(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * A point in time from ISO 8601 and Salesforce forms (`2024-05-01`, `2024-05-01T10:00:00.000+0000`,
 * `2024-05-01 10:00:00Z`) or epoch milliseconds. No zone means UTC, as Salesforce writes them.
 */
export function parseInstant(value: string | number): { ms: number; dateOnly: boolean } | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? { ms: value, dateOnly: false } : undefined;
  const text = value.trim();
  const d = DATE.exec(text);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    return validCalendar(y, m, day) ? { ms: Date.UTC(y, m - 1, day), dateOnly: true } : undefined;
  }
  const t = DATETIME.exec(text);
  if (!t) return undefined;
  const [y, m, day, hh, mm, ss] = [1, 2, 3, 4, 5, 6].map((i) => Number(t[i] ?? 0)) as [number, number, number, number, number, number];
  if (!validCalendar(y, m, day) || hh > 23 || mm > 59 || ss > 59) return undefined;
  const ms = Number((t[7] ?? '0').slice(0, 3).padEnd(3, '0'));
  let offset = 0;
  const zone = t[8];
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 14 || om > 59) return undefined;
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return { ms: Date.UTC(y, m - 1, day, hh, mm, ss, ms) - offset, dateOnly: false };
}

function instantOf(value: unknown, field: DescribeField, code: typeof P.INVALID_DATE | typeof P.INVALID_DATETIME, expected: string): Date | null | Invalid {
  const v = scalarOf(value, field.name);
  if (v instanceof Invalid || v === null) return v;
  const parsed = typeof v === 'boolean' ? undefined : parseInstant(v);
  if (!parsed) return new Invalid(code, `${field.name} takes ${expected}; got ${quote(v)}`);
  const date = new Date(parsed.ms);
  const year = date.getUTCFullYear();
  if (Number.isNaN(parsed.ms) || year < MIN_YEAR || year > MAX_YEAR) {
    return new Invalid(code, `${field.name} takes dates from ${MIN_YEAR} to ${MAX_YEAR}; got ${quote(v)}`);
  }
  return date;
}

function dateConverter(field: DescribeField): Converter {
  return (value) => {
    const d = instantOf(value, field, P.INVALID_DATE, 'a date (YYYY-MM-DD) or a datetime');
    return d instanceof Date ? d.toISOString().slice(0, 10) : d;
  };
}

function dateTimeConverter(field: DescribeField): Converter {
  return (value) => {
    const d = instantOf(value, field, P.INVALID_DATETIME, 'a datetime (ISO 8601, e.g. 2024-05-01T10:00:00.000Z) or a date');
    return d instanceof Date ? d.toISOString() : d;
  };
}

function timeConverter(field: DescribeField): Converter {
  return (value) => {
    const v = scalarOf(value, field.name);
    if (v instanceof Invalid || v === null) return v;
    const text = String(v).trim();
    const t = TIME.exec(text);
    if (t) {
      const [hh, mm, ss] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
      if (hh <= 23 && mm <= 59 && ss <= 59) {
        return `${t[1]}:${t[2]}:${String(ss).padStart(2, '0')}.${(t[4] ?? '0').padEnd(3, '0')}Z`;
      }
    }
    const instant = typeof v === 'string' ? parseInstant(v) : undefined;
    if (instant && !instant.dateOnly) return `${new Date(instant.ms).toISOString().slice(11, 23)}Z`;
    return new Invalid(P.INVALID_TIME, `${field.name} takes a time (HH:mm:ss.SSSZ); got ${quote(v)}`);
  };
}

function emailCheck(field: DescribeField) {
  return (s: string) => (EMAIL.test(s) ? undefined : new Invalid(P.INVALID_EMAIL_ADDRESS, `${field.name} takes an e-mail address; got ${quote(s)}`));
}

function idCheck(field: DescribeField) {
  return (s: string) => (SF_ID.test(s) ? undefined : new Invalid(P.MALFORMED_ID, `${field.name} takes a 15- or 18-character record Id; got ${quote(s)}`));
}

export function converterFor(field: DescribeField, opts: ConverterOptions = {}): Converter {
  const kind: FieldKind = fieldKind(field);
  switch (kind) {
    case 'text':
      return textConverter(field, opts, field.type === 'email' ? emailCheck(field) : undefined);
    case 'picklist':
      return picklistConverter(field, opts);
    case 'multipicklist':
      return multiPicklistConverter(field, opts);
    case 'number':
      return numberConverter(field);
    case 'int':
      return intConverter(field);
    case 'boolean':
      return booleanConverter(field);
    case 'date':
      return dateConverter(field);
    case 'datetime':
      return dateTimeConverter(field);
    case 'time':
      return timeConverter(field);
    case 'id':
      return textConverter(field, {}, idCheck(field));
    case 'compound':
      return () => new Invalid(P.UNSUPPORTED_TYPE, `${field.name} is a compound ${field.type} field; map its component fields instead`);
    case 'binary':
    case 'other':
      return (value) => scalarOf(value, field.name);
  }
}

/** What an empty value becomes: checkboxes cannot hold null, so they take false. */
export function emptyValueFor(field: DescribeField): FieldValue {
  return field.type === 'boolean' ? false : null;
}

/** No value to write: null, undefined, '' and empty lists alike (Salesforce stores '' as null). */
export function isEmptyValue(value: unknown): boolean {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}
