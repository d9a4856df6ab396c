import { errors, SfError } from '../../errors.js';
import type { ObjectSchema } from '../../schema/org-schema.js';
import type { FieldDef } from '../../schema/types.js';
import { MultipleMatchesError, type Transaction } from '../../store/dml.js';
import { indexKey } from '../../store/table.js';
import { normalizeId } from '../../util/ids.js';
import type { RequestContext } from '../context.js';
import { shapeRecord } from '../records.js';

/** Records (or ids) one create/update/upsert/delete call may carry. */
export const MAX_COLLECTION_RECORDS = 200;
/** Ids one retrieve call may carry (POST; GET is bounded by URL length, about 800). */
export const MAX_RETRIEVE_IDS = 2000;

export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

export interface SaveResult {
  id?: string;
  success: boolean;
  errors: RecordError[];
  created?: boolean;
}

type Json = Record<string, unknown>;

export const ROLLED_BACK: RecordError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

export function tooManyRecords(limit = MAX_COLLECTION_RECORDS): SfError {
  return new SfError('EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${limit} records into this call`, 400);
}

function isObject(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** `{allOrNone, records}` as create, update and upsert take it. */
async function readCollection(ctx: RequestContext): Promise<{ allOrNone: boolean; records: Json[] }> {
  const body = await ctx.readJson<unknown>();
  if (!isObject(body)) {
    throw errors.jsonParser('Cannot deserialize instance of SObjectCollectionRequest from START_ARRAY value or request may be missing a required field');
  }
  const { records, allOrNone } = body;
  if (allOrNone !== undefined && allOrNone !== null && typeof allOrNone !== 'boolean') {
    throw errors.jsonParser(`Cannot deserialize instance of boolean from VALUE_STRING value ${String(allOrNone)} or request may be missing a required field`);
  }
  if (!Array.isArray(records) || !records.every(isObject)) {
    throw errors.jsonParser('Cannot deserialize instance of list of SObject from VALUE_STRING value or request may be missing a required field');
  }
  if (records.length > MAX_COLLECTION_RECORDS) throw tooManyRecords();
  return { allOrNone: allOrNone === true, records };
}

/** The object a collection record names in `attributes.type`. */
function objectOfRecord(ctx: RequestContext, record: Json): ObjectSchema {
  const attributes = record.attributes;
  const type = isObject(attributes) && typeof attributes.type === 'string' ? attributes.type : undefined;
  // Unverified wording: the SOAP API's answer to a record without a type.
  if (!type) throw new SfError('INVALID_TYPE', 'Must send a concrete entity type.', 400);
  const o = ctx.requireOrg.schema.object(type);
  if (!o) throw errors.sobjectNotSupported(type);
  return o;
}

/**
 * Per-record errors for records that no longer exist. DML reports a missing row as the REST 404;
 * in collections real orgs cannot tell a purged Id from one that never existed and answer
 * `entity is deleted`.
 */
function asRecordError(err: SfError): RecordError {
  if (err.errorCode === 'NOT_FOUND' && err.message === 'The requested resource does not exist') {
    return { statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] };
  }
  return err.toRecordError();
}

/** A failure the caller detected before touching the database. */
class RecordFailure extends Error {
  constructor(readonly error: RecordError) {
    super(error.message);
  }
}

/**
 * Applies `op` to each item in order, inside one transaction (so change events of one call share
 * a transaction key). A failing item is undone alone through a savepoint; with allOrNone any
 * failure undoes every item and the valid ones report ALL_OR_NONE_OPERATION_ROLLED_BACK.
 */
export function saveEach<T>(
  ctx: RequestContext,
  items: T[],
  allOrNone: boolean,
  op: (tx: Transaction, item: T) => { id: string; created?: boolean },
): SaveResult[] {
  return ctx.requireOrg.transaction(ctx.writeContext(), (tx) => {
    const start = tx.savepoint();
    const results = items.map((item): SaveResult => {
      const savepoint = tx.savepoint();
      try {
        const { id, created } = op(tx, item);
        return created === undefined ? { id, success: true, errors: [] } : { id, success: true, errors: [], created };
      } catch (err) {
        tx.rollbackTo(savepoint);
        if (err instanceof RecordFailure) return { success: false, errors: [err.error] };
        if (err instanceof SfError) return { success: false, errors: [asRecordError(err)] };
        throw err;
      }
    });
    if (allOrNone && results.some((r) => !r.success)) {
      tx.rollbackTo(start);
      return results.map((r) => (r.success ? { success: false, errors: [ROLLED_BACK] } : r));
    }
    return results;
  });
}

/** Checks an Id given for an object: malformed and wrong-object Ids fail the way real orgs word it. */
function checkIdFor(o: ObjectSchema | undefined, raw: unknown): string {
  const id = normalizeId(raw);
  if (!id) throw new RecordFailure({ statusCode: 'MALFORMED_ID', message: `malformed id ${String(raw)}`, fields: [] });
  if (o && id.slice(0, 3) !== o.keyPrefix) {
    throw new RecordFailure({ statusCode: 'MALFORMED_ID', message: `${o.def.label} ID: id value of incorrect type: ${id}`, fields: ['Id'] });
  }
  return id;
}

/** POST /composite/sobjects */
export async function createRecords(ctx: RequestContext): Promise<void> {
  const { allOrNone, records } = await readCollection(ctx);
  const results = saveEach(ctx, records, allOrNone, (tx, record) => {
    const o = objectOfRecord(ctx, record);
    return { id: tx.insert(o.name, record) };
  });
  ctx.sendJson(200, results);
}

/** PATCH /composite/sobjects: jsforce sends `id` in lower case; `Id` is accepted too. */
export async function updateRecords(ctx: RequestContext): Promise<void> {
  const { allOrNone, records } = await readCollection(ctx);
  const results = saveEach(ctx, records, allOrNone, (tx, record) => {
    const rawId = record.id ?? record.Id;
    if (rawId === undefined || rawId === null || rawId === '') {
      throw new RecordFailure({ statusCode: 'MISSING_ARGUMENT', message: 'Id not specified in an update call', fields: [] });
    }
    const o = objectOfRecord(ctx, record);
    const id = checkIdFor(o, rawId);
    tx.update(o.name, id, record);
    return { id };
  });
  ctx.sendJson(200, results);
}

function externalIdField(o: ObjectSchema, name: string): FieldDef {
  const f = o.field(name);
  if (!f || !(f.externalId || f.idLookup || f.name === 'Id')) {
    throw new SfError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${name}`, 404);
  }
  return f;
}

function valueOf(record: Json, field: FieldDef): unknown {
  for (const [k, v] of Object.entries(record)) if (k.toLowerCase() === field.name.toLowerCase()) return v;
  return undefined;
}

/** PATCH /composite/sobjects/{type}/{extField} (API 46+): each record carries its external Id value. */
export async function upsertRecords(ctx: RequestContext): Promise<void> {
  const o = ctx.requireOrg.schema.object(ctx.params.type!);
  if (!o) throw errors.notFound();
  const f = externalIdField(o, ctx.params.field!);
  const { allOrNone, records } = await readCollection(ctx);
  // One call cannot name the same external Id twice: every record that shares a value fails.
  const keyOf = (record: Json): string | undefined => {
    const v = valueOf(record, f);
    if (v === undefined || v === null || v === '') return undefined;
    return f.name === 'Id' ? (normalizeId(v) ?? String(v)) : indexKey(f, String(v));
  };
  const counts = new Map<string, number>();
  for (const r of records) {
    const k = keyOf(r);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const results = saveEach(ctx, records, allOrNone, (tx, record) => {
    const key = keyOf(record);
    if (key !== undefined && (counts.get(key) ?? 0) > 1) {
      throw new RecordFailure({ statusCode: 'DUPLICATE_VALUE', message: `Duplicate external id specified: ${String(valueOf(record, f))}`, fields: [] });
    }
    try {
      return tx.upsert(o.name, f.name, valueOf(record, f), record);
    } catch (err) {
      if (err instanceof MultipleMatchesError) {
        throw new RecordFailure({
          statusCode: 'DUPLICATE_EXTERNAL_ID',
          message: `${f.label}: more than one record found for external id field: [${err.ids.join(', ')}]`,
          fields: [],
        });
      }
      throw err;
    }
  });
  ctx.sendJson(200, results);
}

/** DELETE /composite/sobjects?ids=a,b[&allOrNone=true] */
export function deleteRecords(ctx: RequestContext): void {
  const idsParam = ctx.url.searchParams.get('ids');
  if (!idsParam) throw new SfError('MISSING_ARGUMENT', 'ids not specified', 400);
  const ids = idsParam.split(',').map((s) => s.trim());
  if (ids.length > MAX_COLLECTION_RECORDS) throw tooManyRecords();
  const allOrNone = (ctx.url.searchParams.get('allOrNone') ?? '').toLowerCase() === 'true';
  const results = saveEach(ctx, ids, allOrNone, (tx, raw) => ({ id: tx.delete(checkIdFor(undefined, raw)) }));
  ctx.sendJson(200, results);
}

/**
 * Retrieve by ids: records in request order with the requested fields in canonical case, and
 * `null` for an Id that is malformed, of another object, unknown or in the recycle bin.
 */
function retrieveRecords(ctx: RequestContext, ids: unknown, fields: unknown): void {
  const o = ctx.requireOrg.schema.object(ctx.params.type!);
  if (!o) throw errors.notFound();
  if (!Array.isArray(ids) || !ids.length) throw new SfError('MISSING_ARGUMENT', 'ids not specified', 400);
  if (!Array.isArray(fields) || !fields.length) throw new SfError('MISSING_ARGUMENT', 'fields not specified', 400);
  if (ids.length > MAX_RETRIEVE_IDS) throw tooManyRecords(MAX_RETRIEVE_IDS);
  const defs: FieldDef[] = [];
  for (const name of fields) {
    const f = typeof name === 'string' ? o.field(name.trim()) : undefined;
    if (!f) {
      throw errors.invalidField(
        `No such column '${String(name)}' on entity '${o.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    if (!defs.includes(f)) defs.push(f);
  }
  const table = ctx.requireOrg.data.table(o.name)!;
  const out = ids.map((raw) => {
    const id = normalizeId(raw);
    if (!id || id.slice(0, 3) !== o.keyPrefix) return null;
    const r = table.get(id);
    return r && !r.IsDeleted ? shapeRecord(o, r, ctx.apiVersion, defs) : null;
  });
  ctx.sendJson(200, out);
}

/** POST /composite/sobjects/{type} with `{ids, fields}` */
export async function retrieveRecordsPost(ctx: RequestContext): Promise<void> {
  const body = await ctx.readJson<unknown>();
  if (!isObject(body)) throw errors.jsonParser('Cannot deserialize instance of SObjectCollectionRetrieveRequest from START_ARRAY value or request may be missing a required field');
  retrieveRecords(ctx, body.ids, body.fields);
}

/** GET /composite/sobjects/{type}?ids=a,b&fields=A,B */
export function retrieveRecordsGet(ctx: RequestContext): void {
  const split = (name: string) => ctx.url.searchParams.get(name)?.split(',').map((s) => s.trim()).filter(Boolean);
  retrieveRecords(ctx, split('ids'), split('fields'));
}
