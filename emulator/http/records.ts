import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import type { StoredRecord } from '../store/types.js';

export function recordUrl(apiVersion: string, type: string, id: string): string {
  return `/services/data/v${apiVersion}/sobjects/${type}/${id}`;
}

/** The nested value of an address or location field, built from its component fields. */
export function compoundValue(o: ObjectSchema, field: FieldDef, r: StoredRecord): Record<string, unknown> | null {
  const parts = (field.components ?? []).map((name) => o.field(name)).filter((f): f is FieldDef => !!f);
  if (!parts.length) return null;
  const prefix = field.name.replace(/(Address|Location)$/, '');
  const value: Record<string, unknown> = {};
  let any = false;
  for (const p of parts) {
    const raw = r[p.name] ?? null;
    if (raw !== null) any = true;
    let key = p.name.startsWith(prefix) ? p.name.slice(prefix.length) : p.name;
    key = key.replace(/__s$/, '');
    value[key.charAt(0).toLowerCase() + key.slice(1)] = raw;
  }
  return any ? value : null;
}

/** A record as the REST API returns it: attributes first, then the chosen fields in canonical case. */
export function shapeRecord(o: ObjectSchema, r: StoredRecord, apiVersion: string, fields?: FieldDef[]): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: { type: o.name, url: recordUrl(apiVersion, o.name, r.Id) } };
  for (const f of fields ?? o.fields) {
    if (f.type === 'address' || f.type === 'location') out[f.name] = compoundValue(o, f, r);
    else out[f.name] = r[f.name] ?? null;
  }
  return out;
}
