/**
 * Change events to sync records. A change event says which records changed and which fields; it
 * does not carry a whole record (an UPDATE has only the changed fields), and a mapper given a
 * partial record would blank the target's other fields. So every created, updated or undeleted
 * record is read again by Id, with the same fields and lookups sf-collect reads, in one query per
 * object and batch (up to 200 Ids a query): what reaches the mapper is the record as it is now,
 * with `changedFields` saying what the events changed. Deletes need no read.
 */
import { lookupRefs, sampleRecord } from '../collect/preview.js';
import { planCollection, type CollectionPlan } from '../collect/plan.js';
import { readById } from '../collect/read-by-id.js';
import type { OrgApi } from '../salesforce/org-api.js';
import type { SyncRecord } from '../sync/types.js';
import type { CoalescedChange } from './coalesce.js';

export interface ReadChanges {
  records: SyncRecord[];
  /** Changes whose record is gone by the time it was read (its DELETE event follows). */
  vanished: CoalescedChange[];
  /** The change each record stands for, by position. */
  changes: CoalescedChange[];
}

export class ChangeReader {
  private readonly plans = new Map<string, Promise<CollectionPlan>>();

  constructor(private readonly api: OrgApi) {}

  /** The plan that reads one object as sf-collect would: every synced field, every lookup tracked, nothing followed. */
  private plan(object: string): Promise<CollectionPlan> {
    let p = this.plans.get(object);
    if (!p) {
      p = planCollection({ rootObject: object, all: true, depth: 1, parents: true, children: [] }, (name) => this.api.describe(name));
      // A failed plan (describe refused, org down) is tried again with the next batch.
      p.catch(() => this.plans.delete(object));
      this.plans.set(object, p);
    }
    return p;
  }

  /** Forgets the plans, so that the next read describes again (after a schema change). */
  forget(): void {
    this.plans.clear();
  }

  async read(changes: readonly CoalescedChange[], signal?: AbortSignal): Promise<ReadChanges> {
    const out: ReadChanges = { records: [], vanished: [], changes: [] };
    const orgId = this.api.orgId;
    const toRead = new Map<string, CoalescedChange[]>();
    const rows = new Map<string, SyncRecord>();
    for (const c of changes) {
      if (c.changeType === 'DELETE') continue;
      const list = toRead.get(c.object) ?? [];
      list.push(c);
      toRead.set(c.object, list);
    }
    for (const [object, list] of toRead) {
      const plan = await this.plan(object);
      const lookups = lookupRefs(plan);
      const planned = plan.objects[0]!;
      for await (const row of readById(this.api, planned.name, planned.selectFields, list.map((c) => c.recordId))) {
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
        const record = sampleRecord(row, plan, 0, lookups, orgId);
        rows.set(`${object}\u0000${record.sourceId}`, record);
      }
    }
    for (const c of changes) {
      const origin = {
        orgId, via: 'cdc' as const, replayId: c.replayId, changedAt: new Date(c.commitTimestamp).toISOString(),
        ...(c.changeOrigin ? { changeOrigin: c.changeOrigin } : {}), ...(c.commitUser ? { commitUser: c.commitUser } : {}),
        ...(c.transactionKey ? { transactionKey: c.transactionKey } : {}), ...(c.sequenceNumber ? { sequenceNumber: c.sequenceNumber } : {}),
      };
      if (c.changeType === 'DELETE') {
        out.records.push({ object: c.object, sourceId: c.recordId, operation: 'delete', fields: {}, references: [], origin });
        out.changes.push(c);
        continue;
      }
      const read = rows.get(`${c.object}\u0000${c.recordId}`) ?? rows.get(`${c.object}\u0000${c.recordId.slice(0, 15)}`);
      if (!read) {
        out.vanished.push(c);
        continue;
      }
      const record: SyncRecord = { ...read, operation: c.changeType === 'UNDELETE' ? 'undelete' : 'upsert', origin };
      // A create or undelete carries the whole record: every field is news to the target.
      if (c.changeType === 'UPDATE' && !c.gap) record.changedFields = c.changedFields;
      out.records.push(record);
      out.changes.push(c);
    }
    return out;
  }
}
