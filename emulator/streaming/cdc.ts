/**
 * Change Data Capture: turns committed transactions into change events shaped like the ones a
 * real org sends over CometD (JSON, datetimes as ISO strings, compound fields nested).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ObjectSchema, OrgSchema } from '../schema/org-schema.js';
import type { CommittedTransaction, FieldValue, RecordChange, WriteContext } from '../store/types.js';

export const ALL_CHANGE_EVENTS = '/data/ChangeEvents';

/** What real change events carry in `recordIds` when there is no record: overflow events. */
export const EMPTY_RECORD_ID = '000000000000000AAA';

export type ChangeType = RecordChange['changeType'];
export type GapChangeType = `GAP_${ChangeType}` | 'GAP_OVERFLOW';

export interface ChangeEventHeader {
  entityName: string;
  recordIds: string[];
  changeType: ChangeType | GapChangeType;
  changeOrigin: string;
  transactionKey: string;
  sequenceNumber: number;
  commitTimestamp: number;
  commitNumber: number;
  commitUser: string;
  nulledFields: string[];
  diffFields: string[];
  changedFields: string[];
}

export interface ChangeEventDraft {
  entityName: string;
  payload: { ChangeEventHeader: ChangeEventHeader } & Record<string, unknown>;
}

/** `Account` → `/data/AccountChangeEvent`; `Foo__c` → `/data/Foo__ChangeEvent`. */
export function changeEventChannel(objectName: string): string {
  return `/data/${objectName.replace(/__c$/i, '__')}ChangeEvent`;
}

/** The object a change event channel names, if it names one (`/data/Foo__ChangeEvent` → `Foo__c`). */
export function objectOfChangeEventChannel(channel: string): string | undefined {
  const m = /^\/data\/(.+?)(__)?ChangeEvent$/.exec(channel);
  if (!m || channel === ALL_CHANGE_EVENTS) return undefined;
  return m[2] ? `${m[1]}__c` : m[1];
}

/** `com/salesforce/api/rest/62.0;client=OrgBridge`; empty for changes made outside the APIs. */
export function changeOrigin(ctx: WriteContext): string {
  if (!ctx.api || ctx.api === 'ui') return '';
  return `com/salesforce/api/${ctx.api}/${ctx.apiVersion}${ctx.client ? `;client=${ctx.client}` : ''}`;
}

// Not part of change events on real orgs: bookkeeping and per-user fields that are not record data.
const EXCLUDED_FIELDS = new Set(['Id', 'IsDeleted', 'SystemModstamp', 'LastViewedDate', 'LastReferencedDate', 'LastActivityDate', 'PhotoUrl']);

type FieldSlot = { name: string; datetime: boolean } & ({ compound?: undefined } | { compound: string; sub: string });

interface ObjectPlan {
  schemaId: string;
  slots: FieldSlot[];
  byName: Map<string, FieldSlot>;
}

const plans = new WeakMap<ObjectSchema, { fieldCount: number; plan: ObjectPlan }>();

/** How each stored field appears in a change event, worked out once per object (and again if fields are added). */
export function objectPlan(o: ObjectSchema): ObjectPlan {
  const cached = plans.get(o);
  if (cached && cached.fieldCount === o.fields.length) return cached.plan;
  const slots: FieldSlot[] = [];
  for (const f of o.fields) {
    if (EXCLUDED_FIELDS.has(f.name) || f.calculated || f.formula !== undefined) continue;
    // The compound field itself (an address, a geolocation, the person Name) is rebuilt from its components.
    if (f.components?.length) continue;
    const parent = f.compoundFieldName ? o.field(f.compoundFieldName) : undefined;
    const datetime = f.type === 'datetime';
    if (parent?.components?.includes(f.name)) {
      slots.push({ name: f.name, datetime, compound: parent.name, sub: componentName(parent.name, parent.type, f.name) });
    } else {
      slots.push({ name: f.name, datetime });
    }
  }
  // The schema id changes when the field list does, as a real event schema would.
  const schemaId = createHash('sha256')
    .update(`${o.name}:${slots.map((s) => s.name).join(',')}`)
    .digest('base64url')
    .slice(0, 22);
  const plan: ObjectPlan = { schemaId, slots, byName: new Map(slots.map((s) => [s.name, s])) };
  plans.set(o, { fieldCount: o.fields.length, plan });
  return plan;
}

/** `BillingStreet` under `BillingAddress` is `Street`; `Loc__Latitude__s` under `Loc__c` is `Latitude`; Name parts keep their names. */
function componentName(compound: string, type: string, component: string): string {
  if (type === 'address') {
    const stem = compound.replace(/Address$/, '');
    return component.startsWith(stem) ? component.slice(stem.length) : component;
  }
  if (type === 'location') return /__(Latitude|Longitude)__s$/i.exec(component)?.[1] ?? component;
  return component;
}

function wireValue(slot: FieldSlot, v: FieldValue): FieldValue {
  // Stored datetimes end in +0000; CometD change events carry them as ISO strings ending in Z.
  if (slot.datetime && typeof v === 'string' && v.endsWith('+0000')) return `${v.slice(0, -5)}Z`;
  return v;
}

function put(body: Record<string, unknown>, slot: FieldSlot, v: FieldValue): void {
  if (slot.compound === undefined) {
    body[slot.name] = wireValue(slot, v);
    return;
  }
  const nested = (body[slot.compound] ??= {}) as Record<string, unknown>;
  nested[slot.sub] = wireValue(slot, v);
}

function headerName(slot: FieldSlot): string {
  return slot.compound === undefined ? slot.name : `${slot.compound}.${slot.sub}`;
}

/** One record's net change within a transaction. */
interface NetChange {
  object: string;
  id: string;
  changeType: ChangeType;
  fields: Record<string, FieldValue>;
  changed: Set<string>;
  nulled: Set<string>;
}

/**
 * Real CDC sends one event per record and transaction, of the record's first change type, with
 * the data as committed: a create followed by updates is one CREATE with the final values. A
 * delete or undelete is kept as its own change so that subscribers never miss a removal.
 */
function netChanges(changes: RecordChange[]): NetChange[] {
  const out: NetChange[] = [];
  const open = new Map<string, NetChange>();
  for (const c of changes) {
    const key = `${c.object}\u0000${c.id}`;
    const prev = open.get(key);
    if (c.changeType === 'UPDATE' && prev) {
      for (const [k, v] of Object.entries(c.fields)) {
        if (prev.changeType === 'UPDATE') {
          prev.fields[k] = v;
          if (v === null) prev.nulled.add(k);
          else prev.nulled.delete(k);
        } else if (v === null) {
          delete prev.fields[k];
        } else {
          prev.fields[k] = v;
        }
      }
      if (prev.changeType === 'UPDATE') for (const f of c.changedFields) prev.changed.add(f);
      continue;
    }
    const n: NetChange = {
      object: c.object,
      id: c.id,
      changeType: c.changeType,
      fields: { ...c.fields },
      changed: new Set(c.changedFields),
      nulled: new Set(c.nulledFields),
    };
    out.push(n);
    if (c.changeType === 'DELETE') open.delete(key);
    else open.set(key, n);
  }
  return out;
}

/**
 * On a real org every record of a transaction gets the same audit timestamps; the emulator stamps
 * each write as it happens, so milliseconds apart must not stop identical changes from merging.
 */
function sameTransactionTime(key: string, value: unknown): unknown {
  return key === 'LastModifiedDate' || key === 'CreatedDate' ? undefined : value;
}

export interface CdcOptions {
  schema: OrgSchema;
  isEnabled: (objectName: string) => boolean;
  /** Changes beyond this many in one transaction become GAP_OVERFLOW events (real: 100,000). */
  overflowThreshold: number;
  commitNumber: number;
}

/**
 * The change events of one committed transaction, in order, with sequence numbers from 1.
 * Identical changes of one type to several records of one object merge into one event, as on a
 * real org (a mass update that sets the same values, a cascade delete).
 */
export function changeEventsFor(tx: CommittedTransaction, opts: CdcOptions): ChangeEventDraft[] {
  const relevant = tx.changes.filter((c) => opts.isEnabled(c.object));
  if (!relevant.length) return [];
  const base = {
    changeOrigin: changeOrigin(tx.context),
    transactionKey: tx.transactionKey,
    commitTimestamp: tx.commitTimestamp,
    commitNumber: opts.commitNumber,
    commitUser: tx.context.userId,
  };
  const drafts: ChangeEventDraft[] = [];
  const merged = new Map<string, ChangeEventDraft>();
  const overflow: string[] = [];
  let counted = 0;
  for (const n of netChanges(relevant)) {
    const o = opts.schema.object(n.object);
    if (!o) continue;
    const plan = objectPlan(o);
    counted += n.changeType === 'UPDATE' ? Math.max(1, n.changed.size) : 1;
    if (counted > opts.overflowThreshold) {
      if (!overflow.includes(o.name)) overflow.push(o.name);
      continue;
    }
    const body: Record<string, unknown> = {};
    const changedFields: string[] = [];
    const nulledFields: string[] = [];
    if (n.changeType === 'CREATE' || n.changeType === 'UNDELETE') {
      for (const slot of plan.slots) {
        const v = n.fields[slot.name];
        if (v !== null && v !== undefined) put(body, slot, v);
      }
    } else if (n.changeType === 'UPDATE') {
      for (const slot of plan.slots) {
        if (slot.name in n.fields) put(body, slot, n.fields[slot.name]!);
        if (n.changed.has(slot.name)) changedFields.push(headerName(slot));
        if (n.nulled.has(slot.name)) nulledFields.push(headerName(slot));
      }
    }
    const key = `${o.name}\u0000${n.changeType}\u0000${JSON.stringify(body, sameTransactionTime)}\u0000${changedFields.join(',')}\u0000${nulledFields.join(',')}`;
    const same = merged.get(key);
    if (same) {
      same.payload.ChangeEventHeader.recordIds.push(n.id);
      continue;
    }
    const draft: ChangeEventDraft = {
      entityName: o.name,
      payload: {
        ChangeEventHeader: {
          entityName: o.name,
          recordIds: [n.id],
          changeType: n.changeType,
          changeOrigin: base.changeOrigin,
          transactionKey: base.transactionKey,
          sequenceNumber: 0,
          commitTimestamp: base.commitTimestamp,
          commitNumber: base.commitNumber,
          commitUser: base.commitUser,
          nulledFields,
          diffFields: [],
          changedFields,
        },
        ...body,
      },
    };
    merged.set(key, draft);
    drafts.push(draft);
  }
  for (const entity of overflow) {
    drafts.push(headerOnly(entity, [EMPTY_RECORD_ID], 'GAP_OVERFLOW', base));
  }
  drafts.forEach((d, i) => (d.payload.ChangeEventHeader.sequenceNumber = i + 1));
  return drafts;
}

interface HeaderBase {
  changeOrigin: string;
  transactionKey: string;
  commitTimestamp: number;
  commitNumber: number;
  commitUser: string;
}

function headerOnly(entityName: string, recordIds: string[], changeType: GapChangeType, base: HeaderBase): ChangeEventDraft {
  return {
    entityName,
    payload: {
      ChangeEventHeader: {
        entityName,
        recordIds,
        changeType,
        changeOrigin: base.changeOrigin,
        transactionKey: base.transactionKey,
        sequenceNumber: 1,
        commitTimestamp: base.commitTimestamp,
        commitNumber: base.commitNumber,
        commitUser: base.commitUser,
        nulledFields: [],
        diffFields: [],
        changedFields: [],
      },
    },
  };
}

/**
 * A gap event: what a real org sends when it cannot build a change event (a change made outside
 * the application servers, an internal error). Header only; the subscriber re-reads the records.
 */
export function gapEvent(entityName: string, recordIds: string[], changeType: ChangeType, base: Omit<HeaderBase, 'transactionKey' | 'changeOrigin'>): ChangeEventDraft {
  return headerOnly(entityName, recordIds, `GAP_${changeType}`, { ...base, changeOrigin: '', transactionKey: randomUUID() });
}

/** One GAP_OVERFLOW event for an entity, as after a transaction of more than 100,000 changes. */
export function overflowEvent(entityName: string, base: Omit<HeaderBase, 'transactionKey' | 'changeOrigin'>): ChangeEventDraft {
  return headerOnly(entityName, [EMPTY_RECORD_ID], 'GAP_OVERFLOW', { ...base, changeOrigin: '', transactionKey: randomUUID() });
}
