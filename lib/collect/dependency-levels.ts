/**
 * Dependency levels of the collected records: level 0 holds records none of whose tracked parents
 * were collected; every other record sits one level above its highest collected parent. Writing
 * level by level therefore always finds a record's parents written, self-references included (an
 * account hierarchy five deep takes five levels), which is what lets the writer insert hierarchies
 * without the insert-null-then-update pass that breaks validation rules.
 *
 * A cycle (A points at B and B at A, through lookups that allow it) has no such order. The cycle is
 * found, one of its links is deferred, preferring a nillable lookup, and ordering goes on. A
 * deferred link is one whose parent ends up at the same or a higher level than the record, so the
 * writer writes the record with that lookup empty and sets it in a second pass.
 */
import { RecordGraph } from './record-graph.js';

export interface DependencyOrder {
  /** Level per node; -1 for nodes not collected. */
  level: Int32Array;
  maxLevel: number;
  /**
   * Links left for a second pass, with the record they start from. `required` marks a lookup that
   * may not be empty: the writer cannot write that cycle as it stands, and should say so.
   */
  deferred: Array<{ record: number; link: number; required: boolean }>;
}

/** Work done between yields to the event loop, so ordering 100,000 records never blocks it for long. */
const SLICE = 50_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Kahn's algorithm on the collected records, breaking cycles as it meets them. `nillable(lookup)`
 * says whether a lookup may be left empty at first. Links to records that were not collected do
 * not count: the writer resolves those through the ledger or the target org.
 */
export async function dependencyLevels(graph: RecordGraph, nillable: (lookup: number) => boolean): Promise<DependencyOrder> {
  const n = graph.size;
  const level = new Int32Array(n).fill(-1);
  const waiting = new Int32Array(n);
  const done = new Uint8Array(n);
  const deferred = new Uint8Array(graph.links);
  const deferredLinks: DependencyOrder['deferred'] = [];

  // Children per parent, as a compressed adjacency list of link indices.
  const childStart = new Int32Array(n + 1);
  for (let c = 0; c < n; c++) {
    if (!graph.isCollected(c)) continue;
    const [a, b] = graph.linkRange(c);
    for (let l = a; l < b; l++) {
      const p = graph.linkTarget(l);
      if (graph.isCollected(p)) {
        childStart[p + 1]!++;
        waiting[c]!++;
      }
    }
  }
  for (let i = 0; i < n; i++) childStart[i + 1]! += childStart[i]!;
  const fill = childStart.slice(0, n);
  const childLinks = new Int32Array(childStart[n]!);
  const linkChild = new Int32Array(graph.links);
  for (let c = 0; c < n; c++) {
    if (!graph.isCollected(c)) continue;
    const [a, b] = graph.linkRange(c);
    for (let l = a; l < b; l++) {
      linkChild[l] = c;
      const p = graph.linkTarget(l);
      if (graph.isCollected(p)) childLinks[fill[p]!++] = l;
    }
  }

  const queue = new Int32Array(graph.collectedCount);
  let head = 0;
  let tail = 0;
  for (let c = 0; c < n; c++) {
    if (graph.isCollected(c) && waiting[c] === 0) {
      level[c] = 0;
      queue[tail++] = c;
    }
  }

  let scan = 0;
  let work = 0;
  for (;;) {
    while (head < tail) {
      const p = queue[head++]!;
      done[p] = 1;
      for (let k = childStart[p]!; k < childStart[p + 1]!; k++) {
        const l = childLinks[k]!;
        if (deferred[l]) continue;
        const c = linkChild[l]!;
        if (level[c]! < level[p]! + 1) level[c] = level[p]! + 1;
        if (--waiting[c]! === 0) queue[tail++] = c;
      }
      if (++work % SLICE === 0) await yieldToLoop();
    }
    if (tail === graph.collectedCount) break;

    // Whatever is left waits on a cycle (or on a record downstream of one).
    while (!graph.isCollected(scan) || done[scan] || waiting[scan] === 0) scan++;
    const cycle = findCycle(graph, scan, done, deferred);
    const pick = cycle.find((l) => nillable(graph.linkLookupOf(l))) ?? cycle[0]!;
    deferred[pick] = 1;
    const c = linkChild[pick]!;
    deferredLinks.push({ record: c, link: pick, required: !nillable(graph.linkLookupOf(pick)) });
    if (level[c]! < 0) level[c] = 0;
    if (--waiting[c]! === 0) queue[tail++] = c;
  }

  let maxLevel = -1;
  for (let i = 0; i < n; i++) if (level[i]! > maxLevel) maxLevel = level[i]!;
  return { level, maxLevel, deferred: deferredLinks };
}

/**
 * Walks up from a waiting record through parents that are still waiting until a record repeats;
 * the links from that record round to itself are a cycle. Every waiting record has a waiting
 * parent, so the walk always closes.
 */
function findCycle(graph: RecordGraph, start: number, done: Uint8Array, deferred: Uint8Array): number[] {
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  let v = start;
  while (!seenAt.has(v)) {
    seenAt.set(v, path.length);
    const [a, b] = graph.linkRange(v);
    let next = -1;
    for (let l = a; l < b; l++) {
      const p = graph.linkTarget(l);
      if (!deferred[l] && graph.isCollected(p) && !done[p]) {
        path.push(l);
        next = p;
        break;
      }
    }
    if (next < 0) throw new Error(`dependency order: record ${graph.idOf(v)} waits on no parent (internal error)`);
    v = next;
  }
  return path.slice(seenAt.get(v)!);
}
