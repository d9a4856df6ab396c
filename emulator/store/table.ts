import type { FieldDef } from '../schema/types.js';
import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldValue, StoredRecord } from './types.js';

/** The key under which a unique or external Id value is indexed (case-insensitive unless the field says not). */
export function indexKey(field: FieldDef, value: FieldValue): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const text = String(value);
  return field.caseSensitive ? text : text.toLowerCase();
}

/**
 * The records of one object in one org, live and in the recycle bin (IsDeleted), with an index per
 * unique/external Id field and a reverse index per reference field (parent Id -> child Ids) so that
 * lookups by external Id and child subqueries never scan the table.
 */
export class Table {
  readonly rows = new Map<string, StoredRecord>();
  private readonly uniqueIndexes = new Map<string, Map<string, string[]>>();
  private readonly referenceIndexes = new Map<string, Map<string, Set<string>>>();
  /** The same indexes with their field definitions, for the per-record hot path. */
  private readonly uniqueFields: Array<[FieldDef, Map<string, string[]>]> = [];
  private readonly referenceFields: Array<[FieldDef, Map<string, Set<string>>]> = [];
  private liveCount = 0;

  constructor(readonly schema: ObjectSchema) {
    for (const f of schema.indexedFields) {
      const index = new Map<string, string[]>();
      this.uniqueIndexes.set(f.name.toLowerCase(), index);
      this.uniqueFields.push([f, index]);
    }
    for (const f of schema.fields) {
      // Audit lookups hold every row under a handful of users and no query needs them indexed.
      if (f.type !== 'reference' || AUDIT_FIELDS.has(f.name)) continue;
      const index = new Map<string, Set<string>>();
      this.referenceIndexes.set(f.name.toLowerCase(), index);
      this.referenceFields.push([f, index]);
    }
  }

  get name(): string {
    return this.schema.name;
  }

  /** Number of records not in the recycle bin. */
  get size(): number {
    return this.liveCount;
  }

  get(id: string): StoredRecord | undefined {
    return this.rows.get(id);
  }

  scan(): IterableIterator<StoredRecord> {
    return this.rows.values();
  }

  isIndexed(fieldName: string): boolean {
    return this.uniqueIndexes.has(fieldName.toLowerCase());
  }

  /** Records (live or deleted) whose indexed field equals `value`. */
  lookup(fieldName: string, value: FieldValue): StoredRecord[] {
    const f = this.schema.field(fieldName);
    const index = this.uniqueIndexes.get(fieldName.toLowerCase());
    if (!f || !index) throw new Error(`${this.name}.${fieldName} is not indexed`);
    const key = indexKey(f, value);
    if (key === undefined) return [];
    return (index.get(key) ?? []).map((id) => this.rows.get(id)).filter((r): r is StoredRecord => !!r);
  }

  /** True when `childIds` can answer for this reference field (audit fields are not indexed). */
  hasChildIndex(fieldName: string): boolean {
    return this.referenceIndexes.has(fieldName.toLowerCase());
  }

  /** Ids of records whose reference field points at `parentId`. */
  childIds(fieldName: string, parentId: string): ReadonlySet<string> {
    return this.referenceIndexes.get(fieldName.toLowerCase())?.get(parentId) ?? EMPTY;
  }

  /** Puts a record in (replacing any with the same Id) and keeps the indexes current. */
  put(record: StoredRecord): void {
    const old = this.rows.get(record.Id);
    if (old) this.unindex(old);
    this.rows.set(record.Id, record);
    this.index(record);
    if (old && !old.IsDeleted) this.liveCount--;
    if (!record.IsDeleted) this.liveCount++;
  }

  /** Removes a record for good (hard delete, recycle-bin purge, rollback of a create). */
  remove(id: string): StoredRecord | undefined {
    const old = this.rows.get(id);
    if (!old) return undefined;
    this.unindex(old);
    this.rows.delete(id);
    if (!old.IsDeleted) this.liveCount--;
    return old;
  }

  clear(): void {
    this.rows.clear();
    for (const m of this.uniqueIndexes.values()) m.clear();
    for (const m of this.referenceIndexes.values()) m.clear();
    this.liveCount = 0;
  }

  private index(r: StoredRecord): void {
    for (const [f, index] of this.uniqueFields) {
      const key = indexKey(f, r[f.name] ?? null);
      if (key === undefined) continue;
      const ids = index.get(key);
      if (ids) ids.push(r.Id);
      else index.set(key, [r.Id]);
    }
    for (const [f, index] of this.referenceFields) {
      const parent = r[f.name];
      if (typeof parent !== 'string' || !parent) continue;
      let set = index.get(parent);
      if (!set) index.set(parent, (set = new Set()));
      set.add(r.Id);
    }
  }

  private unindex(r: StoredRecord): void {
    for (const [f, index] of this.uniqueFields) {
      const key = indexKey(f, r[f.name] ?? null);
      if (key === undefined) continue;
      const ids = index.get(key);
      if (!ids) continue;
      const rest = ids.filter((id) => id !== r.Id);
      if (rest.length) index.set(key, rest);
      else index.delete(key);
    }
    for (const [f, index] of this.referenceFields) {
      const parent = r[f.name];
      if (typeof parent !== 'string' || !parent) continue;
      const set = index.get(parent);
      if (!set) continue;
      set.delete(r.Id);
      if (!set.size) index.delete(parent);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const AUDIT_FIELDS = new Set(['CreatedById', 'LastModifiedById']);
