/**
 * `sf-collect`'s preview: how many records of each object a collection would sync, with a few
 * sample records, without emitting anything.
 *
 * When the plan is roots plus their direct children (no parents followed, each child relationship
 * to an object of its own), `SELECT COUNT()` answers exactly: the roots by their condition, each
 * child object by a semi-join on it (`AccountId IN (SELECT Id FROM Account WHERE …)`), one call
 * each. Anything deeper (hierarchies, parents of parents, the same object reached two ways) cannot
 * be counted without knowing which records overlap, so the preview runs the collector's own
 * discovery, which holds only Ids, and counts what it finds. Either way the counts are those a
 * collection run would emit at that moment.
 */
import type { OrgConnection } from '../connection/org-connection.js';
import { dependencyLevels } from './dependency-levels.js';
import { CollectLimitError, Discoverer, IDS_PER_QUERY, lookupTarget, type Discovery, type LookupRef } from './discover.js';
import { OrgApi, type QueryRow } from '../salesforce/org-api.js';
import type { CollectionPlan, PlannedObject } from './plan.js';
import { andClauses, soqlIdList, soqlIdentifier } from './soql-text.js';
import { toSyncRecord, type CollectedRecord } from './sync-records.js';

export interface PreviewOptions {
  /** Sample records per object (default 3, at most 50). */
  samples?: number;
  pageSize?: number;
  /** Refuse (as collect would) when the collection has more records than this. */
  maxRecords?: number;
  signal?: AbortSignal;
}

export interface PreviewObject {
  object: string;
  count: number;
  sample: CollectedRecord[];
}

export interface PreviewResult {
  objects: PreviewObject[];
  totalRecords: number;
  apiCalls: number;
  /** `count`: SELECT COUNT() per object; `discovery`: the related records were walked (Ids only). */
  method: 'count' | 'discovery';
  /** Dependency levels and references deferred to a second pass (discovery only). */
  levels?: number;
  deferred?: number;
  /** Root Ids asked for and not found (discovery only). */
  missingRootIds?: string[];
  /** The plan's warnings, passed on for the user. */
  warnings: string[];
}

export async function previewCollection(conn: OrgConnection, plan: CollectionPlan, options: PreviewOptions = {}): Promise<PreviewResult> {
  const samples = options.samples ?? 3;
  if (!Number.isInteger(samples) || samples < 0 || samples > 50) throw new RangeError(`samples must be a whole number from 0 to 50, got ${samples}`);
  const reader = new OrgApi(conn, options);
  return countable(plan) ? previewByCount(reader, plan, samples, options.maxRecords) : previewByDiscovery(reader, plan, samples, options.maxRecords);
}

/** Roots and direct children only, every child object distinct and not the root's own. */
function countable(plan: CollectionPlan): boolean {
  const [root, ...others] = plan.objects;
  if (!root || root.lookups.some((l) => l.follow)) return false;
  if (others.some((o) => o.children.length || o.lookups.some((l) => l.follow))) return false;
  const childObjects = root.children.map((c) => c.object);
  if (new Set(childObjects).size !== childObjects.length || childObjects.includes(root.name)) return false;
  // A semi-join cannot nest another one, and only a raw `where` can hold one.
  const where = plan.roots.by === 'all' ? undefined : plan.roots.where;
  return !(root.children.length && where && /\bselect\b/i.test(where));
}

async function previewByCount(reader: OrgApi, plan: CollectionPlan, samples: number, maxRecords: number | undefined): Promise<PreviewResult> {
  const root = plan.objects[0]!;
  const rootName = soqlIdentifier(root.name);
  const sel = plan.roots;
  const conditions =
    sel.by === 'ids'
      ? chunks(sel.ids, IDS_PER_QUERY).map((ids) => andClauses(`Id IN ${soqlIdList(ids)}`, sel.where))
      : [sel.by === 'where' ? sel.where : undefined];
  const lookups = lookupRefs(plan);
  const entries: PreviewObject[] = [];
  const targets: Array<{ object: PlannedObject; objectIndex: number; where: (c: string | undefined) => string | undefined }> = [
    { object: root, objectIndex: 0, where: (c) => c },
    ...root.children.map((rel) => ({
      object: plan.objects.find((o) => o.name === rel.object)!,
      objectIndex: plan.objects.findIndex((o) => o.name === rel.object),
      where: (c: string | undefined) => `${soqlIdentifier(rel.field)} IN (SELECT Id FROM ${rootName}${c ? ` WHERE ${c}` : ''})`,
    })),
  ];
  let total = 0;
  for (const t of targets) {
    const name = soqlIdentifier(t.object.name);
    let count = 0;
    const rows: QueryRow[] = [];
    for (const c of conditions) {
      const where = t.where(c);
      count += await reader.count(`SELECT COUNT() FROM ${name}${where ? ` WHERE ${where}` : ''}`, `counting ${t.object.name} records`);
      if (rows.length < samples) {
        const soql = `SELECT ${t.object.selectFields.join(', ')} FROM ${name}${where ? ` WHERE ${where}` : ''} LIMIT ${samples - rows.length}`;
        for await (const page of reader.pages(soql, `sampling ${t.object.name} records`)) rows.push(...page.records);
      }
    }
    total += count;
    if (maxRecords !== undefined && total > maxRecords) throw new CollectLimitError(maxRecords);
    entries.push({ object: t.object.name, count, sample: rows.map((r) => sampleRecord(r, plan, t.objectIndex, lookups, reader.orgId)) });
  }
  return { objects: entries, totalRecords: total, apiCalls: reader.calls, method: 'count', warnings: plan.warnings };
}

async function previewByDiscovery(reader: OrgApi, plan: CollectionPlan, samples: number, maxRecords: number | undefined): Promise<PreviewResult> {
  const found = await new Discoverer(reader, plan, { maxRecords }).run();
  try {
    return await previewFound(reader, plan, samples, found);
  } finally {
    found.rows.close();
  }
}

async function previewFound(reader: OrgApi, plan: CollectionPlan, samples: number, found: Discovery): Promise<PreviewResult> {
  const g = found.graph;
  const order = await dependencyLevels(g, (l) => found.lookups[l]!.lookup.nillable);
  const counts = plan.objects.map(() => 0);
  const firstIds: string[][] = plan.objects.map(() => []);
  for (let n = 0; n < g.size; n++) {
    if (!g.isCollected(n)) continue;
    const o = g.objectOf(n);
    counts[o]!++;
    if (firstIds[o]!.length < samples) firstIds[o]!.push(g.idOf(n));
  }
  const entries: PreviewObject[] = [];
  for (let o = 0; o < plan.objects.length; o++) {
    const object = plan.objects[o]!;
    const rows: QueryRow[] = [];
    const ids = firstIds[o]!;
    for (const id of ids) {
      const row = found.rows.take(g.find(id)!);
      if (row) rows.push(row);
    }
    entries.push({ object: object.name, count: counts[o]!, sample: rows.map((r) => sampleRecord(r, plan, o, found.lookups, reader.orgId, found.lookupsOf[o])) });
  }
  return {
    objects: entries,
    totalRecords: g.collectedCount,
    apiCalls: reader.calls,
    method: 'discovery',
    levels: order.maxLevel + 1,
    deferred: order.deferred.length,
    missingRootIds: found.missingRootIds,
    warnings: plan.warnings,
  };
}

/** The lookups of every planned object, numbered as the discovery numbers them. */
export function lookupRefs(plan: CollectionPlan): LookupRef[] {
  const index = new Map(plan.objects.map((o, i) => [o.name, i]));
  return plan.objects.flatMap((o, i) => o.lookups.map((lookup) => ({ object: i, lookup, targets: lookup.targets.map((t) => index.get(t)!) })));
}

/** A full read's row of a planned object as a sync record, its references resolved by the plan (no deferrals). */
export function sampleRecord(row: QueryRow, plan: CollectionPlan, objectIndex: number, lookups: LookupRef[], orgId: string, own?: number[]): CollectedRecord {
  delete row.attributes;
  const indices = own ?? lookups.flatMap((l, i) => (l.object === objectIndex ? [i] : []));
  return toSyncRecord(row, plan.objects[objectIndex]!, indices, {
    orgId,
    targetOf: (li, id) => {
      const t = lookupTarget(plan, lookups[li]!, id);
      return t === undefined ? undefined : plan.objects[t]!.name;
    },
    isDeferred: () => false,
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
