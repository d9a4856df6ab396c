import type { FieldValue, SyncRecord, TargetReference } from '../../../lib/sync/types.js';
import { EXT_FIELD } from '../../support/emulator.js';

/** The org the records come from; it need not exist: the writer only keys the ledger by it. */
export const SOURCE_ORG = '00D5e000000SRC1AAA';

export const TIER_FIELD = {
  name: 'Tier__c', type: 'picklist' as const, label: 'Tier', nillable: true, createable: true, updateable: true, custom: true,
  restrictedPicklist: true, picklistValues: [{ value: 'Gold' }, { value: 'Silver' }],
};

/** Target org schema: an external Id on every object the tests write, and a restricted picklist. */
export const TARGET_SCHEMA = { fields: { Account: [EXT_FIELD, TIER_FIELD], Contact: [EXT_FIELD], Opportunity: [EXT_FIELD] } };

const PREFIX: Record<string, string> = { Account: '001', Contact: '003', Opportunity: '006' };

/** An 18-character source Id; `n` makes it unique within the object. */
export function sourceIdOf(object: string, n: number): string {
  return `${PREFIX[object] ?? 'a0X'}5e${String(n).padStart(10, '0')}SRC`;
}

export interface RefSpec {
  field: string;
  relationshipName: string;
  object: string;
  sourceId: string;
  ext?: string;
  nillable?: boolean;
}

export function ref(spec: RefSpec): TargetReference {
  return {
    field: spec.field, relationshipName: spec.relationshipName, object: spec.object, sourceId: spec.sourceId, nillable: spec.nillable ?? true,
    ...(spec.ext !== undefined ? { externalId: { field: 'Ext__c', value: spec.ext } } : {}),
  };
}

/** A mapped record as sf-map-fields would hand it over: same object names on both sides. */
export function syncRecord(
  object: string,
  sourceId: string,
  fields: Record<string, FieldValue>,
  options: { ext?: string; refs?: TargetReference[]; operation?: SyncRecord['operation'] } = {},
): SyncRecord {
  const refs = options.refs ?? [];
  return {
    object,
    sourceId,
    operation: options.operation ?? 'upsert',
    fields: { ...fields },
    references: refs.map((r) => ({ field: r.field, id: r.sourceId, object: r.object })),
    origin: { orgId: SOURCE_ORG, via: 'manual' },
    target: {
      object,
      match: options.ext !== undefined ? { by: 'externalId', field: 'Ext__c', value: options.ext } : { by: 'ledger' },
      fields: { ...fields },
      references: refs,
      mapping: { name: 'test', version: '1', hash: 'h1' },
    },
  };
}

export function account(n: number, fields: Record<string, FieldValue> = {}, options: { parent?: number; parentExt?: boolean; byLedger?: boolean } = {}): SyncRecord {
  const refs = options.parent === undefined ? [] : [ref({
    field: 'ParentId', relationshipName: 'Parent', object: 'Account', sourceId: sourceIdOf('Account', options.parent),
    ...(options.parentExt ? { ext: `ACC-${options.parent}` } : {}),
  })];
  return syncRecord('Account', sourceIdOf('Account', n), { Name: `Account ${n}`, ...fields }, { ...(options.byLedger ? {} : { ext: `ACC-${n}` }), refs });
}

export function contact(n: number, accountN: number | undefined, fields: Record<string, FieldValue> = {}, options: { byLedger?: boolean; accountExt?: boolean; nillable?: boolean } = {}): SyncRecord {
  const refs = accountN === undefined ? [] : [ref({
    field: 'AccountId', relationshipName: 'Account', object: 'Account', sourceId: sourceIdOf('Account', accountN),
    ...(options.accountExt ? { ext: `ACC-${accountN}` } : {}), nillable: options.nillable ?? true,
  })];
  return syncRecord('Contact', sourceIdOf('Contact', n), { LastName: `Contact ${n}`, ...fields }, { ...(options.byLedger ? {} : { ext: `CON-${n}` }), refs });
}

/** A sleep that resolves at once and remembers what it was asked to wait. */
export function instantSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** The records the crash test writes: accounts matched by external Id, or by the ledger only. */
export function crashRecords(kind: 'ext' | 'ledger', count: number): SyncRecord[] {
  return Array.from({ length: count }, (_, n) => account(n, { Industry: 'Energy' }, { byLedger: kind === 'ledger' }));
}
