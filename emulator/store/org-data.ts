import { OrgSchema, type ObjectSchema } from '../schema/org-schema.js';
import { Table } from './table.js';
import type { StoredRecord } from './types.js';

/** Every table of one org. Read side used by SOQL, REST and the control API. */
export class OrgData {
  private readonly tables = new Map<string, Table>();

  constructor(readonly schema: OrgSchema) {
    for (const o of schema.objects()) this.tables.set(o.name.toLowerCase(), new Table(o));
  }

  /** The table of an object (case-insensitive), created on first use for objects added to the schema later. */
  table(objectName: string): Table | undefined {
    const lower = objectName.toLowerCase();
    let t = this.tables.get(lower);
    if (!t) {
      const o: ObjectSchema | undefined = this.schema.object(objectName);
      if (!o) return undefined;
      t = new Table(o);
      this.tables.set(lower, t);
    }
    return t;
  }

  /** Finds a record anywhere in the org by its Id (key prefix picks the table). */
  findById(id: string): { table: Table; record: StoredRecord } | undefined {
    const o = this.schema.objectForId(id);
    if (!o) return undefined;
    const table = this.table(o.name)!;
    const record = table.get(id);
    return record ? { table, record } : undefined;
  }

  allTables(): Table[] {
    for (const o of this.schema.objects()) this.table(o.name);
    return [...this.tables.values()];
  }

  clear(): void {
    for (const t of this.tables.values()) t.clear();
  }
}
