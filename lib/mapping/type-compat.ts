/**
 * Whether a source field's values can go into a target field, decided from the two describes:
 * `ok` always converts, `warning` converts for some values only (text into a number), `error`
 * never does (a checkbox into a date). Used at compile time and by the editor's auto-map.
 */
import { activePicklistValues, fieldKind, type DescribeField, type FieldKind } from './describe.js';

export type CompatibilityLevel = 'ok' | 'warning' | 'error';

export interface Compatibility {
  level: CompatibilityLevel;
  /** Why, for warnings and errors. */
  reason?: string;
}

type Row = Partial<Record<FieldKind, CompatibilityLevel>>;

const TEXTUAL: FieldKind[] = ['text', 'picklist', 'multipicklist'];
const fromText = (level: CompatibilityLevel): Row => Object.fromEntries(TEXTUAL.map((k) => [k, level]));

/** target kind → source kind → level; a missing cell is an error. */
const MATRIX: Record<FieldKind, Row> = {
  text: { text: 'ok', picklist: 'ok', multipicklist: 'ok', int: 'ok', number: 'ok', boolean: 'ok', date: 'ok', datetime: 'ok', time: 'ok', id: 'ok', binary: 'warning', other: 'warning' },
  picklist: { text: 'ok', picklist: 'ok', multipicklist: 'warning', int: 'warning', number: 'warning', boolean: 'warning', other: 'warning' },
  multipicklist: { text: 'ok', picklist: 'ok', multipicklist: 'ok', other: 'warning' },
  int: { ...fromText('warning'), int: 'ok', number: 'warning', boolean: 'warning', other: 'warning' },
  number: { ...fromText('warning'), int: 'ok', number: 'ok', boolean: 'warning', other: 'warning' },
  boolean: { ...fromText('warning'), boolean: 'ok', int: 'warning', number: 'warning', other: 'warning' },
  date: { ...fromText('warning'), date: 'ok', datetime: 'ok', other: 'warning' },
  datetime: { ...fromText('warning'), date: 'ok', datetime: 'ok', other: 'warning' },
  time: { ...fromText('warning'), time: 'ok', datetime: 'warning', other: 'warning' },
  id: { text: 'warning', other: 'warning' },
  compound: {},
  binary: { binary: 'ok', text: 'warning' },
  other: { text: 'warning', picklist: 'warning', int: 'warning', number: 'warning', boolean: 'warning', date: 'warning', datetime: 'warning', other: 'warning' },
};

const KIND_WORDS: Record<FieldKind, string> = {
  text: 'text',
  picklist: 'picklist',
  multipicklist: 'multi-select picklist',
  int: 'integer',
  number: 'number',
  boolean: 'checkbox',
  date: 'date',
  datetime: 'datetime',
  time: 'time',
  id: 'Id',
  compound: 'compound',
  binary: 'binary',
  other: 'other',
};

export function describeKind(field: DescribeField): string {
  return `${KIND_WORDS[fieldKind(field)]} (${field.type})`;
}

function listed(values: string[]): string {
  const shown = values.slice(0, 5).map((v) => `"${v}"`).join(', ');
  return values.length > 5 ? `${shown} and ${values.length - 5} more` : shown;
}

/** The plain type question, before value maps and truncation are taken into account. */
export function typeCompatibility(source: DescribeField, target: DescribeField): Compatibility {
  const s = fieldKind(source);
  const t = fieldKind(target);
  if (s === 'compound') return { level: 'error', reason: `${source.name} is a compound field; map its component fields` };
  if (s === 'id' && t === 'id') {
    return { level: 'error', reason: `${source.name} holds source-org Ids, which do not exist in the target; map it under relationships` };
  }
  const level = MATRIX[t][s] ?? 'error';
  const pair = `${describeKind(source)} into ${describeKind(target)}`;
  if (level === 'error') return { level, reason: `${pair} cannot convert` };
  if (level === 'warning') return { level, reason: `${pair}: some values may not convert` };
  return { level: 'ok' };
}

/**
 * Everything known before the first record: the type pair, text longer than the target takes,
 * numbers with more decimals or digits, picklist values the target's restricted list lacks.
 * `mapped` are the values a value map turns source values into (with `hasDefault` when unmapped
 * ones have somewhere to go); without a value map, source values must fit the target as they are.
 */
export function fieldCompatibility(
  source: DescribeField,
  target: DescribeField,
  opts: { truncate?: boolean; valueMapKeys?: Set<string>; hasDefault?: boolean; caseInsensitive?: boolean } = {},
): Compatibility[] {
  const out: Compatibility[] = [];
  const base = typeCompatibility(source, target);
  if (base.level !== 'ok') out.push(base);
  if (base.level === 'error') return out;
  const s = fieldKind(source);
  const t = fieldKind(target);
  const textual = (k: FieldKind) => TEXTUAL.includes(k);
  // Picklist lengths say nothing about their (short) values, so only free text is compared.
  if (s === 'text' && textual(t) && !opts.truncate && !opts.valueMapKeys && source.length && target.length && source.length > target.length) {
    out.push({ level: 'warning', reason: `${source.name} holds up to ${source.length} characters, ${target.name} takes ${target.length}: longer values are rejected (set "truncate": true to cut them)` });
  }
  if ((s === 'number' || s === 'int') && t === 'number') {
    const sScale = s === 'int' ? 0 : (source.scale ?? 0);
    const tScale = target.scale ?? 0;
    if (sScale > tScale) out.push({ level: 'warning', reason: `${source.name} has ${sScale} decimals, ${target.name} ${tScale}: values are rounded` });
    const sDigits = s === 'int' ? source.digits || source.precision || 0 : (source.precision ?? 0) - sScale;
    const tDigits = (target.precision ?? 0) - tScale;
    if (sDigits > 0 && tDigits > 0 && sDigits > tDigits) out.push({ level: 'warning', reason: `${source.name} allows ${sDigits} integer digits, ${target.name} ${tDigits}: larger values are rejected` });
  }
  if ((s === 'picklist' || s === 'multipicklist') && (t === 'picklist' || t === 'multipicklist') && target.restrictedPicklist && !opts.hasDefault) {
    const allowed = new Set(activePicklistValues(target).map((v) => v.toLowerCase()));
    const norm = (v: string) => (opts.caseInsensitive ? v.toLowerCase() : v);
    const missing = activePicklistValues(source).filter((v) => !opts.valueMapKeys?.has(norm(v)) && !allowed.has(v.toLowerCase()));
    if (missing.length) {
      out.push({ level: 'warning', reason: `source values ${listed(missing)} are not in the restricted picklist ${target.name}${opts.valueMapKeys ? ' nor in the value map' : ''}: records with them are rejected (map them or give a default)` });
    }
  }
  return out;
}
