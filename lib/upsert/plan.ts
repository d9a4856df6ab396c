/**
 * Write order for the records of one write: a record whose lookup points at another record of the
 * same write goes after it, level by level (level 0 has no parent in the write). Self-references
 * therefore go parent first, then its children, then theirs: every record is created with its
 * parent already in place, so validation rules and triggers that require a parent pass.
 *
 * A cycle (A → B → A, or a record pointing at itself) cannot be ordered. It is broken by leaving
 * out one nillable lookup of the cycle on the first write and setting it in a second pass once
 * both records exist. A cycle with no nillable lookup cannot be written at all and is reported.
 */
export interface PlanNode {
  /** Source Id of the record. */
  id: string;
  refs: ReadonlyArray<{ parent: string; nillable: boolean }>;
}

export interface WritePlan {
  /** Node indexes per level, parents first. */
  levels: number[][];
  /** Lookups left out of the first write to break cycles: `refIndex` of `node`'s refs. */
  broken: Array<{ node: number; refIndex: number }>;
  /** Nodes on cycles without any nillable lookup; they are not in `levels`. */
  stuck: number[][];
}

interface Edge {
  from: number;
  to: number;
  refIndex: number;
  nillable: boolean;
  removed: boolean;
}

export function planWrites(nodes: readonly PlanNode[]): WritePlan {
  const byId = new Map<string, number>();
  nodes.forEach((n, i) => byId.set(n.id, i));
  const edges: Edge[] = [];
  nodes.forEach((n, from) =>
    n.refs.forEach((r, refIndex) => {
      const to = byId.get(r.parent);
      if (to !== undefined) edges.push({ from, to, refIndex, nillable: r.nillable, removed: false });
    }),
  );

  const stuckNode = new Uint8Array(nodes.length);
  const broken: WritePlan['broken'] = [];
  const stuck: number[][] = [];
  const live = () => edges.filter((e) => !e.removed && !stuckNode[e.from] && !stuckNode[e.to]);

  for (;;) {
    const current = live();
    const selfLoops = new Set(current.filter((e) => e.from === e.to).map((e) => e.from));
    const cyclic = stronglyConnected(nodes.length, current).filter((c) => c.length > 1 || selfLoops.has(c[0]!));
    if (!cyclic.length) break;
    for (const component of cyclic) {
      const members = new Set(component);
      const inside = current.filter((e) => members.has(e.from) && members.has(e.to) && !e.removed);
      // A self-reference first: leaving it out breaks nothing else.
      const pick = inside.find((e) => e.nillable && e.from === e.to) ?? inside.find((e) => e.nillable);
      if (pick) {
        pick.removed = true;
        broken.push({ node: pick.from, refIndex: pick.refIndex });
      } else {
        component.forEach((i) => (stuckNode[i] = 1));
        stuck.push([...component].sort((a, b) => a - b));
      }
    }
  }

  return { levels: levelsOf(nodes.length, live(), stuckNode), broken, stuck };
}

/** Kahn's algorithm over child → parent edges: a node's level is one more than its highest parent's. */
function levelsOf(n: number, edges: readonly Edge[], skip: Uint8Array): number[][] {
  const parentsLeft = new Int32Array(n);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) {
    parentsLeft[e.from]!++;
    children[e.to]!.push(e.from);
  }
  const level = new Int32Array(n);
  const levels: number[][] = [];
  let frontier: number[] = [];
  for (let i = 0; i < n; i++) if (!skip[i] && parentsLeft[i] === 0) frontier.push(i);
  while (frontier.length) {
    const next: number[] = [];
    for (const i of frontier) {
      (levels[level[i]!] ??= []).push(i);
      for (const c of children[i]!) {
        level[c] = Math.max(level[c]!, level[i]! + 1);
        if (--parentsLeft[c]! === 0) next.push(c);
      }
    }
    frontier = next;
  }
  return levels.map((l) => l.sort((a, b) => a - b));
}

/** Tarjan's strongly connected components, iterative so a 100,000-deep hierarchy cannot overflow the stack. */
function stronglyConnected(n: number, edges: readonly Edge[]): number[][] {
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) adj[e.from]!.push(e.to);
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1 || !adj[root]!.length) continue;
    const calls: Array<[node: number, next: number]> = [[root, 0]];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (calls.length) {
      const frame = calls[calls.length - 1]!;
      const v = frame[0];
      const targets = adj[v]!;
      if (frame[1] < targets.length) {
        const w = targets[frame[1]++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          calls.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      calls.pop();
      const parent = calls[calls.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        out.push(component);
      }
    }
  }
  return out;
}
