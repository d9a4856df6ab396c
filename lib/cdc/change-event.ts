/**
 * Change Data Capture events as the Streaming API delivers them (CometD `data`): the header, the
 * record changes they stand for, and what a sync needs to know about them (echo or not, gap or
 * not). The event body is not used for field values: the source re-reads changed records, so a
 * mapper never sees the partial record an UPDATE event carries.
 */

export const ALL_CHANGE_EVENTS = '/data/ChangeEvents';

export type ChangeType = 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';
export const CHANGE_TYPES: readonly ChangeType[] = ['CREATE', 'UPDATE', 'DELETE', 'UNDELETE'];

export interface ChangeEventHeader {
  entityName: string;
  recordIds: string[];
  changeType: string;
  changeOrigin?: string;
  transactionKey?: string;
  sequenceNumber?: number;
  commitTimestamp?: number;
  commitNumber?: number;
  commitUser?: string;
  changedFields?: string[];
  nulledFields?: string[];
}

/** What arrives on a channel: `{schema, payload: {ChangeEventHeader, …fields}, event: {replayId}}`. */
export interface ChangeEventMessage {
  schema?: string;
  payload: { ChangeEventHeader: ChangeEventHeader } & Record<string, unknown>;
  event: { replayId: number };
}

/** One record's change, as the source works with it. */
export interface RecordChange {
  object: string;
  recordId: string;
  changeType: ChangeType;
  /** The event was a gap event (`GAP_UPDATE` …): its values are unknown, the record is read again. */
  gap: boolean;
  /** Field API names that changed (UPDATE), compound parts resolved to their fields. */
  changedFields: string[];
  replayId: number;
  commitTimestamp: number;
  changeOrigin: string;
  commitUser: string;
  transactionKey: string;
  sequenceNumber: number;
}

/** `/data/AccountChangeEvent` for Account, `/data/Foo__ChangeEvent` for Foo__c. */
export function changeEventChannel(objectName: string): string {
  return `/data/${objectName.replace(/__c$/i, '__')}ChangeEvent`;
}

/** Whether a message looks like a change event at all (a custom channel may carry others). */
export function isChangeEvent(m: unknown): m is ChangeEventMessage {
  const msg = m as Partial<ChangeEventMessage> | undefined;
  const h = msg?.payload?.ChangeEventHeader;
  return !!h && typeof h.entityName === 'string' && Array.isArray(h.recordIds) && typeof h.changeType === 'string' && typeof msg?.event?.replayId === 'number';
}

/**
 * A header field name as a field API name: compound parts are named `Name.FirstName` (the part is
 * the field) and `BillingAddress.City` (the field is `BillingCity`).
 */
export function fieldOfHeaderName(name: string): string {
  const dot = name.indexOf('.');
  if (dot < 0) return name;
  const compound = name.slice(0, dot);
  const part = name.slice(dot + 1);
  return compound.endsWith('Address') ? `${compound.slice(0, -'Address'.length)}${part}` : part;
}

/** The record changes one event stands for; a GAP_OVERFLOW event stands for none (see isOverflow). */
export function recordChanges(m: ChangeEventMessage): RecordChange[] {
  const h = m.payload.ChangeEventHeader;
  const raw = h.changeType.replace(/^GAP_/, '');
  if (!(CHANGE_TYPES as readonly string[]).includes(raw)) return [];
  const changedFields = [...new Set((h.changedFields ?? []).map(fieldOfHeaderName))];
  return h.recordIds.map((recordId) => ({
    object: h.entityName,
    recordId,
    changeType: raw as ChangeType,
    gap: h.changeType.startsWith('GAP_'),
    changedFields,
    replayId: m.event.replayId,
    commitTimestamp: h.commitTimestamp ?? 0,
    changeOrigin: h.changeOrigin ?? '',
    commitUser: h.commitUser ?? '',
    transactionKey: h.transactionKey ?? '',
    sequenceNumber: h.sequenceNumber ?? 0,
  }));
}

/** A GAP_OVERFLOW event: more changes in one transaction than the org would send one by one. */
export function isOverflow(m: ChangeEventMessage): boolean {
  return m.payload.ChangeEventHeader.changeType === 'GAP_OVERFLOW';
}

/**
 * Whether a change was made through the API by a client named `client` in `Sforce-Call-Options`
 * (`…;client=OrgBridge`): OrgBridge's own write coming back as an event.
 */
export function isOwnChange(changeOrigin: string, client: string): boolean {
  if (!client || !changeOrigin) return false;
  const m = /(?:^|;)\s*client=([^;]*)/.exec(changeOrigin);
  return !!m && m[1]!.trim() === client;
}
