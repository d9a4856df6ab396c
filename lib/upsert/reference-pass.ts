import { hashValue } from '../ledger/field-hashes.js';
import type { PendingReference } from '../ledger/pending-references.js';
import type { RecordResult } from '../sync/types.js';
import type { ClassifiedError } from './classify.js';
import { LedgerBatch } from './ledger-batch.js';
import type { UpsertItem } from './upsert-item.js';
import { categoryOf, type Attempted, type WriteRun } from './write-run.js';

/** Lookups to set on a record already in the target (the second pass). */
interface ReferenceUpdate extends Attempted {
  /** The record's input position when it is part of this write. */
  index?: number;
  sourceId: string;
  object: string;
  operation: string;
  targetObject: string;
  targetId: string;
  /** For the dead letter if setting them fails. */
  record: unknown;
  /** Lookup field to parent target Id. */
  body: Record<string, string>;
  /** Waiting rows these lookups came from (dropped once set, or once they fail for good). */
  waiting: PendingReference[];
}

/**
 * Second pass for cycles: lookups left out of the first write because their parent came later
 * in the same write. Parents that made it are set now; the others wait in the ledger.
 */
export async function completeCycleReferences(run: WriteRun, items: readonly UpsertItem[]): Promise<void> {
  const updates: ReferenceUpdate[] = [];
  const batch = new LedgerBatch();
  for (const it of items) {
    if (!it.later.length || run.results[it.index]?.outcome !== 'created' && run.results[it.index]?.outcome !== 'updated') continue;
    const body: Record<string, string> = {};
    for (const ref of it.later) {
      const parentId = run.known.get(ref.sourceId);
      if (parentId) {
        body[ref.field] = parentId;
        continue;
      }
      run.metrics.deferredReferences++;
      batch.batch.deferred.push({
        sourceId: it.sourceId, object: it.record.object, targetObject: it.target.object, field: ref.field, parentObject: ref.object, parentSourceId: ref.sourceId,
        ...(ref.externalId ? { parentExternalId: ref.externalId } : {}),
      });
    }
    if (!Object.keys(body).length) continue;
    updates.push({
      index: it.index, sourceId: it.sourceId, object: it.record.object, operation: it.record.operation, targetObject: it.target.object,
      targetId: run.known.get(it.sourceId)!, record: it.record, body, waiting: [], attempts: 0, freeResends: 0,
    });
  }
  run.commit(batch);
  await sendReferenceUpdates(run, updates);
}

/**
 * Second pass across writes: children written earlier with a lookup left empty because its parent
 * was missing. Now that parents are in the target, the lookups are set.
 */
export async function completeWaitingReferences(run: WriteRun, parents: readonly string[], indexOf: ReadonlyMap<string, number>): Promise<void> {
  const { ctx } = run;
  const waiting = ctx.ledger.pendingReferencesForParents(ctx.sourceOrg, ctx.targetOrg, parents);
  if (!waiting.length) return;
  run.loadKnown(waiting.map((w) => w.sourceId));
  const byChild = new Map<string, ReferenceUpdate>();
  for (const w of waiting) {
    const childId = run.known.get(w.sourceId);
    const parentId = run.known.get(w.parentSourceId);
    if (!childId || !parentId) continue;
    let u = byChild.get(w.sourceId);
    if (!u) {
      const index = indexOf.get(w.sourceId);
      u = {
        ...(index !== undefined ? { index } : {}), sourceId: w.sourceId, object: w.object, operation: 'upsert', targetObject: w.targetObject, targetId: childId,
        record: { waitingReferences: [] as PendingReference[] }, body: {}, waiting: [], attempts: 0, freeResends: 0,
      };
      byChild.set(w.sourceId, u);
    }
    u.body[w.field] = parentId;
    u.waiting.push(w);
    (u.record as { waitingReferences: PendingReference[] }).waitingReferences.push(w);
  }
  await sendReferenceUpdates(run, [...byChild.values()]);
}

async function sendReferenceUpdates(run: WriteRun, updates: ReferenceUpdate[]): Promise<void> {
  if (!updates.length) return;
  const { api } = run.ctx;
  await Promise.all(
    run.chunks(updates).map((chunk) =>
      run.sendWithRetry(chunk, {
        send: (items) => run.outcomesOf(items.length, () => api.update(items.map((u) => ({ attributes: { type: u.targetObject }, id: u.targetId, ...u.body })))),
        succeed: (u, _o, batch) => succeeded(run, u, batch),
        fail: (u, error, batch) => failed(run, u, error, batch),
      }),
    ),
  );
}

function succeeded(run: WriteRun, u: ReferenceUpdate, batch: LedgerBatch): void {
  const fields = Object.keys(u.body);
  const hashes: Record<string, string> = {};
  for (const f of fields) hashes[f] = hashValue(`id:${u.body[f]}`);
  batch.batch.written.push({ sourceId: u.sourceId, targetObject: u.targetObject, targetId: u.targetId, hashes });
  for (const f of fields) {
    batch.batch.referencesDone.push({ sourceId: u.sourceId, field: f });
    batch.count(u.targetObject, f, 'synced');
  }
  run.metrics.completedReferences += fields.length;
  const result = u.index === undefined ? undefined : run.results[u.index];
  if (result) {
    result.fields = [...new Set([...(result.fields ?? []), ...fields])];
    result.attempts += u.attempts;
  }
}

function failed(run: WriteRun, u: ReferenceUpdate, error: ClassifiedError, batch: LedgerBatch): void {
  const category = categoryOf(error);
  batch.batch.deadLetters.push({
    sourceId: u.sourceId, object: u.object, targetObject: u.targetObject, operation: u.operation, record: u.record,
    errorCode: error.code, message: `the record is in the target but its lookups ${Object.keys(u.body).join(', ')} could not be set: ${error.message}`,
    category, fields: error.fields.length ? error.fields : Object.keys(u.body), attempts: u.attempts,
  });
  // Waiting rows that failed for good move into the dead letter; transient ones stay for the next pass.
  if (category === 'permanent') for (const w of u.waiting) batch.batch.referencesDone.push({ sourceId: w.sourceId, field: w.field });
  batch.countRecord(u.targetObject, 'deadLettered', Object.keys(u.body));
  const result = u.index === undefined ? undefined : run.results[u.index];
  if (!result) return;
  if (result.outcome === 'created' || result.outcome === 'updated') {
    run.metrics[result.outcome]--;
    run.metrics.deadLettered++;
  }
  const next: RecordResult = {
    ...result, outcome: 'dead-lettered', attempts: result.attempts + u.attempts, fields: error.fields,
    error: { code: error.code, message: `the record was written but its lookups ${Object.keys(u.body).join(', ')} could not be set: ${error.message}`, category, ...(error.fields.length ? { fields: error.fields } : {}) },
  };
  run.results[u.index!] = next;
}
