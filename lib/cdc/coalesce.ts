/**
 * Changes to one record inside a short window become one: a record edited five times in a second
 * is read and written once. The merged change keeps the earliest change that matters (a CREATE or
 * UNDELETE stays one when UPDATEs follow it, a DELETE wins over what came before, an UNDELETE after
 * a DELETE brings the record back), the union of the changed fields, and every replay id it stands
 * for, so the checkpoint can move past all of them once it is written.
 */
import type { ChangeType, RecordChange } from './change-event.js';

export interface CoalescedChange extends RecordChange {
  /** The replay id of every record change merged into this one, in arrival order (one entry each). */
  replayIds: number[];
  /** How many record changes were merged into this one (1 when none). */
  merged: number;
}

function nextType(prev: ChangeType, next: ChangeType): ChangeType {
  if (next === 'DELETE') return 'DELETE';
  if (next === 'UNDELETE') return 'UNDELETE';
  if (prev === 'DELETE') return next === 'UPDATE' ? 'DELETE' : next;
  // CREATE or UNDELETE followed by UPDATE (or CREATE again, a replayed event): still that.
  return prev === 'UPDATE' ? next : prev;
}

/** The changes in arrival order, one per record (in the order each record first changed). */
export function coalesce(changes: readonly RecordChange[]): CoalescedChange[] {
  const byRecord = new Map<string, CoalescedChange>();
  for (const c of changes) {
    const key = `${c.object}\u0000${c.recordId}`;
    const prev = byRecord.get(key);
    if (!prev) {
      byRecord.set(key, { ...c, changedFields: [...c.changedFields], replayIds: [c.replayId], merged: 1 });
      continue;
    }
    const fields = new Set([...prev.changedFields, ...c.changedFields]);
    byRecord.set(key, {
      ...c,
      changeType: nextType(prev.changeType, c.changeType),
      gap: prev.gap || c.gap,
      changedFields: [...fields],
      replayIds: [...prev.replayIds, c.replayId],
      merged: prev.merged + 1,
    });
  }
  return [...byRecord.values()];
}
