import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import { compoundValue, isCompound } from '../soql/compound.js';
import type { StoredRecord } from '../store/types.js';

export function recordUrl(apiVersion: string, type: string, id: string): string {
  return `/services/data/v${apiVersion}/sobjects/${type}/${id}`;
}

/** A record as the REST API returns it: attributes first, then the chosen fields in canonical case. */
export function shapeRecord(o: ObjectSchema, r: StoredRecord, apiVersion: string, fields?: FieldDef[]): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: { type: o.name, url: recordUrl(apiVersion, o.name, r.Id) } };
  for (const f of fields ?? o.fields) out[f.name] = isCompound(f) ? compoundValue(o, f, r) : (r[f.name] ?? null);
  return out;
}
