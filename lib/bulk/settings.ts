/**
 * The settings of a bulk-read node, checked: what the admin typed in the dialog, as the engine
 * takes it, or the problems in words. A message may then give the date range, the placeholder
 * values and a restart (see `runRequest`), never SOQL.
 */
import { SoqlInputError } from '../collect/soql-text.js';
import { placeholders, readCondition, type ReadFilterSettings } from './read-filter.js';
import { DEFAULT_BULK_THRESHOLD } from './read-path.js';
import { dateRanges, RANGE_UNITS, type RangeUnit } from './date-ranges.js';

export interface BulkSettingsInput {
  objects?: unknown;
  where?: unknown;
  dateField?: unknown;
  from?: unknown;
  to?: unknown;
  owner?: unknown;
  include?: unknown;
  exclude?: unknown;
  queryAll?: unknown;
  path?: unknown;
  threshold?: unknown;
  checkpointName?: unknown;
  mode?: unknown;
  rangeUnit?: unknown;
  check?: unknown;
}

export interface BulkSettings {
  objects: string[];
  filter: ReadFilterSettings;
  include: string[];
  exclude: string[];
  queryAll: boolean;
  /** 'auto': the threshold decides per object. */
  path: 'auto' | 'bulk' | 'rest';
  threshold: number;
  checkpointName: string;
  /** 'load': one read of the objects; 'backfill': by date ranges of the date field, oldest first. */
  mode: 'load' | 'backfill';
  rangeUnit: RangeUnit;
  /** Count each backfill range in the source and the ledger once it is written. */
  check: boolean;
}

/** What a message that starts a run may set. */
export interface RunRequest {
  params?: Record<string, unknown>;
  from?: string;
  to?: string;
  /** Forget where an earlier run stood and read every object anew. */
  restart: boolean;
}

const API_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const FIELD = /^(?:[A-Za-z][A-Za-z0-9_]*\.)?[A-Za-z][A-Za-z0-9_]*$/;
const list = (v: unknown) => String(v ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
const text = (v: unknown) => String(v ?? '').trim();

export function bulkSettings(input: BulkSettingsInput): { settings: BulkSettings; problems: string[] } {
  const problems: string[] = [];
  const objects = [...new Set(list(input.objects))];
  if (!objects.length) problems.push('Objects: name at least one object to read, parents first, e.g. Account, Contact, Opportunity');
  for (const o of objects) if (!API_NAME.test(o)) problems.push(`Objects: '${o}' is not an object API name`);
  const include = list(input.include);
  const exclude = list(input.exclude);
  for (const f of [...include, ...exclude]) if (!FIELD.test(f)) problems.push(`Fields: '${f}' is not a field API name (Phone, or Contact.Phone for one object's)`);
  if (include.length && exclude.length) problems.push('Fields: give either the fields to read or the fields to leave out, not both');
  const mode = text(input.mode) || 'load';
  if (mode !== 'load' && mode !== 'backfill') problems.push(`Mode: '${mode}' is neither load (one read) nor backfill (by date ranges)`);
  const rangeUnit = (text(input.rangeUnit) || 'month') as RangeUnit;
  if (!RANGE_UNITS.includes(rangeUnit)) problems.push(`Ranges: '${rangeUnit}' is none of ${RANGE_UNITS.join(', ')}`);
  // A backfill cuts by CreatedDate unless told otherwise.
  if (mode === 'backfill' && !text(input.dateField)) input = { ...input, dateField: 'CreatedDate' };
  const filter: ReadFilterSettings = { where: text(input.where), dateField: text(input.dateField), from: text(input.from), to: text(input.to), owner: text(input.owner) };
  if ((filter.from || filter.to) && !filter.dateField) problems.push('Date range: choose the date field the range is on, e.g. CreatedDate');
  if (filter.dateField && !API_NAME.test(filter.dateField)) problems.push(`Date field: '${filter.dateField}' is not a field API name`);
  // The shapes of the range are checked now, as a datetime field would take them; the field's own type once the org is asked.
  problems.push(...rangeProblems(filter, 'Date range'));
  if (mode === 'backfill') problems.push(...spanProblems(filter.from, filter.to, 'Backfill'));
  const path = text(input.path) || 'auto';
  if (path !== 'auto' && path !== 'bulk' && path !== 'rest') problems.push(`Read through: '${path}' is none of auto, bulk and rest`);
  const thresholdText = text(input.threshold);
  const threshold = thresholdText === '' ? DEFAULT_BULK_THRESHOLD : Number(thresholdText);
  if (!Number.isInteger(threshold) || threshold < 0) problems.push(`Bulk from: '${thresholdText}' is not a number of records (0 or more; 0 reads every object through Bulk)`);
  return {
    settings: {
      objects, filter, include, exclude, queryAll: input.queryAll === true || input.queryAll === 'true',
      path: path as BulkSettings['path'], threshold: Number.isInteger(threshold) && threshold >= 0 ? threshold : DEFAULT_BULK_THRESHOLD,
      checkpointName: text(input.checkpointName),
      mode: mode === 'backfill' ? 'backfill' : 'load',
      rangeUnit: RANGE_UNITS.includes(rangeUnit) ? rangeUnit : 'month',
      check: input.check === undefined || input.check === '' || input.check === true || input.check === 'true',
    },
    problems,
  };
}

/** A backfill's span is cut into ranges: it takes dates, not date literals. */
function spanProblems(from: string | undefined, to: string | undefined, label: string): string[] {
  try {
    if (from || to) dateRanges(from || '1970-01-01', 'year', { end: to || undefined, now: new Date() });
    return [];
  } catch (err) {
    return [`${label}: ${(err as Error).message}`];
  }
}

function rangeProblems(filter: ReadFilterSettings, label: string): string[] {
  if (!filter.dateField || !API_NAME.test(filter.dateField)) return [];
  try {
    readCondition({ dateField: filter.dateField, from: filter.from, to: filter.to }, undefined, () => 'datetime');
    return [];
  } catch (err) {
    return [`${label}: ${(err as Error).message}`];
  }
}

/**
 * What a message asks of a run: `msg.payload` may be an object with `params` (values of the
 * WHERE's placeholders), `from` and `to` (the date range, instead of the node's) and `restart`.
 * Anything else in it is refused by name, so a typo is not silently a full read.
 */
export function runRequest(settings: BulkSettings, payload: unknown): RunRequest {
  const p = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  const known = new Set(['params', 'from', 'to', 'restart']);
  const unknown = Object.keys(p).filter((k) => !known.has(k));
  if (unknown.length) throw new SoqlInputError(`msg.payload.${unknown[0]} is not something a bulk read takes; it takes params, from, to and restart`);
  if (p.params !== undefined && (p.params === null || typeof p.params !== 'object' || Array.isArray(p.params))) {
    throw new SoqlInputError('msg.payload.params must be an object of placeholder: value, e.g. { industry: "Energy" }');
  }
  const params = p.params as Record<string, unknown> | undefined;
  const missing = placeholders(settings.filter.where ?? '').filter((name) => !params || !Object.prototype.hasOwnProperty.call(params, name));
  if (missing.length) throw new SoqlInputError(`the WHERE uses :${missing[0]}, and msg.payload.params has no '${missing[0]}': send msg.payload = { params: { ${missing[0]}: … } }`);
  for (const k of ['from', 'to'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'string') throw new SoqlInputError(`msg.payload.${k} must be a date text (YYYY-MM-DD, an ISO datetime or a literal such as LAST_N_MONTHS:3)`);
  }
  const from = p.from as string | undefined;
  const to = p.to as string | undefined;
  if ((from || to) && !settings.filter.dateField) throw new SoqlInputError('msg.payload gives a date range, and the node has no date field to apply it to: set Date field in the node');
  const problems = rangeProblems({ ...settings.filter, from: from ?? settings.filter.from, to: to ?? settings.filter.to }, 'msg.payload');
  if (settings.mode === 'backfill') problems.push(...spanProblems(from ?? settings.filter.from, to ?? settings.filter.to, 'msg.payload'));
  if (problems.length) throw new SoqlInputError(problems[0]!);
  return { params, from, to, restart: p.restart === true };
}
