/**
 * Query rows to sync records (lib/sync/types.ts). `fields` holds the planned data fields as the
 * source has them, lookup Ids included (they are source values; sf-map-fields decides what to do
 * with them); `references` names every tracked lookup that has a value, with the object it points
 * at, so the target side can resolve it through the ledger or an external Id.
 */
import type { FieldValue, SourceReference, SyncRecord } from '../sync/types.js';
import type { PlannedObject } from './plan.js';
import type { QueryRow } from '../salesforce/org-api.js';

/** SourceReference carries `deferred` for the link that broke a cycle (see lib/sync/types.ts). */
export type CollectedReference = SourceReference;

export type CollectedRecord = SyncRecord;

export interface RecordContext {
  orgId: string;
  /** The object a lookup's value points at, or undefined when it is not a planned object. */
  targetOf: (lookupIndex: number, id: string) => string | undefined;
  /** Whether a record's reference to a parent waits for a second pass. */
  isDeferred: (recordId: string, parentId: string) => boolean;
}

export function toSyncRecord(row: QueryRow, object: PlannedObject, lookupIndices: readonly number[], ctx: RecordContext): CollectedRecord {
  const fields: Record<string, FieldValue> = {};
  for (const f of object.dataFields) fields[f] = fieldValue(row[f]);
  const references: CollectedReference[] = [];
  object.lookups.forEach((lookup, i) => {
    const id = row[lookup.field];
    if (typeof id !== 'string' || !id) return;
    const target = ctx.targetOf(lookupIndices[i]!, id);
    if (!target) return;
    references.push(ctx.isDeferred(row.Id as string, id) ? { field: lookup.field, id, object: target, deferred: true } : { field: lookup.field, id, object: target });
  });
  const changedAt = object.changedAtField ? row[object.changedAtField] : undefined;
  return {
    object: object.name,
    sourceId: row.Id as string,
    operation: 'upsert',
    fields,
    references,
    origin: typeof changedAt === 'string' ? { orgId: ctx.orgId, via: 'collect', changedAt } : { orgId: ctx.orgId, via: 'collect' },
  };
}

function fieldValue(v: unknown): FieldValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  // Compound values are not planned (their parts are); anything else is kept readable rather than lost.
  return JSON.stringify(v);
}
