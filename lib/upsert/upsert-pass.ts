import { yieldToEventLoop } from './backoff.js';
import { isGoneFromTarget, isMissingForeignKey, type ClassifiedError } from './classify.js';
import { findCreatedRecords } from './create-recovery.js';
import { LedgerBatch } from './ledger-batch.js';
import { planWrites } from './plan.js';
import {
  comparableBody, deferRefs, isUnchanged, lockKey, missingParents, newUpsertItem, prepareUpsert, unresolvedExternalRefs, unsentLookups, wireOf,
  type UpsertItem, type UpsertMode,
} from './upsert-item.js';
import { categoryOf, type Outcome, type WriteRun } from './write-run.js';

/** Records prepared (and their skips committed) per slice before the event loop gets a turn. */
const PREPARE_SLICE = 1000;

/**
 * The upserts of one round: planned into levels, each level checked against the ledger's hashes
 * (unchanged records cost no call), then sent in collections calls grouped by object and match.
 */
export class UpsertPass {
  readonly items: UpsertItem[];
  private readonly inRound: Set<string>;
  private readonly settled = new Set<string>();

  constructor(
    private readonly run: WriteRun,
    indices: readonly number[],
  ) {
    this.items = indices.map((i) => newUpsertItem(i, run.records[i]!));
    this.inRound = new Set(this.items.map((it) => it.sourceId));
  }

  async execute(): Promise<void> {
    const plan = planWrites(this.items.map((it) => ({ id: it.sourceId, refs: it.target.references.map((r) => ({ parent: r.sourceId, nillable: r.nillable })) })));
    const broken = new Map<UpsertItem, Set<number>>();
    for (const b of plan.broken) {
      const item = this.items[b.node]!;
      if (!broken.has(item)) broken.set(item, new Set());
      broken.get(item)!.add(b.refIndex);
    }
    if (plan.stuck.length) {
      const batch = new LedgerBatch();
      for (const component of plan.stuck) {
        const members = component.map((n) => this.items[n]!);
        const error: ClassifiedError = {
          code: 'CIRCULAR_REFERENCE',
          message: `${members.map((m) => `${m.target.object} ${m.sourceId}`).join(', ')} reference each other through lookups that cannot be left empty (${[...new Set(members.flatMap((m) => m.target.references.map((r) => r.field)))].join(', ')}), so none of them can be written first`,
          fields: [],
          class: 'permanent',
        };
        for (const m of members) this.fail(m, error, batch);
      }
      this.run.commit(batch);
    }
    await this.recoverLostCreates();
    for (const level of plan.levels) await this.runLevel(level.map((n) => this.items[n]!), broken);
  }

  /**
   * Creates still filed as pending from an earlier run (it died before the answer was recorded):
   * the record may be in the target already. Found ones are mapped, so this run updates them
   * instead of creating them a second time.
   */
  private async recoverLostCreates(): Promise<void> {
    const { ctx } = this.run;
    const candidates = this.items.filter((it) => it.target.match.by === 'ledger' && !this.run.known.has(it.sourceId) && !this.settled.has(it.sourceId));
    const pending = ctx.ledger.pendingCreates(ctx.sourceOrg, ctx.targetOrg, candidates.map((it) => it.sourceId));
    if (!pending.size) return;
    const byObject = new Map<string, UpsertItem[]>();
    for (const it of candidates) {
      const p = pending.get(it.sourceId);
      if (!p) continue;
      it.maybeCreated = { since: p.startedAt, body: p.fields };
      const list = byObject.get(p.targetObject) ?? [];
      list.push(it);
      byObject.set(p.targetObject, list);
    }
    for (const [object, items] of byObject) {
      const found = await this.run.read(() =>
        findCreatedRecords(ctx.api, ctx.ledger, ctx.targetOrg, object, ctx.target.identity?.userId, items.map((it) => ({ sourceId: it.sourceId, body: it.maybeCreated!.body, since: it.maybeCreated!.since }))),
      );
      const batch = new LedgerBatch();
      for (const it of items) {
        if (!found.ok) {
          this.fail(it, outcomeUnknown(found.error), batch);
          continue;
        }
        const id = found.value.get(it.sourceId);
        it.maybeCreated = undefined;
        if (!id) continue;
        it.recovered = true;
        this.run.known.set(it.sourceId, id);
        this.run.metrics.recoveredCreates++;
        batch.batch.written.push({ sourceId: it.sourceId, targetObject: object, targetId: id, hashes: {} });
        batch.batch.createsSettled.push(it.sourceId);
      }
      this.run.commit(batch);
    }
  }

  private async runLevel(level: UpsertItem[], broken: Map<UpsertItem, Set<number>>): Promise<void> {
    const open = level.filter((it) => !this.settled.has(it.sourceId));
    const parents = {
      targetId: (id: string) => this.run.known.get(id),
      ahead: (id: string) => this.inRound.has(id) && !this.settled.has(id),
    };
    const toWrite: UpsertItem[] = [];
    const none = new Set<number>();
    // Slices keep each ledger transaction and each stretch of synchronous work short.
    for (let start = 0; start < open.length; start += PREPARE_SLICE) {
      if (start > 0) await yieldToEventLoop();
      const slice = open.slice(start, start + PREPARE_SLICE);
      for (const item of slice) {
        item.targetId = this.run.known.get(item.sourceId);
        item.linkedBack = this.run.linkedBack.has(item.sourceId);
      }
      const { stored, pairs } = storedHashes(this.run, slice);
      const batch = new LedgerBatch();
      for (const item of slice) {
        item.stored = stored.get(item.sourceId);
        item.pairStored = pairs.get(item.sourceId);
        const problem = prepareUpsert(item, parents, broken.get(item) ?? none);
        if (problem) this.fail(item, problem, batch);
        else if (isUnchanged(item)) this.unchanged(item, batch);
        else toWrite.push(item);
      }
      this.run.commit(batch);
    }

    const groups = new Map<string, UpsertItem[]>();
    for (const it of toWrite) {
      const key = `${it.mode}\u0000${it.target.object}\u0000${it.mode === 'upsert' && it.target.match.by === 'externalId' ? it.target.match.field : ''}`;
      const list = groups.get(key) ?? [];
      list.push(it);
      groups.set(key, list);
    }
    const calls: Array<Promise<void>> = [];
    for (const [key, items] of groups) {
      const [mode, object, extField] = key.split('\u0000') as [UpsertMode, string, string];
      const keys = new Map(items.map((it) => [it, lockKey(it)]));
      items.sort((a, b) => (keys.get(a)! < keys.get(b)! ? -1 : keys.get(a)! > keys.get(b)! ? 1 : 0));
      for (const chunk of this.run.writeChunks(items)) calls.push(this.send(mode, object, extField, chunk));
    }
    await Promise.all(calls);
  }

  private send(mode: UpsertMode, object: string, extField: string, items: UpsertItem[]): Promise<void> {
    return this.run.sendWithRetry(items, {
      send: (batch) =>
        mode === 'create'
          ? this.sendCreates(object, batch)
          : this.run.outcomesOf(batch.length, () => this.run.save(mode, object, extField, batch.map(wireOf))),
      succeed: (item, o, batch) => this.succeed(item, o, batch),
      fail: (item, error, batch) => this.fail(item, error, batch),
      repair: (item, error) => {
        if (item.mode === 'update' && isGoneFromTarget(error)) return goneFromTarget(item, error);
        if (!isMissingForeignKey(error)) return false;
        const refs = unresolvedExternalRefs(item, error);
        if (!refs.length) return false;
        if (refs.some((r) => !r.nillable)) return missingParents(refs.filter((r) => !r.nillable));
        deferRefs(item, refs);
        return true;
      },
    });
  }

  /** Creates, with each one filed as pending first so that a lost answer cannot turn into a duplicate. */
  private async sendCreates(object: string, items: UpsertItem[]): Promise<Outcome[]> {
    const { ctx } = this.run;
    const outcomes = new Array<Outcome | undefined>(items.length);
    const unsure = items.filter((it) => it.maybeCreated);
    if (unsure.length) {
      const found = await this.run.read(() =>
        findCreatedRecords(ctx.api, ctx.ledger, ctx.targetOrg, object, ctx.target.identity?.userId, unsure.map((it) => ({ sourceId: it.sourceId, body: it.maybeCreated!.body, since: it.maybeCreated!.since }))),
      );
      for (const it of unsure) {
        const k = items.indexOf(it);
        if (!found.ok) {
          outcomes[k] = { ok: false, error: outcomeUnknown(found.error) };
          continue;
        }
        const id = found.value.get(it.sourceId);
        it.maybeCreated = undefined;
        if (id) {
          it.recovered = true;
          this.run.metrics.recoveredCreates++;
          outcomes[k] = { ok: true, id, created: true };
        }
      }
    }
    const toSend = items.filter((_, k) => !outcomes[k]);
    if (toSend.length) {
      const startedAt = ctx.now();
      ctx.ledger.startCreates(
        toSend.map((it) => ({ sourceOrg: ctx.sourceOrg, sourceId: it.sourceId, targetOrg: ctx.targetOrg, targetObject: object, fields: comparableBody(it.body) })),
        startedAt,
      );
      const sent = await this.run.outcomesOf(toSend.length, () => this.run.save('create', object, '', toSend.map(wireOf)), (error) => {
        if (error.ambiguous) for (const it of toSend) it.maybeCreated = { since: startedAt, body: comparableBody(it.body) };
      });
      toSend.forEach((it, k) => (outcomes[items.indexOf(it)] = sent[k]));
    }
    return outcomes.map((o) => o!);
  }

  private succeed(item: UpsertItem, o: { id?: string; created?: boolean }, batch: LedgerBatch): void {
    const id = o.id ?? item.targetId;
    if (!id) {
      this.fail(item, { code: 'UNEXPECTED_RESPONSE', message: 'the target org reported success without a record Id', fields: [], class: 'permanent' }, batch);
      return;
    }
    const outcome = item.recovered || item.mode === 'create' || (item.mode === 'upsert' && o.created) ? 'created' : 'updated';
    const { run } = this;
    run.known.set(item.sourceId, id);
    run.ready.add(item.sourceId);
    this.settled.add(item.sourceId);
    // A delta write reports the fields it sent; every hash is still stored (the rest were unchanged).
    // Lookups left waiting for their parents keep a hash in the ledger but were not written.
    const unsent = unsentLookups(item);
    const fields = item.delta
      ? Object.keys(item.hashes).filter((f) => f in item.body || item.target.references.some((r) => r.field === f && r.relationshipName in item.body))
      : Object.keys(item.hashes).filter((f) => !unsent.has(f));
    const targetObject = item.target.object;
    run.results[item.index] = { object: item.record.object, sourceId: item.sourceId, targetObject, targetId: id, outcome, fields, attempts: item.attempts };
    run.metrics[outcome]++;
    run.metrics.deferredReferences += item.deferred.length;
    const b = batch.batch;
    b.written.push({ sourceId: item.sourceId, targetObject, targetId: id, hashes: item.hashes });
    for (const r of item.sent) b.referencesDone.push({ sourceId: item.sourceId, field: r.field });
    for (const r of item.deferred) {
      b.deferred.push({
        sourceId: item.sourceId, object: item.record.object, targetObject, field: r.field, parentObject: r.object, parentSourceId: r.sourceId,
        ...(r.externalId ? { parentExternalId: r.externalId } : {}),
      });
    }
    if (item.mode === 'create') b.createsSettled.push(item.sourceId);
    batch.count(targetObject, '', 'synced');
    for (const f of fields) batch.count(targetObject, f, item.stored?.get(f) === item.hashes[f] ? 'skipped' : 'synced');
    release(item);
  }

  private unchanged(item: UpsertItem, batch: LedgerBatch): void {
    const { run } = this;
    run.ready.add(item.sourceId);
    this.settled.add(item.sourceId);
    run.results[item.index] = { object: item.record.object, sourceId: item.sourceId, targetObject: item.target.object, targetId: item.targetId, outcome: 'unchanged', fields: [], attempts: 0 };
    run.metrics.unchanged++;
    if (item.waiting.length) {
      // Its other lookups are set as hashed, so any wait of theirs is over; these still wait.
      batch.batch.stillWaiting.push(item.sourceId);
      const waiting = new Set(item.waiting.map((r) => r.field));
      for (const r of item.target.references) if (!waiting.has(r.field)) batch.batch.referencesDone.push({ sourceId: item.sourceId, field: r.field });
    } else batch.batch.unchanged.push(item.sourceId);
    batch.countRecord(item.target.object, 'skipped', Object.keys(item.hashes));
    release(item);
  }

  fail(item: UpsertItem, error: ClassifiedError, batch: LedgerBatch): void {
    const { run } = this;
    const category = categoryOf(error);
    this.settled.add(item.sourceId);
    run.results[item.index] = {
      object: item.record.object, sourceId: item.sourceId, targetObject: item.target.object, ...(item.targetId ? { targetId: item.targetId } : {}),
      outcome: 'dead-lettered', fields: error.fields, attempts: item.attempts,
      error: { code: error.code, message: error.message, category, ...(error.fields.length ? { fields: error.fields } : {}) },
    };
    run.metrics.deadLettered++;
    batch.batch.deadLetters.push({
      sourceId: item.sourceId, object: item.record.object, targetObject: item.target.object, operation: item.record.operation, record: item.record,
      errorCode: error.code, message: error.message, category, fields: error.fields, attempts: item.attempts,
    });
    // Only a create this run sent and knows the end of is settled; one that may have landed stays
    // filed, so a replay looks for it before sending it again.
    if (item.mode === 'create' && item.attempts > 0 && !item.maybeCreated) batch.batch.createsSettled.push(item.sourceId);
    batch.countRecord(item.target.object, 'deadLettered', error.fields);
    release(item);
  }
}

/** A settled item keeps only what the second pass needs; a large write should not hold every body until it ends. */
function release(item: UpsertItem): void {
  item.body = {};
  item.hashes = {};
  item.stored = undefined;
}

/**
 * The record the ledger maps to was deleted in the target. It is not created again on its own:
 * someone removed it there on purpose, and bringing it back is a decision for the admin.
 */
/**
 * The hashes a write is compared with: what this direction last wrote, and, for change events
 * with a known target, each field's newest hash in either direction (two-way sync: the other
 * direction's write changed this target too). Only delta writes use the second.
 */
function storedHashes(run: WriteRun, items: readonly UpsertItem[]): { stored: Map<string, Map<string, string>>; pairs: Map<string, Map<string, string>> } {
  const { ledger, sourceOrg, targetOrg } = run.ctx;
  const stored = ledger.fieldHashes(sourceOrg, targetOrg, items.map((it) => it.sourceId));
  const changes = items.filter((it) => it.targetId && it.record.changedFields !== undefined).map((it) => ({ sourceId: it.sourceId, targetId: it.targetId! }));
  return { stored, pairs: ledger.pairFieldHashes(sourceOrg, targetOrg, changes) };
}

function goneFromTarget(item: UpsertItem, error: ClassifiedError): ClassifiedError {
  return {
    ...error,
    message: `${item.target.object} ${item.targetId} was deleted in the target org (${error.message}); restore it from the recycle bin, ` +
      'or forget its Id map entry (Ledger.unmapIds) so that the next sync creates it again',
  };
}

function outcomeUnknown(error: ClassifiedError): ClassifiedError {
  return {
    code: error.class === 'halt' ? error.code : 'CREATE_OUTCOME_UNKNOWN',
    message: `an earlier create of this record may have reached the target org and it could not be looked for (${error.code}: ${error.message}); it is not created again until it has been`,
    fields: [],
    class: error.class,
  };
}

