/**
 * The first half of a collection: finding every record that belongs to it, hop by hop. Hop 0 is
 * the roots; from each record within `depth` hops the collector follows the plan's parent lookups
 * up (asking once for each parent Id it does not have yet, 200 Ids per `IN` list) and its child
 * relationships down (200 parent Ids per `IN` list). An account hierarchy is climbed one level per
 * hop, so depth 5 reaches a leaf's great-great-grandparent.
 *
 * What stays in memory is the RecordGraph (Ids and links). Whole rows are kept only while the run is
 * small (`holdRecords`): a manual sync of a few accounts with their contacts then reads every
 * record once. Past that limit the held rows are dropped, later reads select only Id and lookup
 * columns, and emission reads the records again by Id, level by level. The trade-off: a large run
 * costs a second read (one call per 200 records) to keep memory at a few hundred bytes a record
 * instead of a few kilobytes, and to never hold a large object whole.
 */
import type { CollectionPlan, PlannedLookup } from './plan.js';
import { NodeState, RecordGraph } from './record-graph.js';
import type { OrgApi, QueryRow } from '../salesforce/org-api.js';
import { andClauses, soqlIdList, soqlIdentifier } from './soql-text.js';
import { keyPrefixOf } from './record-ids.js';

/** The most Ids one `IN (…)` list carries, keeping the query URL well under Salesforce's limit. */
export const IDS_PER_QUERY = 200;

export const DEFAULT_HOLD_RECORDS = 5000;

export interface DiscoverOptions {
  /** Keep whole rows while the run has at most this many records (0: never). */
  holdRecords?: number;
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
  /** Whole rows by node, while the run stayed within `holdRecords`. */
  held: Map<number, QueryRow>;
  /** Root Ids that were asked for and not found. */
  missingRootIds: string[];
  /** Parents that were followed but not found (deleted or not visible). */
  missingParents: number;
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
  readonly held = new Map<number, QueryRow>();
  private holding: boolean;
  private readonly holdLimit: number;
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
    this.holdLimit = options.holdRecords ?? DEFAULT_HOLD_RECORDS;
    this.holding = this.holdLimit > 0;
    plan.objects.forEach((o, i) => this.byName.set(o.name, i));
    this.lookupsOf = plan.objects.map((o, i) =>
      o.lookups.map((lookup) => this.lookups.push({ object: i, lookup, targets: lookup.targets.map((t) => this.byName.get(t)!) }) - 1),
    );
    this.nextFrontier = plan.objects.map(() => []);
  }

  async run(): Promise<Discovery> {
    await this.readRoots();
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
      held: this.held,
      missingRootIds: this.missingRootIds,
      missingParents: this.missingParents,
    };
  }

  private async readRoots(): Promise<void> {
    const root = this.plan.objects[0]!;
    const sel = this.plan.roots;
    if (sel.by === 'ids') {
      for (let i = 0; i < sel.ids.length; i += IDS_PER_QUERY) {
        const chunk = sel.ids.slice(i, i + IDS_PER_QUERY);
        await this.readInto(0, 0, `Id IN ${soqlIdList(chunk)}`, sel.where, `reading ${root.name} records by Id`);
        for (const id of chunk) {
          const n = this.graph.find(id);
          if (n === undefined || !this.graph.isCollected(n)) this.missingRootIds.push(id);
        }
      }
    } else {
      await this.readInto(0, 0, sel.by === 'where' ? sel.where : undefined, undefined, `reading ${root.name} records`, true);
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
      for (let i = 0; i < nodes.length; i += IDS_PER_QUERY) {
        const list = soqlIdList(nodes.slice(i, i + IDS_PER_QUERY).map((n) => this.graph.idOf(n)));
        for (const rel of parent.children) {
          const c = this.byName.get(rel.object)!;
          await this.readInto(c, hop, `${soqlIdentifier(rel.field)} IN ${list}`, undefined, `reading ${parent.name}.${rel.relationshipName}`);
        }
      }
    }
  }

  /**
   * Reads the rows of one object matching a condition into the graph, page by page. Whole rows
   * while holding; when `mayRestart` and the first page says the result alone would overflow the
   * hold limit, it starts again reading Id and lookup columns only, which costs one call and
   * saves reading a large object's every column twice.
   */
  private async readInto(objectIndex: number, hop: number, condition: string | undefined, extra: string | undefined, what: string, mayRestart = false): Promise<void> {
    const o = this.plan.objects[objectIndex]!;
    const where = andClauses(condition, extra);
    const soqlFor = (full: boolean) => `SELECT ${(full ? o.selectFields : o.slimFields).join(', ')} FROM ${soqlIdentifier(o.name)}${where ? ` WHERE ${where}` : ''}`;
    const full = this.holding;
    for await (const page of this.reader.pages(soqlFor(full), what)) {
      if (full && mayRestart && !page.done && this.graph.collectedCount + page.totalSize > this.holdLimit) {
        this.stopHolding();
        for await (const slim of this.reader.pages(soqlFor(false), what)) this.addRows(slim.records, objectIndex, hop, false);
        return;
      }
      this.addRows(page.records, objectIndex, hop, full);
    }
  }

  private addRows(rows: QueryRow[], objectIndex: number, hop: number, full: boolean): void {
    const own = this.lookupsOf[objectIndex]!;
    const parents: Array<{ to: number; lookup: number }> = [];
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
      if (full && this.holding) {
        delete row.attributes;
        this.held.set(node, row);
        if (this.held.size > this.holdLimit) this.stopHolding();
      }
    }
  }

  private targetOf(ref: LookupRef, id: string): number | undefined {
    return lookupTarget(this.plan, ref, id);
  }

  private stopHolding(): void {
    this.holding = false;
    this.held.clear();
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
