import type { Mapping, MappingValue } from '../../../lib/mapping/format.js';
import type { DescribeField } from '../../../lib/mapping/describe.js';
import { NONE, NULL, P, s, type Side } from './session.js';
import { chosenConnection } from '../../shared/editor/org-api.js';

// Small helpers for the dialog's inputs: pickers (datalists), typed values, expressions.

export function fillDatalist(id: string, options: Array<[string, string]>): void {
  const list = $(`#${id}`).empty();
  for (const [value, label] of options) $('<option>').attr('value', value).text(label).appendTo(list);
}

export function text(el: JQuery): string {
  return String(el.val() ?? '').trim();
}

export function connectionOf(side: Side): string {
  return chosenConnection(`#node-input-${side}`);
}

export function objectOf(side: Side): string {
  return text($(`#${P}-${side}-object`));
}

export function fieldLabel(f: DescribeField): string {
  return `${f.label} (${f.type}${f.length && f.type !== 'picklist' ? ` ${f.length}` : ''})`;
}

/** The typedInput's single line shows newlines as tabs; the document keeps the newlines. */
export function toLine(expr: string | undefined): string {
  return (expr ?? '').replace(/\n/g, '\t');
}

export function fromLine(value: string): string {
  return value.replace(/\t/g, '\n').trim();
}

export function scalarTypes(withNone: boolean): Array<string | { value: string; label: string; hasValue: boolean }> {
  const t = s().t;
  return [
    ...(withNone ? [{ value: NONE, label: t('label.none'), hasValue: false }] : []),
    'str', 'num', 'bool',
    { value: NULL, label: t('label.null'), hasValue: false },
  ];
}

export function setScalar(input: JQuery, value: MappingValue | undefined, absentType: string): void {
  if (value === undefined) input.typedInput('type', absentType);
  else if (value === null) input.typedInput('type', NULL);
  else {
    input.typedInput('type', typeof value === 'number' ? 'num' : typeof value === 'boolean' ? 'bool' : 'str');
    input.typedInput('value', String(value));
  }
}

export function readScalar(input: JQuery): MappingValue | undefined {
  const type = input.typedInput('type');
  const v = input.typedInput('value');
  if (type === NONE) return undefined;
  if (type === NULL) return null;
  if (type === 'num') return v.trim() === '' || Number.isNaN(Number(v)) ? v : Number(v);
  if (type === 'bool') return v === 'true';
  return v;
}

export function optionalExpression(input: JQuery): string | undefined {
  if (input.typedInput('type') === NONE) return undefined;
  return fromLine(input.typedInput('value')) || undefined;
}

export function setOptionalExpression(input: JQuery, expr: string | undefined): void {
  input.typedInput('type', expr ? 'jsonata' : NONE);
  if (expr) input.typedInput('value', toLine(expr));
}

/** JSON with sorted keys: two documents with the same content compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export function parseDocument(textValue: string): Partial<Mapping> | undefined {
  try {
    const doc = JSON.parse(textValue) as unknown;
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Partial<Mapping>) : undefined;
  } catch {
    return undefined;
  }
}

export function notify(message: string, type: 'success' | 'warning' | 'error' | 'compact' = 'success'): void {
  RED.notify(message, { type, timeout: 4000 });
}
