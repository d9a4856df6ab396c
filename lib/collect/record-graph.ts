/**
 * Everything the collector remembers about a run's records while it orders them: each Id once,
 * the object it belongs to, how it was reached, and its links to the records it points at. No
 * field values: for 100,000 records this is a few megabytes (the Id strings and their index take
 * most of it), where whole records would take hundreds.
 *
 * Nodes are small integers. An Id seen only as a lookup value gets a node too (state
 * `referenced`), so links are integer pairs and a parent found later needs no fix-up.
 */

/** An Int32Array that grows as values are pushed. */
class IntColumn {
  private data: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }

  push(v: number): number {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length] = v;
    return this.length++;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  set(i: number, v: number): void {
    this.data[i] = v;
  }
}

export const NodeState = {
  /** Only seen as a lookup value. */
  Referenced: 0,
  /** Asked for and not found (deleted, or not visible to the integration user). */
  Missing: 1,
  /** Asked for, answer pending. */
  Requested: 2,
  Collected: 3,
} as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

export class RecordGraph {
  private readonly byId = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly object = new IntColumn();
  private readonly state = new IntColumn();
  private readonly hop = new IntColumn();
  private readonly firstLink = new IntColumn();
  private readonly linkCount = new IntColumn();
  private readonly linkTo = new IntColumn();
  private readonly linkLookup = new IntColumn();
  private collected = 0;

  /** Nodes (collected or not). */
  get size(): number {
    return this.ids.length;
  }

  get collectedCount(): number {
    return this.collected;
  }

  get links(): number {
    return this.linkTo.length;
  }

  /** The node of an Id, created as `referenced` when new. */
  node(id: string, objectIndex: number): number {
    let n = this.byId.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.byId.set(id, n);
      this.ids.push(id);
      this.object.push(objectIndex);
      this.state.push(NodeState.Referenced);
      this.hop.push(-1);
      this.firstLink.push(0);
      this.linkCount.push(0);
    }
    return n;
  }

  find(id: string): number | undefined {
    return this.byId.get(id);
  }

  idOf(node: number): string {
    return this.ids[node]!;
  }

  objectOf(node: number): number {
    return this.object.get(node);
  }

  stateOf(node: number): NodeState {
    return this.state.get(node) as NodeState;
  }

  hopOf(node: number): number {
    return this.hop.get(node);
  }

  isCollected(node: number): boolean {
    return this.state.get(node) === NodeState.Collected;
  }

  setState(node: number, s: typeof NodeState.Missing | typeof NodeState.Requested): void {
    this.state.set(node, s);
  }

  /**
   * Marks a node collected with its links; false when it already was (the same record reached a
   * second way). A record's links are stored side by side, so they need no index of their own.
   */
  collect(node: number, hop: number, parents: ReadonlyArray<{ to: number; lookup: number }>): boolean {
    if (this.state.get(node) === NodeState.Collected) return false;
    this.state.set(node, NodeState.Collected);
    this.hop.set(node, hop);
    this.firstLink.set(node, this.linkTo.length);
    this.linkCount.set(node, parents.length);
    for (const p of parents) {
      this.linkTo.push(p.to);
      this.linkLookup.push(p.lookup);
    }
    this.collected++;
    return true;
  }

  /** Link indices of a node's parents: `[first, first + count)`. */
  linkRange(node: number): [number, number] {
    const first = this.firstLink.get(node);
    return [first, first + this.linkCount.get(node)];
  }

  linkTarget(link: number): number {
    return this.linkTo.get(link);
  }

  linkLookupOf(link: number): number {
    return this.linkLookup.get(link);
  }
}
