/**
 * Bulk API results are CSV: every value a string, an empty field for null. This turns a row back
 * into the values the REST API gives for the same record, by the object's describe, so that a
 * record read in bulk maps, hashes and compares exactly as one read by REST (a sync that switches
 * between the two never sees a change that is not there):
 * numbers as numbers, checkboxes as booleans, empty as null, datetimes in the REST form
 * (`2025-01-06T12:00:00.000+0000`, where Bulk writes `…Z`), everything else as the text it is.
 * Columns the describe does not know (relationship columns such as `Parent.Name`) stay text.
 */
import type { FieldValue } from '../sync/types.js';

export interface BulkColumnField {
  name: string;
  type: string;
}

const NUMERIC = new Set(['int', 'double', 'currency', 'percent', 'long']);

type Convert = (text: string) => FieldValue;

const asText: Convert = (t) => (t === '' ? null : t);
const asNumber: Convert = (t) => {
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
};
const asBoolean: Convert = (t) => (t === '' ? null : t.toLowerCase() === 'true');
const asDateTime: Convert = (t) => {
  if (t === '') return null;
  // 2025-01-06T12:00:00.000Z (Bulk) → 2025-01-06T12:00:00.000+0000 (REST); other forms as given.
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?Z$/.exec(t);
  if (!m) return t;
  const ms = (m[2] ?? '.000').padEnd(4, '0');
  return `${m[1]}${ms}+0000`;
};

function converterFor(type: string | undefined): Convert {
  if (type === undefined) return asText;
  if (NUMERIC.has(type)) return asNumber;
  if (type === 'boolean') return asBoolean;
  if (type === 'datetime') return asDateTime;
  return asText;
}

/** A function that converts rows of these columns; built once per result, used for every row. */
export function bulkRowConverter(fields: readonly BulkColumnField[]): (row: Record<string, string>) => Record<string, FieldValue> {
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const cache = new Map<string, { name: string; convert: Convert }>();
  const columnOf = (column: string) => {
    let c = cache.get(column);
    if (!c) {
      const f = byName.get(column.toLowerCase());
      // The describe's spelling, as REST records carry it; unknown columns keep their own.
      c = { name: f?.name ?? column, convert: converterFor(f?.type) };
      cache.set(column, c);
    }
    return c;
  };
  return (row) => {
    const out: Record<string, FieldValue> = {};
    // for…in, not Object.entries: no pair arrays made for every field of every row.
    for (const column in row) {
      const c = columnOf(column);
      out[c.name] = c.convert(row[column]!);
    }
    return out;
  };
}
