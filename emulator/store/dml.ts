import { randomUUID } from 'node:crypto';
import { errors, SfError } from '../errors.js';
import type { ObjectSchema } from '../schema/org-schema.js';
import type { FieldDef } from '../schema/types.js';
import type { Clock } from '../util/clock.js';
import { sfDateTime } from '../util/clock.js';
import type { IdFactory } from '../util/ids.js';
import { normalizeId } from '../util/ids.js';
import { coerceFieldValue } from './coerce.js';
import { blankRecord } from './record-factory.js';
import type { OrgData } from './org-data.js';
import type { Table } from './table.js';
import type { CommittedTransaction, FieldValue, RecordChange, StoredRecord, WriteContext } from './types.js';

const SYSTEM_FIELDS = new Set(['id', 'isdeleted', 'createddate', 'createdbyid', 'lastmodifieddate', 'lastmodifiedbyid', 'systemmodstamp']);

export interface UpsertResult {
  id: string;
  created: boolean;
}

/** What the DML engine needs from its org. */
export interface DmlHost {
  data: OrgData;
  clock: Clock;
  ids: IdFactory;
  /** Called with every committed transaction that changed something (the CDC publisher listens). */
  onCommit(tx: CommittedTransaction): void;
  /** Throws UNABLE_TO_LOCK_ROW when a fault holds a lock on this record. */
  checkLock(id: string): void;
}

interface UndoEntry {
  table: Table;
  id: string;
  before: StoredRecord | undefined;
}

/** Thrown for an upsert whose external Id value matches several records (REST answers 300). */
export class MultipleMatchesError extends SfError {
  constructor(readonly ids: string[], field: string) {
    super('DUPLICATE_EXTERNAL_ID', `${field}: more than one record found for external id field: ${ids.join(', ')}`, 300);
  }
}

/**
 * One database transaction: every write validates fully before it changes anything, so a failed
 * write leaves no trace; `rollback` undoes earlier writes of the same transaction (allOrNone).
 */
export class Transaction {
  private readonly undo: UndoEntry[] = [];
  private readonly changes: RecordChange[] = [];
  private finished = false;

  constructor(
    private readonly host: DmlHost,
    readonly context: WriteContext,
  ) {}

  private get data(): OrgData {
    return this.host.data;
  }

  /** A marker to roll back to: used to undo one failed record's partial work inside a larger call. */
  savepoint(): number {
    return this.undo.length;
  }

  rollbackTo(savepoint: number): void {
    while (this.undo.length > savepoint) {
      const u = this.undo.pop()!;
      if (u.before) u.table.put(u.before);
      else u.table.remove(u.id);
    }
    this.changes.splice(this.changesAt.get(savepoint) ?? this.changes.length);
  }

  private readonly changesAt = new Map<number, number>();

  private write(table: Table, record: StoredRecord, change: RecordChange): void {
    this.changesAt.set(this.undo.length, this.changes.length);
    this.undo.push({ table, id: record.Id, before: table.get(record.Id) });
    table.put(record);
    this.changes.push(change);
  }

  objectSchema(objectName: string): ObjectSchema {
    const o = this.data.schema.object(objectName);
    if (!o) throw new SfError('NOT_FOUND', 'The requested resource does not exist', 404);
    return o;
  }

  insert(objectName: string, input: Record<string, unknown>): string {
    const o = this.objectSchema(objectName);
    if (o.def.createable === false) {
      throw new SfError('INVALID_TYPE_FOR_OPERATION', `entity type cannot be inserted: ${o.name}`, 400);
    }
    if (input.Id !== undefined || input.id !== undefined) {
      throw new SfError('INVALID_FIELD_FOR_INSERT_UPDATE', 'Record ID: cannot specify Id in an insert call', 400, ['Id']);
    }
    const values = this.readInput(o, input, 'create');
    const now = sfDateTime(this.host.clock.now());
    const table = this.data.table(o.name)!;
    const id = this.host.ids.next(o.keyPrefix);
    const record = blankRecord(o);
    record.Id = id;
    for (const [name, value] of Object.entries(values)) record[name] = value;
    this.applySystemFields(o, record, now, true);
    applyDerivedFields(o, record);
    const missing = o.fields
      .filter((f) => requiredOnCreate(f) && (record[f.name] === null || record[f.name] === undefined))
      .map((f) => f.name);
    if (missing.length) {
      throw new SfError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, 400, missing);
    }
    this.checkUnique(table, record);
    const fields: Record<string, FieldValue> = {};
    for (const [k, v] of Object.entries(record)) if (v !== null && k !== 'IsDeleted' && k !== 'SystemModstamp') fields[k] = v;
    this.write(table, record, { changeType: 'CREATE', object: o.name, id, fields, changedFields: [], nulledFields: [] });
    return id;
  }

  update(objectName: string, rawId: string, input: Record<string, unknown>): void {
    const o = this.objectSchema(objectName);
    const id = this.requireId(o, rawId);
    const table = this.data.table(o.name)!;
    const before = table.get(id);
    if (!before) throw new SfError('NOT_FOUND', 'The requested resource does not exist', 404);
    if (before.IsDeleted) throw new SfError('ENTITY_IS_DELETED', 'entity is deleted', 404);
    this.host.checkLock(id);
    const values = this.readInput(o, input, 'update');
    const after: StoredRecord = { ...before, ...values };
    applyDerivedFields(o, after);
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    const nulled = changed.filter((k) => after[k] === null);
    for (const f of o.fields) {
      if (requiredOnCreate(f) && f.name in values && values[f.name] === null) {
        throw new SfError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${f.name}]`, 400, [f.name]);
      }
    }
    this.applySystemFields(o, after, sfDateTime(this.host.clock.now()), false);
    this.checkUnique(table, after);
    const fields: Record<string, FieldValue> = {};
    for (const k of changed) fields[k] = after[k]!;
    if (o.field('LastModifiedDate')) fields.LastModifiedDate = after.LastModifiedDate!;
    const changedFields = [...changed];
    if (o.field('LastModifiedDate') && !changedFields.includes('LastModifiedDate')) changedFields.push('LastModifiedDate');
    if (before.LastModifiedById !== after.LastModifiedById && !changedFields.includes('LastModifiedById')) {
      changedFields.push('LastModifiedById');
      fields.LastModifiedById = after.LastModifiedById!;
    }
    this.write(table, after, { changeType: 'UPDATE', object: o.name, id, fields, changedFields, nulledFields: nulled });
  }

  /** Upsert by an external Id field (or `Id`): insert when nothing matches, update when one does. */
  upsert(objectName: string, extFieldName: string, extValue: unknown, input: Record<string, unknown>): UpsertResult {
    const o = this.objectSchema(objectName);
    const f = o.field(extFieldName);
    if (!f || !(f.externalId || f.name === 'Id')) {
      throw new SfError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${extFieldName}`, 404);
    }
    const table = this.data.table(o.name)!;
    const body = { ...input };
    for (const k of Object.keys(body)) if (k.toLowerCase() === f.name.toLowerCase()) delete body[k];
    if (f.name === 'Id') {
      if (extValue === undefined || extValue === null || extValue === '') {
        return { id: this.insert(o.name, body), created: true };
      }
      this.update(o.name, String(extValue), body);
      return { id: normalizeId(extValue)!, created: false };
    }
    if (extValue === undefined || extValue === null || extValue === '') {
      throw new SfError('MISSING_ARGUMENT', `${f.name} not specified`, 400, [f.name]);
    }
    const matches = table.lookup(f.name, coerceFieldValue(f, extValue)).filter((r) => !r.IsDeleted);
    if (matches.length > 1) throw new MultipleMatchesError(matches.map((r) => r.Id), f.name);
    if (matches.length === 1) {
      const id = matches[0]!.Id;
      this.update(o.name, id, body);
      return { id, created: false };
    }
    return { id: this.insert(o.name, { ...body, [f.name]: extValue }), created: true };
  }

  /** Soft delete: the record and its cascade-delete children go to the recycle bin; lookups to it are cleared. */
  delete(rawId: string, expectedObject?: string): string {
    const id = normalizeId(rawId);
    if (!id) throw new SfError('MALFORMED_ID', `malformed id ${rawId}`, 400);
    const found = this.data.findById(id);
    if (!found || (expectedObject && found.table.name.toLowerCase() !== expectedObject.toLowerCase())) {
      throw new SfError('NOT_FOUND', 'The requested resource does not exist', 404);
    }
    if (found.record.IsDeleted) throw new SfError('ENTITY_IS_DELETED', 'entity is deleted', 404);
    if (found.table.schema.def.deletable === false) {
      throw new SfError('INVALID_TYPE_FOR_OPERATION', `entity type cannot be deleted: ${found.table.name}`, 400);
    }
    this.host.checkLock(id);
    this.checkRestrictedDelete(found.table, id);
    this.deleteCascade(found.table, found.record, sfDateTime(this.host.clock.now()));
    return id;
  }

  private checkRestrictedDelete(table: Table, id: string): void {
    for (const rel of table.schema.childRelationships) {
      if (!rel.restrictedDelete) continue;
      const child = this.data.table(rel.childSObject)!;
      const live = [...child.childIds(rel.field, id)].filter((cid) => !child.get(cid)?.IsDeleted);
      if (live.length) {
        throw new SfError(
          'DELETE_FAILED',
          `Your attempt to delete ${table.name} ${id} could not be completed because it is associated with the following ${child.schema.def.labelPlural.toLowerCase()}: ${live.length}`,
          400,
        );
      }
    }
  }

  private deleteCascade(table: Table, record: StoredRecord, now: string): void {
    const deleted: StoredRecord = { ...record, IsDeleted: true, SystemModstamp: now };
    this.write(table, deleted, { changeType: 'DELETE', object: table.name, id: record.Id, fields: {}, changedFields: [], nulledFields: [] });
    for (const rel of table.schema.childRelationships) {
      const child = this.data.table(rel.childSObject)!;
      for (const cid of [...child.childIds(rel.field, record.Id)]) {
        const c = child.get(cid);
        if (!c || c.IsDeleted) continue;
        if (rel.cascadeDelete) {
          this.deleteCascade(child, c, now);
        } else if (child.schema.field(rel.field)?.nillable) {
          // Real orgs clear lookups that point at a deleted record.
          const cleared: StoredRecord = { ...c, [rel.field]: null, SystemModstamp: now };
          this.write(child, cleared, {
            changeType: 'UPDATE',
            object: child.name,
            id: cid,
            fields: { [rel.field]: null },
            changedFields: [rel.field],
            nulledFields: [rel.field],
          });
        }
      }
    }
  }

  /** Restores a record from the recycle bin with the children that were deleted with it. */
  undelete(rawId: string): void {
    const id = normalizeId(rawId);
    const found = id ? this.data.findById(id) : undefined;
    if (!found) throw new SfError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 400);
    if (!found.record.IsDeleted) throw new SfError('UNDELETE_FAILED', 'Entity is not in the recycle bin', 400);
    this.undeleteCascade(found.table, found.record, sfDateTime(this.host.clock.now()));
  }

  private undeleteCascade(table: Table, record: StoredRecord, now: string): void {
    const restored: StoredRecord = { ...record, IsDeleted: false, SystemModstamp: now, LastModifiedDate: now };
    if ('LastModifiedById' in restored) restored.LastModifiedById = this.context.userId;
    const fields: Record<string, FieldValue> = {};
    for (const [k, v] of Object.entries(restored)) if (v !== null && k !== 'IsDeleted' && k !== 'SystemModstamp') fields[k] = v;
    this.write(table, restored, { changeType: 'UNDELETE', object: table.name, id: record.Id, fields, changedFields: [], nulledFields: [] });
    for (const rel of table.schema.childRelationships) {
      if (!rel.cascadeDelete) continue;
      const child = this.data.table(rel.childSObject)!;
      for (const cid of [...child.childIds(rel.field, record.Id)]) {
        const c = child.get(cid);
        if (c?.IsDeleted) this.undeleteCascade(child, c, now);
      }
    }
  }

  /** Removes a record for good (Bulk hardDelete, recycle-bin purge). */
  hardDelete(rawId: string): void {
    const id = this.delete(rawId);
    const found = this.data.findById(id);
    if (found) {
      this.undo.push({ table: found.table, id, before: found.record });
      found.table.remove(id);
    }
  }

  /** Removes a record from the recycle bin for good (SOAP emptyRecycleBin): no undelete brings it back. */
  purge(rawId: string): void {
    const id = normalizeId(rawId);
    const found = id ? this.data.findById(id) : undefined;
    if (!found) throw new SfError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', 400);
    if (!found.record.IsDeleted) throw new SfError('INVALID_ID_FIELD', 'Entity is not in the recycle bin', 400);
    this.undo.push({ table: found.table, id: found.record.Id, before: found.record });
    found.table.remove(found.record.Id);
  }

  commit(): CommittedTransaction | undefined {
    if (this.finished) throw new Error('transaction already finished');
    this.finished = true;
    if (!this.changes.length) return undefined;
    const tx: CommittedTransaction = {
      transactionKey: randomUUID(),
      context: this.context,
      commitTimestamp: this.host.clock.now(),
      changes: this.changes,
    };
    this.host.onCommit(tx);
    return tx;
  }

  rollback(): void {
    if (this.finished) return;
    this.rollbackTo(0);
    this.finished = true;
  }

  private requireId(o: ObjectSchema, rawId: string): string {
    const id = normalizeId(rawId);
    if (!id) throw new SfError('MALFORMED_ID', `${o.def.label} ID: id value of incorrect type: ${rawId}`, 400, ['Id']);
    if (id.slice(0, 3) !== o.keyPrefix) throw new SfError('NOT_FOUND', 'Provided external ID field does not exist or is not accessible: ' + rawId, 404);
    return id;
  }

  /**
   * Validates and converts request fields. Relationship values given as nested objects
   * (`"Parent": {"Ext__c": "P1"}`) are resolved to Ids through the parent's external Id.
   */
  private readInput(o: ObjectSchema, input: Record<string, unknown>, op: 'create' | 'update'): Record<string, FieldValue> {
    const out: Record<string, FieldValue> = {};
    const notWritable: string[] = [];
    for (const [key, raw] of Object.entries(input)) {
      if (key === 'attributes' || (op === 'update' && key.toLowerCase() === 'id')) continue;
      const f = o.field(key);
      if (!f) {
        const rel = o.parentRelationship(key);
        if (rel && raw && typeof raw === 'object' && !Array.isArray(raw)) {
          out[rel.name] = this.resolveForeignKey(rel, raw as Record<string, unknown>);
          continue;
        }
        throw new SfError('INVALID_FIELD', `No such column '${key}' on sobject of type ${o.name}`, 400, [key]);
      }
      const writable = op === 'create' ? f.createable : f.updateable;
      if (!writable || SYSTEM_FIELDS.has(f.name.toLowerCase())) {
        notWritable.push(f.name);
        continue;
      }
      const value = coerceFieldValue(f, raw);
      if (f.type === 'reference' && value !== null) this.checkReference(f, value as string);
      out[f.name] = value;
    }
    if (notWritable.length) throw errors.fieldsNotWritable(notWritable);
    return out;
  }

  private resolveForeignKey(rel: FieldDef, ref: Record<string, unknown>): FieldValue {
    const entries = Object.entries(ref).filter(([k]) => k !== 'attributes');
    const typeName = (ref.attributes as { type?: string } | undefined)?.type ?? rel.referenceTo?.[0];
    const parent = typeName ? this.data.schema.object(typeName) : undefined;
    if (!parent || entries.length !== 1) {
      throw new SfError('INVALID_FIELD', `Invalid foreign key reference for field ${rel.relationshipName}`, 400, [rel.name]);
    }
    const [extName, extValue] = entries[0]!;
    const ext = parent.field(extName);
    if (!ext || !(ext.externalId || ext.name === 'Id')) {
      throw new SfError('INVALID_FIELD', `Field name provided, ${extName} is not an External ID or indexed field for ${parent.name}`, 400, [rel.name]);
    }
    if (ext.name === 'Id') {
      const id = coerceFieldValue(rel, extValue) as string;
      this.checkReference(rel, id);
      return id;
    }
    const matches = this.data.table(parent.name)!.lookup(ext.name, coerceFieldValue(ext, extValue)).filter((r) => !r.IsDeleted);
    if (matches.length === 0) {
      throw new SfError('INVALID_FIELD', `Foreign key external ID: ${String(extValue).toLowerCase()} not found for field ${ext.name} in entity ${parent.name}`, 400, [rel.name]);
    }
    if (matches.length > 1) {
      throw new SfError('INVALID_FIELD', `Foreign key external ID: ${String(extValue).toLowerCase()} matches more than one record for field ${ext.name} in entity ${parent.name}`, 400, [rel.name]);
    }
    return matches[0]!.Id;
  }

  private checkReference(f: FieldDef, id: string): void {
    const found = this.data.findById(id);
    const allowed = (f.referenceTo ?? []).map((n) => n.toLowerCase());
    if (found && !allowed.includes(found.table.name.toLowerCase())) {
      throw new SfError('FIELD_INTEGRITY_EXCEPTION', `${f.label}: id value of incorrect type: ${id}`, 400, [f.name]);
    }
    if (!found) throw new SfError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, 400, [f.name]);
    if (found.record.IsDeleted) throw new SfError('ENTITY_IS_DELETED', 'entity is deleted', 400, [f.name]);
  }

  private applySystemFields(o: ObjectSchema, r: StoredRecord, now: string, create: boolean): void {
    const user = this.context.userId;
    const set = (name: string, v: FieldValue) => {
      if (o.field(name)) r[name] = v;
    };
    if (create) {
      set('CreatedDate', now);
      set('CreatedById', user);
      if (o.field('OwnerId') && !r.OwnerId) r.OwnerId = user;
    }
    set('LastModifiedDate', now);
    set('LastModifiedById', user);
    set('SystemModstamp', now);
  }

  private checkUnique(table: Table, r: StoredRecord): void {
    for (const f of table.schema.indexedFields) {
      // External Id fields are indexed but only those marked unique refuse duplicates.
      if (!f.unique) continue;
      const v = r[f.name];
      if (v === null || v === undefined || v === '') continue;
      const other = table.lookup(f.name, v).find((x) => x.Id !== r.Id && !x.IsDeleted);
      if (other) {
        throw new SfError('DUPLICATE_VALUE', `duplicate value found: ${f.name} duplicates value on record with id: ${other.Id}`, 400, [f.name]);
      }
    }
  }
}

function requiredOnCreate(f: FieldDef): boolean {
  return !f.nillable && f.createable && !f.defaultedOnCreate && f.type !== 'boolean' && !f.calculated;
}

/** Fields the server derives from others: compound names and opportunity stage flags. */
function applyDerivedFields(o: ObjectSchema, r: StoredRecord): void {
  const name = o.field('Name');
  if (name?.components && !name.createable) {
    const parts = name.components.filter((c) => c !== 'Salutation').map((c) => r[c]).filter((v) => v !== null && v !== undefined && v !== '');
    r.Name = parts.length ? parts.join(' ') : null;
  }
  if (o.name === 'Opportunity' && typeof r.StageName === 'string') {
    const stage = o.field('StageName')?.picklistValues?.find((p) => p.value === r.StageName) as
      | { closed?: boolean; won?: boolean }
      | undefined;
    const closed = stage?.closed ?? /^closed/i.test(r.StageName);
    const won = stage?.won ?? /^closed won$/i.test(r.StageName);
    if (o.field('IsClosed')) r.IsClosed = closed;
    if (o.field('IsWon')) r.IsWon = won;
  }
}

/** Runs `fn` inside a transaction: committed when it returns, rolled back when it throws. */
export function inTransaction<T>(host: DmlHost, ctx: WriteContext, fn: (tx: Transaction) => T): T {
  const tx = new Transaction(host, ctx);
  try {
    const result = fn(tx);
    tx.commit();
    return result;
  } catch (err) {
    tx.rollback();
    throw err;
  }
}
