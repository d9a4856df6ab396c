/**
 * `sf-collect`'s engine: the records of a CollectionPlan, in dependency order, as bounded batches.
 *
 * A run has three steps:
 * 1. discover (discover.ts): every record of the collection is found, hop by hop, keeping its Id
 *    and lookup links (and whole rows only while the run is small);
 * 2. order (dependency-levels.ts): each record gets a level above its collected parents, cycles
 *    are broken by deferring one nillable link;
 * 3. emit: level by level, object by object, records are taken from the rows discovery kept
 *    (row-store.ts) and handed out as batches of `batchSize`.
 *
 * Every batch has one object and one level, so a record's parents are always in an earlier batch:
 * written in order, lookups always find their parents (accounts before their contacts, a parent
 * account before its children, however deep the hierarchy).
 *
 * `parts` on every batch is `{id: runId, index, count, type: 'array', len: batchSize}`, and the
 * count is exact from the first batch on (the number of batches is known once the run is ordered).
 * To put a whole run back into one message, a core Join node in automatic mode is enough: it
 * concatenates the `msg.payload` arrays in `index` order, which is dependency order. In manual
 * mode, choose "an Array" and leave "After a number of message parts" empty so that `parts.count`
 * decides; `msg.s2s.last` marks the last batch for flows that only want to react to the end. A
 * Join holds the whole run in memory, so use it for modest runs only; large runs should flow
 * through batch by batch.
 */
import { randomUUID } from 'node:crypto';
import type { OrgConnection } from '../connection/org-connection.js';
import type { BatchMeta } from '../sync/types.js';
import { dependencyLevels, type DependencyOrder } from './dependency-levels.js';
import { Discoverer, lookupTarget, type DiscoverOptions, type Discovery } from './discover.js';
import { OrgApi } from '../salesforce/org-api.js';
import type { CollectionPlan } from './plan.js';
import { toSyncRecord, type CollectedRecord, type RecordContext } from './sync-records.js';

export const DEFAULT_BATCH_SIZE = 200;
export const MAX_BATCH_SIZE = 10_000;

export interface CollectOptions extends DiscoverOptions {
  /** Records per batch (default 200, at most 10,000). */
  batchSize?: number;
  /** Rows per query page, 200..2000 (default 2000). */
  pageSize?: number;
  /** Groups the batches (`msg.parts.id`, `msg.s2s.runId`); a fresh UUID by default. */
  runId?: string;
  /** Stops the run between calls, e.g. when the node closes. */
  signal?: AbortSignal;
  /** Called once the run is ordered, before the first batch: what is about to come. */
  onPlanned?: (overview: CollectOverview) => void;
}

/** `msg.parts` of a batch, as the core Split node would set it for an array. */
export interface BatchParts {
  id: string;
  index: number;
  count: number;
  type: 'array';
  len: number;
}

export interface CollectBatch {
  /** `msg.payload`. */
  records: CollectedRecord[];
  /** `msg.s2s`. */
  meta: BatchMeta;
  /** `msg.parts`. */
  parts: BatchParts;
}

/** A link left for a second pass (see dependency-levels.ts). */
export interface DeferredReference {
  object: string;
  sourceId: string;
  field: string;
  parentObject: string;
  parentId: string;
  /** The lookup may not be empty: the cycle cannot be written in two passes as it stands. */
  required: boolean;
}

export interface CollectOverview {
  runId: string;
  totalRecords: number;
  batches: number;
  /** Dependency levels (0 when there are no records). */
  levels: number;
  byObject: Record<string, number>;
  /** A changes-only read's deletes by object (only objects that have some). */
  deleted: Record<string, number>;
  deferred: DeferredReference[];
  /** Root Ids asked for that were not found (or did not match the condition). */
  missingRootIds: string[];
  /** Parent records that were followed but not found (deleted, or not visible). */
  missingParents: number;
  /** Whether every row stayed in memory (none went to the temporary database). */
  heldInMemory: boolean;
  /** API calls so far. */
  apiCalls: number;
}

export interface CollectSummary extends CollectOverview {
  /** Records emitted (deletes included). */
  emitted: number;
  /** Records found in discovery whose row could not be given out (0 unless the row store failed). */
  vanished: number;
}

/**
 * Collects the plan's records from `conn`'s org as an async generator of batches; its return value
 * is the run's summary. Consuming it slowly is safe: nothing is read ahead of the batch asked for,
 * and no query cursor stays open across a batch, so a slow writer never meets an expired locator.
 */
export async function* collect(conn: OrgConnection, plan: CollectionPlan, options: CollectOptions = {}): AsyncGenerator<CollectBatch, CollectSummary, void> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) throw new RangeError(`batchSize must be a whole number from 1 to ${MAX_BATCH_SIZE}, got ${batchSize}`);
  const reader = new OrgApi(conn, options);
  const runId = options.runId ?? randomUUID();
  const found = await new Discoverer(reader, plan, options).run();
  try {
    return yield* emit(conn, reader, found, plan, options, runId, batchSize);
  } finally {
    found.rows.close();
  }
}

async function* emit(conn: OrgConnection, reader: OrgApi, found: Discovery, plan: CollectionPlan, options: CollectOptions, runId: string, batchSize: number): AsyncGenerator<CollectBatch, CollectSummary, void> {
  const order = await dependencyLevels(found.graph, (l) => found.lookups[l]!.lookup.nillable);
  const groups = groupByLevel(found, order, plan.objects.length);
  // Deletes go last, children's objects before their parents' (the plan lists parents first).
  const deletes = plan.objects.map((o, i) => ({ object: o, list: found.deleted[i]! })).reverse().filter((d) => d.list.length);
  const batches = countBatches(groups.start, batchSize) + deletes.reduce((n, d) => n + Math.ceil(d.list.length / batchSize), 0);
  const overview: CollectOverview = {
    runId,
    totalRecords: found.graph.collectedCount,
    batches,
    levels: order.maxLevel + 1,
    byObject: countByObject(found, plan),
    deleted: Object.fromEntries(deletes.map((d) => [d.object.name, d.list.length])),
    deferred: deferredReferences(found, order, plan),
    missingRootIds: found.missingRootIds,
    missingParents: found.missingParents,
    heldInMemory: found.rows.spilledRows === 0,
    apiCalls: reader.calls,
  };
  options.onPlanned?.(overview);

  const source = { orgId: reader.orgId, name: conn.settings.name };
  const ctx = recordContext(found, order, plan, reader.orgId);
  let index = 0;
  let emitted = 0;
  let vanished = 0;
  for (let key = 0; key + 1 < groups.start.length; key++) {
    const from = groups.start[key]!;
    const to = groups.start[key + 1]!;
    if (from === to) continue;
    const objectIndex = key % plan.objects.length;
    const object = plan.objects[objectIndex]!;
    const level = Math.floor(key / plan.objects.length);
    for (let b = from; b < to; b += batchSize) {
      const nodes = groups.order.subarray(b, Math.min(to, b + batchSize));
      const records: CollectedRecord[] = [];
      for (const node of nodes) {
        const row = found.rows.take(node);
        if (!row) {
          vanished++;
          continue;
        }
        records.push(toSyncRecord(row, object, found.lookupsOf[objectIndex]!, ctx));
      }
      emitted += records.length;
      const meta: BatchMeta = { source, object: object.name, batchId: `${runId}:${index}`, runId, level, last: index === batches - 1 };
      yield { records, meta, parts: { id: runId, index, count: batches, type: 'array', len: batchSize } };
      index++;
      options.onProgress?.({ phase: 'emit', records: emitted, of: overview.totalRecords, apiCalls: reader.calls });
      reader.throwIfAborted();
    }
  }
  const level = order.maxLevel + 1;
  for (const d of deletes) {
    for (let b = 0; b < d.list.length; b += batchSize) {
      const records: CollectedRecord[] = d.list.slice(b, b + batchSize).map(({ id, at }) => ({
        object: d.object.name, sourceId: id, operation: 'delete', fields: {}, references: [],
        origin: at ? { orgId: reader.orgId, via: 'collect', changedAt: at } : { orgId: reader.orgId, via: 'collect' },
      }));
      emitted += records.length;
      const meta: BatchMeta = { source, object: d.object.name, batchId: `${runId}:${index}`, runId, level, last: index === batches - 1 };
      yield { records, meta, parts: { id: runId, index, count: batches, type: 'array', len: batchSize } };
      index++;
      reader.throwIfAborted();
    }
  }
  return { ...overview, apiCalls: reader.calls, emitted, vanished };
}

/** The callback form of `collect`: `onBatch` is awaited before the next batch is read. */
export async function runCollection(
  conn: OrgConnection,
  plan: CollectionPlan,
  options: CollectOptions & { onBatch: (batch: CollectBatch) => void | Promise<void> },
): Promise<CollectSummary> {
  const run = collect(conn, plan, options);
  for (;;) {
    const next = await run.next();
    if (next.done) return next.value;
    await options.onBatch(next.value);
  }
}

/** Collected nodes sorted by (level, object), by counting: `start[k]..start[k+1]` is group k. */
function groupByLevel(found: Discovery, order: DependencyOrder, objects: number): { order: Int32Array; start: Int32Array } {
  const g = found.graph;
  const keys = (order.maxLevel + 1) * objects;
  const start = new Int32Array(keys + 1);
  for (let n = 0; n < g.size; n++) if (g.isCollected(n)) start[order.level[n]! * objects + g.objectOf(n) + 1]!++;
  for (let k = 0; k < keys; k++) start[k + 1]! += start[k]!;
  const fill = start.slice(0, keys);
  const sorted = new Int32Array(g.collectedCount);
  for (let n = 0; n < g.size; n++) if (g.isCollected(n)) sorted[fill[order.level[n]! * objects + g.objectOf(n)]!++] = n;
  return { order: sorted, start };
}

function countBatches(start: Int32Array, batchSize: number): number {
  let n = 0;
  for (let k = 0; k + 1 < start.length; k++) n += Math.ceil((start[k + 1]! - start[k]!) / batchSize);
  return n;
}

function countByObject(found: Discovery, plan: CollectionPlan): Record<string, number> {
  const counts = plan.objects.map(() => 0);
  const g = found.graph;
  for (let n = 0; n < g.size; n++) if (g.isCollected(n)) counts[g.objectOf(n)]!++;
  return Object.fromEntries(plan.objects.map((o, i) => [o.name, counts[i]!]));
}

function deferredReferences(found: Discovery, order: DependencyOrder, plan: CollectionPlan): DeferredReference[] {
  const g = found.graph;
  return order.deferred.map(({ record, link, required }) => {
    const parent = g.linkTarget(link);
    return {
      object: plan.objects[g.objectOf(record)]!.name,
      sourceId: g.idOf(record),
      field: found.lookups[g.linkLookupOf(link)]!.lookup.field,
      parentObject: plan.objects[g.objectOf(parent)]!.name,
      parentId: g.idOf(parent),
      required,
    };
  });
}

function recordContext(found: Discovery, order: DependencyOrder, plan: CollectionPlan, orgId: string): RecordContext {
  const g = found.graph;
  return {
    orgId,
    targetOf: (lookupIndex, id) => {
      const t = lookupTarget(plan, found.lookups[lookupIndex]!, id);
      return t === undefined ? undefined : plan.objects[t]!.name;
    },
    // Decided from levels, not from the deferral list, so a lookup that changed between discovery
    // and emission to point at a record not yet written is deferred too.
    isDeferred: (recordId, parentId) => {
      const p = g.find(parentId);
      if (p === undefined || !g.isCollected(p)) return false;
      const r = g.find(recordId);
      return r === undefined || order.level[p]! >= order.level[r]!;
    },
  };
}
