import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import type { FieldValue, StoredRecord } from './types.js';

interface Factory {
  fieldCount: number;
  make: () => StoredRecord;
}

const factories = new WeakMap<ObjectSchema, Factory>();

/** What a field holds on create when no value is given. */
export function createDefault(f: FieldDef): FieldValue {
  if (f.defaultValue !== undefined) return f.defaultValue;
  return f.type === 'boolean' ? false : null;
}

/**
 * A new record of the object with every stored field at its create default (Id empty).
 *
 * Built by a function returning one object literal: V8 copies it from a boilerplate with all
 * properties in-object, so every record of an object shares one hidden class. Adding fifty-odd
 * fields one by one instead leaves records in dictionary mode at about four times the memory, which
 * a million-record table cannot afford. Field names and defaults are embedded as JSON literals.
 */
export function blankRecord(o: ObjectSchema): StoredRecord {
  let f = factories.get(o);
  if (!f || f.fieldCount !== o.fields.length) {
    f = { fieldCount: o.fields.length, make: factoryFor(o) };
    factories.set(o, f);
  }
  return f.make();
}

function factoryFor(o: ObjectSchema): () => StoredRecord {
  const template: Record<string, FieldValue> = { Id: '', IsDeleted: false };
  for (const field of o.fields) {
    // Compound address/location fields are views over their components, never stored.
    if (field.type === 'address' || field.type === 'location' || field.name === 'Id' || field.name === 'IsDeleted') continue;
    template[field.name] = createDefault(field);
  }
  const body = Object.entries(template)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(',\n');
  return new Function(`return {\n${body}\n};`) as () => StoredRecord;
}
