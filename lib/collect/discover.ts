/**
 * The first half of a collection: finding every record that belongs to it, hop by hop. Hop 0 is
 * the roots; from each record within `depth` hops the collector follows the plan's parent lookups
 * up (asking once for each parent Id it does not have yet, 200 Ids per `IN` list) and its child
 * relationships down (200 parent Ids per `IN` list). An account hierarchy is climbed one level per
 * hop, so depth 5 reaches a leaf's great-great-grandparent.
 *
 * Children of the roots are read with a semi-join on the roots' own condition when the roots are
 * chosen by a condition or are the whole object (`AccountId IN (SELECT Id FROM Account WHERE …)`):
 * whole query pages of 2,000 rows instead of one query per 200 parent Ids. Salesforce refuses a
 * semi-join on the outer query's own object and a semi-join inside another, so a self relationship
 * (ChildAccounts) and a condition that has a sub-select of its own go by Id lists.
 *
 * What stays in memory is the RecordGraph (Ids and links). Whole rows go to a RowStore: in memory
 * while the run is small (`holdRecords`), in a temporary SQLite database past that, so every
 * record is read once and memory stays flat.
 *
 * A changes-only read (`since`) adds `SystemModstamp > since` to every read of roots and children:
 * only what changed comes back, with its children that changed under roots that did not. Parents
 * of what changed are still followed (one query per 200 of them), so a record always comes with
 * what it points at.
 */
import type { CollectionPlan, PlannedLookup, PlannedObject } from './plan.js';
import { NodeState, RecordGraph } from './record-graph.js';
import type { OrgApi, QueryRow } from '../salesforce/org-api.js';
import { andClauses, soqlIdList, soqlIdentifier } from './soql-text.js';
import { keyPrefixOf } from './record-ids.js';
import { RowStore } from './row-store.js';

/** The most Ids one `IN (…)` list carries, keeping the query URL well under Salesforce's limit. */
export const IDS_PER_QUERY = 200;

export const DEFAULT_HOLD_RECORDS = 5000;

export interface DiscoverOptions {
  /** Keep whole rows in memory while the run has at most this many records (0: never); past it they go to a temporary database. */
  holdRecords?: number;
  /**
   * Read only records changed after this time (ISO 8601, UTC): roots and children by their
   * modification stamp (see PlannedObject.modstampField); parents of what changed are read whatever their stamp.
   */
  since?: string;
  /** Refuse runs larger than this, before anything is emitted. */
  maxRecords?: number;
  onProgress?: (progress: CollectProgress) => void;
}

/** Progress for node status: records found per hop while discovering, records emitted after. */
export type CollectProgress =
  | { phase: 'discover'; hop: number; records: number; apiCalls: number }
  | { phase: 'emit'; records: number; of: number; apiCalls: number };

/** A lookup of one planned object, with its targets as object indices. */
export interface LookupRef {
  object: number;
  lookup: PlannedLookup;
  targets: number[];
}

export interface Discovery {
  graph: RecordGraph;
  /** Tracked lookups of all planned objects; a graph link's lookup number indexes this. */
  lookups: LookupRef[];
  /** Per planned object, the indices into `lookups` of its lookups, in plan order. */
  lookupsOf: number[][];
  /** Whole rows by node, to be taken as they are emitted. */
  rows: RowStore;
  /** Root Ids that were asked for and not found. */
  missingRootIds: string[];
  /** Parents that were followed but not found (deleted or not visible). */
  missingParents: number;
  /** A changes-only read's deleted records, per planned object (by index), with when they were deleted. */
  deleted: Array<Array<{ id: string; at?: string }>>;
}

export class CollectLimitError extends Error {
  readonly code = 'COLLECTION_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`the collection has more than ${limit} records (maxRecords); narrow the selection, lower the depth or raise the limit`);
    this.name = 'CollectLimitError';
  }
}

export class Discoverer {
  readonly graph = new RecordGraph();
  readonly lookups: LookupRef[] = [];
  readonly lookupsOf: number[][];
  readonly rows: RowStore;
  private readonly byName = new Map<string, number>();
  private missingRootIds: string[] = [];
  private missingParents = 0;
  /** Records first collected at the hop being read, by object. */
  private nextFrontier: number[][];

  constructor(
    private readonly reader: OrgApi,
    readonly plan: CollectionPlan,
    private readonly options: DiscoverOptions = {},
  ) {
    this.rows = new RowStore(options.holdRecords ?? DEFAULT_HOLD_RECORDS);
    plan.objects.forEach((o, i) => this.byName.set(o.name, i));
    this.lookupsOf = plan.objects.map((o, i) =>
      o.lookups.map((lookup) => this.lookups.push({ object: i, lookup, targets: lookup.targets.map((t) => this.byName.get(t)!) }) - 1),
    );
    this.nextFrontier = plan.objects.map(() => []);
  }

  async run(): Promise<Discovery> {
    try {
      return await this.discover();
    } catch (err) {
      this.rows.close();
      throw err;
    }
  }

  private async discover(): Promise<Discovery> {
    await this.readRoots();
    const deleted = await this.readDeleted();
    let frontier = this.takeFrontier();
    for (let hop = 0; hop < this.plan.depth && frontier.some((f) => f.length); hop++) {
      await this.readParents(frontier, hop + 1);
      await this.readChildren(frontier, hop + 1);
      frontier = this.takeFrontier();
      this.progress(hop + 1);
    }
    return {
      graph: this.graph,
      lookups: this.lookups,
      lookupsOf: this.lookupsOf,
      rows: this.rows,
      missingRootIds: this.missingRootIds,
      missingParents: this.missingParents,
      deleted,
    };
  }

  /**
   * A changes-only read's deletes: each planned object's records deleted since the watermark,
   * through queryAll (the recycle bin keeps them some 15 days, so a watermark older than that
   * misses some: a full read is what repairs those). Ids only; a delete needs nothing else.
   */
  private async readDeleted(): Promise<Array<Array<{ id: string; at?: string }>>> {
    const out = this.plan.objects.map((): Array<{ id: string; at?: string }> => []);
    if (!this.options.since) return out;
    for (let o = 0; o < this.plan.objects.length; o++) {
      const object = this.plan.objects[o]!;
      const stamp = object.modstampField!;
      const soql = `SELECT Id, ${stamp} FROM ${soqlIdentifier(object.name)} WHERE IsDeleted = true AND ${this.changedSince(object)}`;
      for await (const page of this.reader.pages(soql, `reading deleted ${object.name} records`, { queryAll: true })) {
        for (const row of page.records) out[o]!.push(typeof row[stamp] === 'string' ? { id: row.Id as string, at: row[stamp] as string } : { id: row.Id as string });
      }
    }
    return out;
  }

  private async readRoots(): Promise<void> {
    const root = this.plan.objects[0]!;
    const sel = this.plan.roots;
    if (sel.by === 'ids') {
      for (let i = 0; i < sel.ids.length; i += IDS_PER_QUERY) {
        const chunk = sel.ids.slice(i, i + IDS_PER_QUERY);
        await this.readInto(0, 0, `Id IN ${soqlIdList(chunk)}`, andClauses(sel.where, this.changedSince(root)), `reading ${root.name} records by Id`);
        for (const id of chunk) {
          const n = this.graph.find(id);
          if (n === undefined || !this.graph.isCollected(n)) this.missingRootIds.push(id);
        }
      }
    } else {
      await this.readInto(0, 0, sel.by === 'where' ? sel.where : undefined, this.changedSince(root), `reading ${root.name} records`);
    }
    this.progress(0);
  }

  /** Asks once for every followed parent Id of the frontier that is not collected yet. */
  private async readParents(frontier: number[][], hop: number): Promise<void> {
    const pending: string[][] = this.plan.objects.map(() => []);
    const g = this.graph;
    for (const nodes of frontier) {
      for (const node of nodes) {
        const [a, b] = g.linkRange(node);
        for (let l = a; l < b; l++) {
          if (!this.lookups[g.linkLookupOf(l)]!.lookup.follow) continue;
          const p = g.linkTarget(l);
          if (g.stateOf(p) !== NodeState.Referenced) continue;
          g.setState(p, NodeState.Requested);
          pending[g.objectOf(p)]!.push(g.idOf(p));
        }
      }
    }
    for (let o = 0; o < pending.length; o++) {
      const ids = pending[o]!;
      for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
        const chunk = ids.slice(i, i + IDS_PER_QUERY);
        await this.readInto(o, hop, `Id IN ${soqlIdList(chunk)}`, undefined, `reading parent ${this.plan.objects[o]!.name} records`);
        for (const id of chunk) {
          const n = g.find(id)!;
          if (!g.isCollected(n)) {
            g.setState(n, NodeState.Missing);
            this.missingParents++;
          }
        }
      }
    }
  }

  private async readChildren(frontier: number[][], hop: number): Promise<void> {
    for (let o = 0; o < frontier.length; o++) {
      const parent = this.plan.objects[o]!;
      const nodes = frontier[o]!;
      if (!nodes.length || !parent.children.length) continue;
      const byIds: typeof parent.children = [];
      for (const rel of parent.children) {
        const c = this.byName.get(rel.object)!;
        const rootSet = hop === 1 && o === 0 ? this.rootSubquery(rel.object) : undefined;
        if (rootSet) await this.readInto(c, hop, `${soqlIdentifier(rel.field)} IN (${rootSet})`, this.changedSince(this.plan.objects[c]!), `reading ${parent.name}.${rel.relationshipName}`);
        else byIds.push(rel);
      }
      if (!byIds.length) continue;
      for (let i = 0; i < nodes.length; i += IDS_PER_QUERY) {
        const list = soqlIdList(nodes.slice(i, i + IDS_PER_QUERY).map((n) => this.graph.idOf(n)));
        for (const rel of byIds) {
          const c = this.byName.get(rel.object)!;
          await this.readInto(c, hop, `${soqlIdentifier(rel.field)} IN ${list}`, this.changedSince(this.plan.objects[c]!), `reading ${parent.name}.${rel.relationshipName}`);
        }
      }
    }
  }

  /**
   * The roots as a semi-join sub-select, when the roots were chosen by a condition (or are every
   * record) and Salesforce accepts it for this child: not on the root object itself, and not when
   * the condition holds a sub-select of its own (semi-joins do not nest). The sub-select has no
   * `since`: children that changed under roots that did not are wanted too.
   */
  private rootSubquery(childObject: string): string | undefined {
    const sel = this.plan.roots;
    const root = this.plan.objects[0]!;
    if (sel.by === 'ids' || childObject === root.name) return undefined;
    if (sel.by === 'where' && /\bselect\b/i.test(sel.where)) return undefined;
    return `SELECT Id FROM ${soqlIdentifier(root.name)}${sel.by === 'where' ? ` WHERE ${sel.where}` : ''}`;
  }

  /** `SystemModstamp > since` for a changes-only read of this object, as a SOQL datetime literal. */
  private changedSince(o: PlannedObject): string | undefined {
    const since = this.options.since;
    if (!since) return undefined;
    if (!o.modstampField) throw new Error(`${o.name} has no modification stamp to read changes by`);
    return `${o.modstampField} > ${since}`;
  }

  /** Reads the rows of one object matching a condition into the graph and the row store, page by page. */
  private async readInto(objectIndex: number, hop: number, condition: string | undefined, extra: string | undefined, what: string): Promise<void> {
    const o = this.plan.objects[objectIndex]!;
    const where = andClauses(condition, extra);
    const soql = `SELECT ${o.selectFields.join(', ')} FROM ${soqlIdentifier(o.name)}${where ? ` WHERE ${where}` : ''}`;
    for await (const page of this.reader.pages(soql, what)) this.addRows(page.records, objectIndex, hop);
  }

  private addRows(rows: QueryRow[], objectIndex: number, hop: number): void {
    const own = this.lookupsOf[objectIndex]!;
    const parents: Array<{ to: number; lookup: number }> = [];
    const kept: Array<{ node: number; row: QueryRow }> = [];
    for (const row of rows) {
      const id = row.Id as string;
      const node = this.graph.node(id, objectIndex);
      if (this.graph.isCollected(node)) continue;
      parents.length = 0;
      for (const li of own) {
        const ref = this.lookups[li]!;
        const value = row[ref.lookup.field];
        if (typeof value !== 'string' || !value) continue;
        const target = this.targetOf(ref, value);
        if (target !== undefined) parents.push({ to: this.graph.node(value, target), lookup: li });
      }
      this.graph.collect(node, hop, parents);
      this.nextFrontier[objectIndex]!.push(node);
      if (this.options.maxRecords !== undefined && this.graph.collectedCount > this.options.maxRecords) throw new CollectLimitError(this.options.maxRecords);
      kept.push({ node, row });
    }
    this.rows.putAll(kept);
  }

  private targetOf(ref: LookupRef, id: string): number | undefined {
    return lookupTarget(this.plan, ref, id);
  }

  private takeFrontier(): number[][] {
    const f = this.nextFrontier;
    this.nextFrontier = this.plan.objects.map(() => []);
    return f;
  }

  private progress(hop: number): void {
    this.options.onProgress?.({ phase: 'discover', hop, records: this.graph.collectedCount, apiCalls: this.reader.calls });
  }
}

/** The planned object a lookup value belongs to: the only target, or by key prefix when polymorphic. */
export function lookupTarget(plan: CollectionPlan, ref: LookupRef, id: string): number | undefined {
  if (ref.targets.length === 1) return ref.targets[0];
  const prefix = keyPrefixOf(id);
  return ref.targets.find((t) => plan.objects[t]!.keyPrefix === prefix);
}
