import { hashValue } from '../ledger/field-hashes.js';
import type { SyncRecord, TargetReference, TargetSide } from '../sync/types.js';
import type { ClassifiedError } from './classify.js';
import type { WireRecord } from '../salesforce/org-api.js';
import type { Attempted } from './write-run.js';

export type UpsertMode = 'upsert' | 'update' | 'create';

/** One record on its way to the target: what is sent, how it is matched, and what it waits for. */
export interface UpsertItem extends Attempted {
  index: number;
  record: SyncRecord;
  target: TargetSide;
  sourceId: string;
  /** upsert: by external Id; update: by the Id the ledger maps it to; create: not in the target yet. */
  mode: UpsertMode;
  targetId?: string;
  /** Field values and resolved lookups (target names), without `attributes` and `id`. */
  body: Record<string, unknown>;
  /** Hash per field sent; lookups hash the parent they resolve to. */
  hashes: Record<string, string>;
  /** Hashes stored by the last sync. */
  stored?: Map<string, string>;
  /** Lookups in the body (by target Id or by the parent's external Id). */
  sent: TargetReference[];
  /** Lookups left empty: the parent is not in the target yet (set when it arrives). */
  deferred: TargetReference[];
  /**
   * Lookups an earlier write left waiting in the ledger for the same parent, which is still not
   * in the target: left out again without a new attempt, so an unchanged record stays unchanged.
   */
  waiting: TargetReference[];
  /** Lookups left out to break a cycle: set after this write's other records are in. */
  later: TargetReference[];
  /** An earlier create of this record may have reached the target (its answer was lost). */
  maybeCreated?: { since: number; body: Record<string, unknown> };
  /** Found in the target after a lost create answer, instead of being created again. */
  recovered?: boolean;
  /** Known in the target only as the record it came from (two-way sync): updated by Id. */
  linkedBack?: boolean;
  /** Only the fields that differ from the last sync are sent (a change event's write). */
  delta?: boolean;
  /**
   * Change events with a known target: per field the newer hash of either direction (two-way
   * sync), which is what both orgs held after the last sync. Only delta writes compare with it.
   */
  pairStored?: Map<string, string>;
}

export function newUpsertItem(index: number, record: SyncRecord): UpsertItem {
  return {
    index, record, target: record.target!, sourceId: record.sourceId, mode: 'create', body: {}, hashes: {},
    sent: [], deferred: [], waiting: [], later: [], attempts: 0, freeResends: 0,
  };
}

/** Where a lookup's parent stands when its child is about to be written. */
export interface ParentLookup {
  /** The parent's target Id, when known (Id map or written in this write). */
  targetId(sourceId: string): string | undefined;
  /** The parent is in this write and has not been written yet. */
  ahead(sourceId: string): boolean;
}

/**
 * Builds the body and hashes of an item and sorts its lookups into sent, deferred and later.
 * Answers the error for lookups that can be neither sent nor left empty.
 */
export function prepareUpsert(item: UpsertItem, parents: ParentLookup, brokenRefs: ReadonlySet<number>): ClassifiedError | undefined {
  const t = item.target;
  const body: Record<string, unknown> = { ...t.fields };
  if (t.match.by === 'externalId') body[t.match.field] = t.match.value;
  item.sent = [];
  item.deferred = [];
  item.waiting = [];
  item.later = [];
  const missing: TargetReference[] = [];
  // A lookup is whatever its reference resolves to, never a value copied into `fields` as well.
  for (const ref of t.references) {
    delete body[ref.field];
    delete body[ref.relationshipName];
  }
  const hashes: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) hashes[k] = hashValue(v);
  t.references.forEach((ref, k) => {
    const parentId = parents.targetId(ref.sourceId);
    if (parentId) {
      body[ref.field] = parentId;
      hashes[ref.field] = hashValue(`id:${parentId}`);
      item.sent.push(ref);
    } else if (brokenRefs.has(k) && parents.ahead(ref.sourceId)) {
      item.later.push(ref);
    } else if (ref.nillable && item.stored?.get(ref.field) === waitingHash(ref)) {
      // The target could not resolve this parent last time and nothing has written it since (its
      // arrival sets the lookup and replaces this hash): asking again would cost a call per rerun.
      hashes[ref.field] = waitingHash(ref);
      item.waiting.push(ref);
    } else if (ref.externalId) {
      // The parent may be in the target without our having written it: let the target resolve it.
      body[ref.relationshipName] = { attributes: { type: ref.object }, [ref.externalId.field]: ref.externalId.value };
      hashes[ref.field] = hashValue(`ext:${ref.externalId.field}=${ref.externalId.value}`);
      item.sent.push(ref);
    } else if (ref.nillable) {
      hashes[ref.field] = waitingHash(ref);
      item.deferred.push(ref);
    } else {
      missing.push(ref);
    }
  });
  item.body = body;
  item.hashes = hashes;
  item.delta = isDelta(item);
  if (item.delta) {
    // A change event writes what it changed: fields it did not touch, and fields that still hold
    // what the last sync left in both orgs, stay out, so an edit made meanwhile in the target to
    // another field is never undone (not even when this record was read before that edit arrived).
    // Lookups go by their hash only: one the change did not touch may still be waiting for its
    // parent, and leaving it out would lose the wait.
    const untouched = new Set(t.untouched ?? []);
    const lookups = new Map(t.references.map((r) => [r.field, r]));
    for (const [f, h] of Object.entries(hashes)) {
      const same = item.pairStored!.get(f) === h;
      const ref = lookups.get(f);
      if (!same && (ref || !untouched.has(f))) continue;
      delete body[f];
      // Not written, so the ledger keeps what it knows of the field rather than this read's value.
      if (!same) delete hashes[f];
      if (ref) delete body[ref.relationshipName];
    }
  }
  // A record known by Id (it came from the target org, or only changes are sent) is updated by
  // that Id; the external Id stays in the body, so the next upsert by it finds the record.
  item.mode = t.match.by === 'externalId' && !(item.targetId && (item.linkedBack || item.delta)) ? 'upsert' : item.targetId ? 'update' : 'create';
  if (missing.length) return missingParents(missing);
  return undefined;
}

/** Records of change events (`changedFields` set) with a known target and a last sync to compare with. */
function isDelta(item: UpsertItem): boolean {
  return item.record.changedFields !== undefined && !!item.targetId && !!item.pairStored && !item.maybeCreated;
}

export function missingParents(refs: readonly TargetReference[]): ClassifiedError {
  const which = refs.map((r) => `parent ${r.object} ${r.externalId ? `${r.sourceId} (${r.externalId.field} = ${r.externalId.value})` : r.sourceId}`);
  return {
    code: 'PARENT_NOT_IN_TARGET',
    message: `${which.join(', ')} ${refs.length > 1 ? 'are' : 'is'} not in the target org yet, and ${refs.map((r) => r.field).join(', ')} cannot be left empty; sync the parent first`,
    fields: refs.map((r) => r.field),
    class: 'permanent',
  };
}

/** Written before, not deferring anything, and every field and lookup hashes as last synced. */
export function isUnchanged(item: UpsertItem): boolean {
  // A delta write compares with what both orgs held; any other write with what this direction wrote.
  const stored = item.delta ? item.pairStored : item.stored;
  if (!item.targetId || !stored || item.deferred.length || item.later.length || item.maybeCreated) return false;
  for (const [f, h] of Object.entries(item.hashes)) if (stored.get(f) !== h) return false;
  return true;
}

export function wireOf(item: UpsertItem): WireRecord {
  const attributes = { type: item.target.object };
  return item.mode === 'update' ? { attributes, id: item.targetId, ...item.body } : { attributes, ...item.body };
}

/** Lookups sent in the external Id form that the target could not resolve. */
export function unresolvedExternalRefs(item: UpsertItem, error: ClassifiedError): TargetReference[] {
  const message = error.message.toLowerCase();
  return item.sent.filter((r) => {
    if (!r.externalId || typeof item.body[r.relationshipName] !== 'object') return false;
    return error.fields.includes(r.field) || error.fields.includes(r.relationshipName) || message.includes(r.externalId.value.toLowerCase());
  });
}

/** Leaves these lookups out of the body; they wait in the ledger for their parents. */
export function deferRefs(item: UpsertItem, refs: readonly TargetReference[]): void {
  for (const r of refs) {
    delete item.body[r.relationshipName];
    item.hashes[r.field] = waitingHash(r);
    item.sent = item.sent.filter((s) => s !== r);
    item.deferred.push(r);
  }
}

/**
 * What the ledger keeps for a lookup left empty to wait for its parent: the parent it waits for,
 * so that a rerun with the same parent still missing finds the record unchanged.
 */
export function waitingHash(ref: Pick<TargetReference, 'object' | 'sourceId'>): string {
  return hashValue(`wait:${ref.object}:${ref.sourceId}`);
}

/** Lookup fields of an item that are not in its body: waiting for, or written after, their parents. */
export function unsentLookups(item: UpsertItem): Set<string> {
  return new Set([...item.deferred, ...item.waiting, ...item.later].map((r) => r.field));
}

/** The values a create sent, kept to recognise the record if the answer is lost. */
export function comparableBody(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

/** Sort key that puts children of one parent next to each other, so they share a call and do not fight over the parent's lock. */
export function lockKey(item: UpsertItem): string {
  const first = item.sent[0];
  if (!first) return '';
  const v = item.body[first.field];
  return typeof v === 'string' ? v : `${first.object}:${first.externalId?.value ?? first.sourceId}`;
}
