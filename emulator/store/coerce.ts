import { errors, SfError } from '../errors.js';
import type { FieldDef } from '../schema/types.js';
import { parseSfDateTime, sfDateTime } from '../util/clock.js';
import { normalizeId } from '../util/ids.js';
import type { FieldValue } from './types.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function deserializeError(kind: string, value: unknown): SfError {
  const token = typeof value === 'string' ? 'VALUE_STRING' : typeof value === 'number' ? 'VALUE_NUMBER_INT' : 'VALUE_TRUE';
  return new SfError(
    'JSON_PARSER_ERROR',
    `Cannot deserialize instance of ${kind} from ${token} value ${String(value)} or request may be missing a required field`,
    400,
  );
}

/**
 * Turns a value from an API request into the stored wire form of the field's type, or throws the
 * error the real API gives for it (lengths, numbers, dates, emails, restricted picklists, Id shapes).
 */
export function coerceFieldValue(field: FieldDef, raw: unknown): FieldValue {
  if (raw === null || raw === undefined) return null;
  switch (field.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw deserializeError('boolean', raw);
    case 'int': {
      const n = toNumber(raw, 'int');
      if (!Number.isInteger(n)) throw deserializeError('int', raw);
      checkDigits(field, n);
      return n;
    }
    case 'double':
    case 'currency':
    case 'percent': {
      const n = toNumber(raw, 'double');
      checkDigits(field, n);
      const scale = field.scale ?? 0;
      return scale >= 0 ? Number(n.toFixed(Math.min(scale, 18))) : n;
    }
    case 'date': {
      if (typeof raw !== 'string') throw deserializeError('date', raw);
      const ms = parseSfDateTime(raw);
      if (ms === undefined) throw deserializeError('date', raw);
      return new Date(ms).toISOString().slice(0, 10);
    }
    case 'datetime': {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw deserializeError('datetime', raw);
      const ms = typeof raw === 'number' ? raw : parseSfDateTime(raw);
      if (ms === undefined) throw deserializeError('datetime', raw);
      return sfDateTime(ms);
    }
    case 'time': {
      if (typeof raw !== 'string' || !/^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?$/.test(raw)) throw deserializeError('time', raw);
      const [hms = '', ms = '000'] = raw.replace('Z', '').split('.');
      const parts = hms.split(':');
      while (parts.length < 3) parts.push('00');
      return `${parts.join(':')}.${ms.padEnd(3, '0')}Z`;
    }
    case 'id':
    case 'reference': {
      const text = String(raw);
      if (text === '') return null;
      const id = normalizeId(text);
      if (!id) throw new SfError('MALFORMED_ID', `${field.label}: id value of incorrect type: ${text}`, 400, [field.name]);
      return id;
    }
    case 'picklist':
    case 'multipicklist':
      return checkPicklist(field, String(raw));
    case 'address':
    case 'location':
      throw errors.fieldsNotWritable([field.name]);
    default: {
      if (typeof raw === 'object') throw deserializeError('String', JSON.stringify(raw));
      const text = String(raw);
      if (field.type === 'email' && text !== '' && !EMAIL.test(text)) {
        throw new SfError('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${text}`, 400, [field.name]);
      }
      checkLength(field, text);
      return text === '' ? null : text;
    }
  }
}

function toNumber(raw: unknown, kind: string): number {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  throw deserializeError(kind, raw);
}

function checkDigits(field: FieldDef, n: number): void {
  const intDigits = field.type === 'int' ? field.digits ?? 9 : (field.precision ?? 18) - (field.scale ?? 0);
  if (Math.abs(Math.trunc(n)).toString().length > Math.max(intDigits, 1)) {
    throw new SfError(
      'NUMBER_OUTSIDE_VALID_RANGE',
      `${field.label}: value outside of valid range on numeric field: ${n}`,
      400,
      [field.name],
    );
  }
}

function checkLength(field: FieldDef, text: string): void {
  if (field.length && text.length > field.length) {
    throw new SfError(
      'STRING_TOO_LONG',
      `${field.label}: data value too large: ${text.length > 200 ? text.slice(0, 200) + '...' : text} (max length=${field.length})`,
      400,
      [field.name],
    );
  }
}

function checkPicklist(field: FieldDef, text: string): FieldValue {
  if (text === '') return null;
  const values = field.type === 'multipicklist' ? text.split(';').map((v) => v.trim()).filter(Boolean) : [text];
  if (field.restrictedPicklist) {
    const allowed = new Set((field.picklistValues ?? []).filter((p) => p.active !== false).map((p) => p.value));
    for (const v of values) {
      if (!allowed.has(v)) {
        throw new SfError(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field.label}: bad value for restricted picklist field: ${v}`,
          400,
          [field.name],
        );
      }
    }
  }
  const joined = values.join(';');
  checkLength(field, joined);
  return joined;
}
