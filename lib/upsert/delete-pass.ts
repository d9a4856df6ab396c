import type { SyncRecord } from '../sync/types.js';
import { isGoneFromTarget, type ClassifiedError } from './classify.js';
import { LedgerBatch } from './ledger-batch.js';
import { planWrites } from './plan.js';
import { categoryOf, type Attempted, type Outcome, type WriteRun } from './write-run.js';

interface DeleteItem extends Attempted {
  index: number;
  record: SyncRecord;
  sourceId: string;
  targetObject: string;
  targetId?: string;
}

/** External Id values per lookup query; keeps the SOQL well under its length limit. */
const LOOKUP_VALUES_PER_QUERY = 100;

/**
 * Deletes of one round: the target record is the one the Id map holds, or the one with the
 * record's external Id. Children go before their parents (a parent with restricted-delete
 * children cannot go first). A record already gone from the target counts as deleted; one that
 * was never there is `unchanged`.
 */
export async function runDeletes(run: WriteRun, indices: readonly number[]): Promise<void> {
  if (!indices.length) return;
  const { ctx } = run;
  const items: DeleteItem[] = indices.map((index) => {
    const record = run.records[index]!;
    return { index, record, sourceId: record.sourceId, targetObject: record.target?.object ?? record.object, attempts: 0, freeResends: 0 };
  });
  const mapped = ctx.ledger.idMapEntries(ctx.sourceOrg, ctx.targetOrg, items.map((it) => it.sourceId));
  for (const it of items) {
    const entry = mapped.get(it.sourceId);
    if (entry) {
      it.targetId = entry.targetId;
      it.targetObject = entry.targetObject;
    }
  }
  await lookUpByExternalId(run, items.filter((it) => !it.targetId && it.record.target?.match.by === 'externalId'));

  const batch = new LedgerBatch();
  for (const it of items) {
    if (it.targetId || run.results[it.index]) continue;
    run.results[it.index] = { object: it.record.object, sourceId: it.sourceId, targetObject: it.targetObject, outcome: 'unchanged', fields: [], attempts: 0 };
    run.metrics.unchanged++;
    batch.batch.deleted.push(it.sourceId);
    batch.countRecord(it.targetObject, 'skipped');
  }
  run.commit(batch);

  const present = items.filter((it) => it.targetId && !run.results[it.index]);
  const plan = planWrites(present.map((it) => ({ id: it.sourceId, refs: (it.record.references ?? []).map((r) => ({ parent: r.id, nillable: true })) })));
  for (const level of [...plan.levels].reverse()) {
    const chunks = deleteChunks(run, level.map((n) => present[n]!));
    await Promise.all(
      chunks.map(({ object, chunk, bulk }) =>
        run.sendWithRetry(chunk, {
          // Re-sends of a chunk's failed rows go the way the chunk went (soft ones by collections calls when few enough).
          send: (list) =>
            run.outcomesOf(list.length, () => run.remove(object, list.map((it) => it.targetId!), bulk && (run.ctx.bulkHardDelete || list.length > run.ctx.batchSize)))
              .then((outcomes) => outcomes.map(alreadyGoneIsDeleted)),
          succeed: (it, _o, b) => {
            run.results[it.index] = { object: it.record.object, sourceId: it.sourceId, targetObject: it.targetObject, targetId: it.targetId, outcome: 'deleted', fields: [], attempts: it.attempts };
            run.metrics.deleted++;
            run.known.delete(it.sourceId);
            run.ready.delete(it.sourceId);
            b.batch.deleted.push(it.sourceId);
            b.countRecord(it.targetObject, 'synced');
          },
          fail: (it, error, b) => fail(run, it, error, b),
        }),
      ),
    );
  }
}

interface DeleteChunk {
  object: string;
  chunk: DeleteItem[];
  bulk: boolean;
}

/**
 * A Bulk API job deletes records of one object, so an object with enough deletes for Bulk gets
 * chunks of its own (writeChunks decides); the rest share collections calls, which take any mix.
 * Hard deletes keep every record of such an object in jobs (a short last chunk included, and the
 * retries of failed rows): only a job can delete past the recycle bin.
 */
function deleteChunks(run: WriteRun, items: DeleteItem[]): DeleteChunk[] {
  const byObject = new Map<string, DeleteItem[]>();
  for (const it of items) {
    const group = byObject.get(it.targetObject);
    if (group) group.push(it);
    else byObject.set(it.targetObject, [it]);
  }
  const { bulkThreshold, bulkHardDelete, bulkJobSize, batchSize } = run.ctx;
  const out: DeleteChunk[] = [];
  const mixed: DeleteItem[] = [];
  for (const [object, group] of byObject) {
    if (group.length < bulkThreshold) mixed.push(...group);
    else if (!bulkHardDelete) for (const chunk of run.writeChunks(group)) out.push({ object, chunk, bulk: chunk.length > batchSize });
    else for (let i = 0; i < group.length; i += bulkJobSize) out.push({ object, chunk: group.slice(i, i + bulkJobSize), bulk: true });
  }
  for (const chunk of run.chunks(mixed)) out.push({ object: chunk[0]!.targetObject, chunk, bulk: false });
  return out;
}

/** Finds target Ids by external Id for records the Id map does not know, one query per object, field and 100 values. */
async function lookUpByExternalId(run: WriteRun, items: DeleteItem[]): Promise<void> {
  const groups = new Map<string, DeleteItem[]>();
  for (const it of items) {
    const m = it.record.target!.match as { field: string; value: string };
    const key = `${it.targetObject}\u0000${m.field}`;
    groups.set(key, [...(groups.get(key) ?? []), it]);
  }
  for (const [key, group] of groups) {
    const [object, field] = key.split('\u0000') as [string, string];
    for (let i = 0; i < group.length; i += LOOKUP_VALUES_PER_QUERY) {
      const slice = group.slice(i, i + LOOKUP_VALUES_PER_QUERY);
      const values = [...new Set(slice.map((it) => valueOf(it)))];
      const soql = `SELECT Id, ${field} FROM ${object} WHERE ${field} IN (${values.map(soqlString).join(', ')})`;
      const answer = await run.read(() => run.ctx.api.rows<Record<string, unknown> & { Id: string }>(soql, `looking up ${object} records to delete`));
      const batch = new LedgerBatch();
      if (!answer.ok) {
        for (const it of slice) fail(run, it, answer.error, batch);
      } else {
        const byValue = new Map<string, string>();
        for (const row of answer.value) {
          const v = row[field] ?? Object.entries(row).find(([k]) => k.toLowerCase() === field.toLowerCase())?.[1];
          if (typeof v === 'string') byValue.set(v.toLowerCase(), row.Id);
        }
        for (const it of slice) it.targetId = byValue.get(valueOf(it).toLowerCase());
      }
      run.commit(batch);
    }
  }
}

function valueOf(it: DeleteItem): string {
  return String((it.record.target!.match as { value: string }).value);
}

function soqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function alreadyGoneIsDeleted(o: Outcome): Outcome {
  return !o.ok && isGoneFromTarget(o.error) ? { ok: true } : o;
}

function fail(run: WriteRun, it: DeleteItem, error: ClassifiedError, batch: LedgerBatch): void {
  const category = categoryOf(error);
  run.results[it.index] = {
    object: it.record.object, sourceId: it.sourceId, targetObject: it.targetObject, ...(it.targetId ? { targetId: it.targetId } : {}),
    outcome: 'dead-lettered', fields: error.fields, attempts: it.attempts,
    error: { code: error.code, message: error.message, category, ...(error.fields.length ? { fields: error.fields } : {}) },
  };
  run.metrics.deadLettered++;
  batch.batch.deadLetters.push({
    sourceId: it.sourceId, object: it.record.object, targetObject: it.targetObject, operation: 'delete', record: it.record,
    errorCode: error.code, message: error.message, category, fields: error.fields, attempts: it.attempts,
  });
  batch.countRecord(it.targetObject, 'deadLettered');
}
