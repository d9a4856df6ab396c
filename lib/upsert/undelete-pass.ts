/**
 * Undeletes: a record restored in the source is restored in the target too, as the same record
 * (its Id, history and children come back from the recycle bin) through the SOAP API's
 * `undelete()`, the one way the platform offers; the REST API has none. The target record is the
 * one the Id map holds (someone may have deleted it in the target), or the one a synced delete
 * removed (kept in the ledger), else the deleted one with the record's external Id (queryAll). Then the record is written as an upsert, so its fields are the source's again.
 *
 * When the target's recycle bin no longer holds it (emptied, or older than 15 days), or it was
 * never deleted there, the upsert re-creates or updates it, and the result says so in `note`.
 */
import type { SyncRecord } from '../sync/types.js';
import { LedgerBatch } from './ledger-batch.js';
import type { WriteRun } from './write-run.js';

/** What became of an undelete before its upsert: restored, or written anew (with why). */
export type UndeleteOutcome = { restored: true } | { restored: false; note: string };

const NOT_IN_BIN = new Set(['UNDELETE_FAILED', 'INVALID_CROSS_REFERENCE_KEY', 'ENTITY_IS_DELETED', 'INVALID_ID_FIELD']);
const LOOKUP_VALUES_PER_QUERY = 100;

/**
 * Restores what it can and turns every undelete of the round into an upsert (`records` is the
 * run's, changed in place); returns what happened per index for the results.
 */
export async function runUndeletes(run: WriteRun, records: SyncRecord[], indices: readonly number[]): Promise<Map<number, UndeleteOutcome>> {
  const out = new Map<number, UndeleteOutcome>();
  if (!indices.length) return out;
  const { ctx } = run;
  const ids = indices.map((i) => records[i]!.sourceId);
  const live = ctx.ledger.idMapEntries(ctx.sourceOrg, ctx.targetOrg, ids);
  const removed = ctx.ledger.deletedTargets(ctx.sourceOrg, ctx.targetOrg, ids);
  const targets = new Map<number, { targetId: string; targetObject: string }>();
  const byExternalId: number[] = [];
  for (const i of indices) {
    const r = records[i]!;
    // A mapped record may have been deleted in the target by someone else: it is tried too.
    const d = live.get(r.sourceId) ?? removed.get(r.sourceId);
    if (d) targets.set(i, { targetId: d.targetId, targetObject: d.targetObject });
    else if (r.target?.match.by === 'externalId') byExternalId.push(i);
  }
  await findDeletedByExternalId(run, records, byExternalId, targets);

  const found = [...targets];
  for (const chunk of run.chunks(found)) {
    const outcomes = await run.outcomesOf(chunk.length, () => ctx.api.undelete(chunk.map(([, t]) => t.targetId)));
    const batch = new LedgerBatch();
    chunk.forEach(([i, t], k) => {
      const o = outcomes[k]!;
      const r = records[i]!;
      if (o.ok) {
        out.set(i, { restored: true });
        // Mapped again, so a record matched by the ledger is updated, not created a second time.
        ctx.ledger.mapIds([{ sourceOrg: ctx.sourceOrg, sourceId: r.sourceId, targetOrg: ctx.targetOrg, targetObject: t.targetObject, targetId: t.targetId }], ctx.now());
      } else if (o.error.code === 'UNDELETE_FAILED' && live.has(r.sourceId)) {
        // Not in the recycle bin because it was never deleted there: written as an update.
        out.set(i, { restored: false, note: 'the target record was not deleted: written as an update' });
      } else if (NOT_IN_BIN.has(o.error.code)) {
        // Gone for good: forgotten, so that the upsert creates it again rather than update what is not there.
        if (live.has(r.sourceId)) ctx.ledger.unmapIds(ctx.sourceOrg, ctx.targetOrg, [r.sourceId], ctx.now());
        out.set(i, { restored: false, note: `the target's recycle bin no longer held the record (${o.error.code}: ${o.error.message}): re-created as a new record` });
      } else {
        out.set(i, { restored: false, note: `the target record could not be restored (${o.error.code}: ${o.error.message}): written anew` });
      }
    });
    run.commit(batch);
  }
  for (const i of indices) {
    if (!out.has(i)) out.set(i, { restored: false, note: 'no deleted target record was found to restore: re-created as a new record' });
    records[i] = { ...records[i]!, operation: 'upsert' };
  }
  return out;
}

/** Deleted target records with the records' external Ids, one queryAll per object, field and 100 values. */
async function findDeletedByExternalId(run: WriteRun, records: SyncRecord[], indices: number[], into: Map<number, { targetId: string; targetObject: string }>): Promise<void> {
  const groups = new Map<string, number[]>();
  for (const i of indices) {
    const t = records[i]!.target!;
    const key = `${t.object}\u0000${(t.match as { field: string }).field}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  for (const [key, group] of groups) {
    const [object, field] = key.split('\u0000') as [string, string];
    for (let k = 0; k < group.length; k += LOOKUP_VALUES_PER_QUERY) {
      const slice = group.slice(k, k + LOOKUP_VALUES_PER_QUERY);
      const valueOf = (i: number) => String((records[i]!.target!.match as { value: unknown }).value);
      const values = [...new Set(slice.map(valueOf))];
      const soql = `SELECT Id, ${field} FROM ${object} WHERE IsDeleted = true AND ${field} IN (${values.map(soqlString).join(', ')})`;
      const answer = await run.read(async () => {
        const rows: Array<Record<string, unknown> & { Id: string }> = [];
        for await (const page of run.ctx.api.pages<Record<string, unknown> & { Id: string }>(soql, `looking up deleted ${object} records to restore`, { queryAll: true })) rows.push(...page.records);
        return rows;
      });
      // A failed lookup leaves the record to be written anew; the upsert reports what goes wrong there.
      if (!answer.ok) continue;
      const byValue = new Map<string, string>();
      for (const row of answer.value) if (typeof row[field] === 'string') byValue.set((row[field] as string).toLowerCase(), row.Id);
      for (const i of slice) {
        const id = byValue.get(valueOf(i).toLowerCase());
        if (id) into.set(i, { targetId: id, targetObject: object });
      }
    }
  }
}

function soqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
