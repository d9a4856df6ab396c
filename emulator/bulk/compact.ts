import type { ObjectSchema } from '../schema/org-schema.js';
import type { StoredRecord } from '../store/types.js';
import type { Table } from '../store/table.js';

/**
 * The DML layer builds a record by adding its fifty-odd fields one at a time, which leaves the V8
 * object in dictionary mode: about 3.5 KB per Account, so a million-row job would need some
 * 3.5 GB of heap. After a batch commits, each record it wrote is swapped in the table's row map
 * for a copy with the same keys and values cloned from one fixed-shape template (about 0.8 KB).
 * Indexes hold Ids, not objects, so nothing else needs to change; values are identical, so no
 * reader can tell.
 */
interface Shape {
  keys: string[];
  index: Set<string>;
  template: Record<string, unknown>;
}

const shapes = new WeakMap<ObjectSchema, Shape>();

function shapeFor(schema: ObjectSchema, keys: string[]): Shape {
  let s = shapes.get(schema);
  if (!s || s.keys.length !== keys.length) {
    // JSON.parse builds objects with fast properties; spreading one copies its hidden class.
    const template = JSON.parse(JSON.stringify(Object.fromEntries(keys.map((k) => [k, null])))) as Record<string, unknown>;
    s = { keys, index: new Set(keys), template };
    shapes.set(schema, s);
  }
  return s;
}

/** Stamps are one string per write; equal ones within a batch share a single copy. */
const STAMPS = ['CreatedDate', 'LastModifiedDate', 'SystemModstamp'];

export class Compactor {
  private stamp: string | undefined;

  constructor(private readonly table: Table) {}

  compact(id: string): void {
    const r = this.table.rows.get(id);
    if (!r) return;
    const keys = Object.keys(r);
    const shape = shapeFor(this.table.schema, keys);
    if (keys.length !== shape.keys.length) return;
    for (let i = 0; i < keys.length; i++) if (!shape.index.has(keys[i]!)) return;
    const copy = { ...shape.template } as Record<string, unknown>;
    const rec = r as Record<string, unknown>;
    for (let i = 0; i < shape.keys.length; i++) {
      const k = shape.keys[i]!;
      copy[k] = rec[k];
    }
    for (const k of STAMPS) {
      const v = copy[k];
      if (typeof v !== 'string') continue;
      if (v === this.stamp) copy[k] = this.stamp;
      else this.stamp = v;
    }
    this.table.rows.set(id, copy as StoredRecord);
  }
}
