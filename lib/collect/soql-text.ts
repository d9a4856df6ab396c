/**
 * SOQL text from untrusted values. Every piece of a query the collector builds goes through one of
 * these: values are quoted and escaped by Salesforce's rules, record Ids are checked to be Ids,
 * names are checked to be API names, and filters are built from structured conditions. Nothing a
 * message carries is ever pasted into a query as text.
 *
 * The one exception is by design: a flow author may write a raw `where` clause in the node's
 * configuration (see `CollectionRequest.where` in plan.ts). That text comes from the person who
 * deploys the flow, like a query in a core node's settings; it must never be filled from `msg`.
 * Values that arrive in messages go through `filterClause`.
 */
import { toId18 } from './record-ids.js';

/** Input that cannot be turned into safe SOQL; the message says what was wrong and where. */
export class SoqlInputError extends Error {
  readonly code = 'INVALID_SOQL_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'SoqlInputError';
  }
}

// Salesforce's escape sequences for quoted strings. A backslash before anything else is an error
// there, so exactly these characters are escaped and nothing else.
const STRING_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function escapeString(value: string): string {
  return value.replace(/[\\'"\n\r\t\b\f]/g, (ch) => STRING_ESCAPES[ch]!);
}

/** A quoted SOQL string literal: `O'Brien` becomes `'O\'Brien'`. */
export function soqlString(value: string): string {
  if (typeof value !== 'string') throw new SoqlInputError(`expected a text value, got ${describeValue(value)}`);
  return `'${escapeString(value)}'`;
}

/** A LIKE pattern whose `%` and `_` match themselves, for startsWith/contains/endsWith. */
function literalLikeText(value: string): string {
  return escapeString(value).replace(/%/g, '\\%').replace(/_/g, '\\_');
}

/** A number as SOQL writes it: plain digits, never exponent notation, never NaN or Infinity. */
export function soqlNumber(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new SoqlInputError(`expected a finite number, got ${describeValue(value)}`);
  const s = String(value);
  return /e/i.test(s) ? value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 }) : s;
}

/**
 * `('001…','001…')` for an `IN` clause. Every entry must be a 15- or 18-character record Id;
 * anything else is refused with its position, so a stray name or a quote never reaches the query.
 * Ids are given back in their 18-character form, duplicates dropped.
 */
export function soqlIdList(ids: readonly unknown[]): string {
  return `(${normalizeIds(ids).map((id) => `'${id}'`).join(',')})`;
}

/** The 18-character forms of `ids`, in order, without duplicates; throws on the first non-Id. */
export function normalizeIds(ids: readonly unknown[]): string[] {
  if (!Array.isArray(ids) || ids.length === 0) throw new SoqlInputError('expected a non-empty list of record Ids');
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    const id18 = toId18(id);
    if (!id18) {
      throw new SoqlInputError(`record Id #${i + 1} (${describeValue(id)}) is not a Salesforce Id: Ids are 15 or 18 letters and digits`);
    }
    seen.add(id18);
  });
  return [...seen];
}

// API names: a letter first, then letters, digits and single underscores, with `__` only before a
// suffix or after a namespace (`ns__Field__c`, `Parent__r`, `Geo__Latitude__s`). Only letters,
// digits and underscores can pass, so a name can never end a clause or open a string.
const NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_)[A-Za-z0-9]|__[A-Za-z0-9])*$/;
const MAX_NAME = 120;
/** SOQL allows five levels of parent relationships in a path. */
const MAX_PATH_SEGMENTS = 6;
const RESERVED = new Set(
  'AND OR NOT IN LIKE INCLUDES EXCLUDES SELECT FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET NULL TRUE FALSE WITH USING SCOPE TYPEOF FOR ASC DESC NULLS'.split(' '),
);

/**
 * An object or field API name, unchanged, or a SoqlInputError. With `path`, a relationship path
 * such as `Account.Owner.Name` is accepted too.
 */
export function soqlIdentifier(name: string, options: { path?: boolean } = {}): string {
  if (typeof name !== 'string' || !name) throw new SoqlInputError(`expected an API name, got ${describeValue(name)}`);
  const segments = name.split('.');
  if (segments.length > 1 && !options.path) throw new SoqlInputError(`'${clip(name)}' is not an API name: no dots allowed here`);
  if (segments.length > MAX_PATH_SEGMENTS) throw new SoqlInputError(`'${clip(name)}' goes more than ${MAX_PATH_SEGMENTS - 1} relationships deep`);
  for (const s of segments) {
    if (s.length > MAX_NAME || !NAME.test(s) || RESERVED.has(s.toUpperCase())) {
      throw new SoqlInputError(`'${clip(name)}' is not an API name (letters, digits and underscores, starting with a letter, like Name or My_Field__c)`);
    }
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Structured filters.
// ---------------------------------------------------------------------------------------------

export type FilterScalar = string | number | boolean | null;

export type FilterOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like' | 'startsWith' | 'contains' | 'endsWith';

/**
 * One field's condition: a value (equals), a list (IN), `{op, value}`, `{in: [...]}` or
 * `{notIn: [...]}`. `like` takes the value's `%` and `_` as wildcards; startsWith, contains and
 * endsWith match the value literally.
 */
export type FilterCondition =
  | FilterScalar
  | Date
  | FilterScalar[]
  | { op: FilterOperator; value: FilterScalar | Date }
  | { in: Array<FilterScalar | Date> }
  | { notIn: Array<FilterScalar | Date> };

/** Field path (e.g. `Industry`, `Account.Name`) to condition; conditions are ANDed. */
export type Filter = Record<string, FilterCondition>;

export interface FilterOptions {
  /**
   * The describe type of a field path (`string`, `date`, `datetime`, `int`, `currency`, `boolean`,
   * `reference`…), when known: values are then checked and written as that type (dates unquoted,
   * Ids validated). Unknown paths are written by the value's JavaScript type.
   */
  fieldType?: (path: string) => string | undefined;
}

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);
const TEXT_MATCH = new Set(['like', 'startsWith', 'contains', 'endsWith']);
const NUMBER_TYPES = new Set(['int', 'double', 'currency', 'percent', 'long']);
const ID_TYPES = new Set(['id', 'reference']);
const DATE_LITERAL =
  /^(?:YESTERDAY|TODAY|TOMORROW|(?:LAST|THIS|NEXT)_(?:WEEK|MONTH|QUARTER|YEAR|FISCAL_QUARTER|FISCAL_YEAR)|(?:LAST|NEXT)_90_DAYS|(?:LAST|NEXT)_N_(?:DAYS|WEEKS|MONTHS|QUARTERS|YEARS|FISCAL_QUARTERS|FISCAL_YEARS):\d{1,4}|N_(?:DAYS|WEEKS|MONTHS|QUARTERS|YEARS|FISCAL_QUARTERS|FISCAL_YEARS)_AGO:\d{1,4})$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * A WHERE clause (without the keyword) from structured conditions, e.g.
 * `filterClause({Industry: 'Banking', AnnualRevenue: {op: '>=', value: 1e6}})` gives
 * `Industry = 'Banking' AND AnnualRevenue >= 1000000`. Field names must be API names, operators
 * come from a fixed list, and every value is escaped, so no part of a filter can change the
 * query's structure.
 */
export function filterClause(filter: Filter, options: FilterOptions = {}): string {
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) throw new SoqlInputError('a filter must be an object of field: condition');
  const entries = Object.entries(filter);
  if (!entries.length) throw new SoqlInputError('the filter has no conditions');
  return entries.map(([path, cond]) => conditionText(soqlIdentifier(path, { path: true }), cond, options.fieldType?.(path))).join(' AND ');
}

function conditionText(path: string, cond: FilterCondition, type: string | undefined): string {
  if (Array.isArray(cond)) return listText(path, 'IN', cond, type);
  if (cond === null || typeof cond !== 'object' || cond instanceof Date) return `${path} = ${valueText(path, cond, type)}`;
  const keys = Object.keys(cond);
  if ('in' in cond && keys.length === 1) return listText(path, 'IN', cond.in, type);
  if ('notIn' in cond && keys.length === 1) return listText(path, 'NOT IN', cond.notIn, type);
  if ('op' in cond && keys.every((k) => k === 'op' || k === 'value')) {
    const { op, value } = cond;
    if (COMPARISONS.has(op)) {
      if (value === null && op !== '=' && op !== '!=') throw new SoqlInputError(`${path}: only = and != can compare with null`);
      return `${path} ${op} ${valueText(path, value, type)}`;
    }
    if (TEXT_MATCH.has(op)) return `${path} LIKE ${likeText(path, op, value, type)}`;
    throw new SoqlInputError(`${path}: unknown operator ${describeValue(op)} (use =, !=, <, <=, >, >=, like, startsWith, contains, endsWith)`);
  }
  throw new SoqlInputError(`${path}: a condition is a value, a list, {op, value}, {in: [...]} or {notIn: [...]}`);
}

function listText(path: string, keyword: 'IN' | 'NOT IN', values: unknown, type: string | undefined): string {
  if (!Array.isArray(values) || values.length === 0) throw new SoqlInputError(`${path}: ${keyword} needs a non-empty list of values`);
  return `${path} ${keyword} (${values.map((v) => valueText(path, v, type)).join(',')})`;
}

function likeText(path: string, op: string, value: unknown, type: string | undefined): string {
  if (typeof value !== 'string') throw new SoqlInputError(`${path}: ${op} needs a text value, got ${describeValue(value)}`);
  if (type && (NUMBER_TYPES.has(type) || type === 'boolean' || type === 'date' || type === 'datetime')) {
    throw new SoqlInputError(`${path}: ${op} works on text fields, not on ${type}`);
  }
  if (op === 'like') return soqlString(value);
  const text = literalLikeText(value);
  return op === 'startsWith' ? `'${text}%'` : op === 'endsWith' ? `'%${text}'` : `'%${text}%'`;
}

/** One value, written as the field's type when known, else as its own JavaScript type. */
function valueText(path: string, value: unknown, type: string | undefined): string {
  if (value === null) return 'NULL';
  if (type === 'date' || type === 'datetime') return dateText(path, value, type);
  if (type && NUMBER_TYPES.has(type)) {
    const n = typeof value === 'string' && /^-?\d+(?:\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number') throw new SoqlInputError(`${path} is a number field; ${describeValue(value)} is not a number`);
    return soqlNumber(n);
  }
  if (type === 'boolean') {
    if (value === true || value === 'true') return 'TRUE';
    if (value === false || value === 'false') return 'FALSE';
    throw new SoqlInputError(`${path} is a checkbox; use true or false, not ${describeValue(value)}`);
  }
  if (type && ID_TYPES.has(type)) {
    const id = toId18(value);
    if (!id) throw new SoqlInputError(`${path} holds record Ids; ${describeValue(value)} is not one`);
    return `'${id}'`;
  }
  if (type) {
    if (typeof value === 'string') return soqlString(value);
    if (typeof value === 'number' || typeof value === 'boolean') return soqlString(String(value));
    throw new SoqlInputError(`${path}: cannot compare with ${describeValue(value)}`);
  }
  if (typeof value === 'string') return soqlString(value);
  if (typeof value === 'number') return soqlNumber(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(path, value, 'datetime');
  throw new SoqlInputError(`${path}: cannot compare with ${describeValue(value)}`);
}

function dateText(path: string, value: unknown, type: 'date' | 'datetime'): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new SoqlInputError(`${path}: invalid date`);
    const iso = value.toISOString();
    return type === 'date' ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'string') {
    const v = value.trim();
    if (DATE_LITERAL.test(v)) return v.toUpperCase();
    if (type === 'date' && ISO_DATE.test(v)) return v;
    if (type === 'datetime' && ISO_DATETIME.test(v)) return v;
    if (type === 'datetime' && ISO_DATE.test(v)) return `${v}T00:00:00Z`;
  }
  const shape = type === 'date' ? 'YYYY-MM-DD' : 'YYYY-MM-DDThh:mm:ssZ';
  throw new SoqlInputError(`${path} is a ${type} field; use ${shape} or a date literal such as LAST_N_DAYS:30, not ${describeValue(value)}`);
}

/** Joins clauses with AND, each in parentheses so an OR inside one cannot leak into the others. */
export function andClauses(...clauses: Array<string | undefined>): string | undefined {
  const parts = clauses.filter((c): c is string => !!c && c.trim().length > 0);
  if (!parts.length) return undefined;
  return parts.length === 1 ? parts[0] : parts.map((c) => `(${c})`).join(' AND ');
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${clip(v)}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : typeof v;
}
