import { expect } from 'chai';
import { dependencyLevels } from '../../../lib/collect/dependency-levels.js';
import { RecordGraph } from '../../../lib/collect/record-graph.js';

/** A graph from `child: [parents]`; lookup 0 is nillable, lookup 1 required. */
function graphOf(edges: Record<string, Array<string | [string, number]>>, uncollected: string[] = []): RecordGraph {
  const g = new RecordGraph();
  for (const [child, parents] of Object.entries(edges)) {
    const node = g.node(child, 0);
    const links = parents.map((p) => (typeof p === 'string' ? { to: g.node(p, 0), lookup: 0 } : { to: g.node(p[0], 0), lookup: p[1] }));
    if (!uncollected.includes(child)) g.collect(node, 0, links);
  }
  return g;
}

async function levelsOf(g: RecordGraph): Promise<{ level: Record<string, number>; deferred: Array<[string, string, boolean]> }> {
  const order = await dependencyLevels(g, (l) => l === 0);
  const level: Record<string, number> = {};
  for (let n = 0; n < g.size; n++) if (g.isCollected(n)) level[g.idOf(n)] = order.level[n]!;
  return { level, deferred: order.deferred.map((d) => [g.idOf(d.record), g.idOf(g.linkTarget(d.link)), d.required]) };
}

describe('dependency levels', () => {
  it('puts each record one level above its highest collected parent', async () => {
    const g = graphOf({ root: [], mid: ['root'], leaf: ['mid'], contact: ['leaf'], other: ['root', 'leaf'], orphan: ['not-collected'] });
    const { level, deferred } = await levelsOf(g);
    expect(level).to.deep.equal({ root: 0, mid: 1, leaf: 2, contact: 3, other: 3, orphan: 0 });
    expect(deferred).to.deep.equal([]);
  });

  it('ignores parents that were referenced but not collected', async () => {
    const g = graphOf({ a: ['gone'], gone: [] }, ['gone']);
    expect((await levelsOf(g)).level).to.deep.equal({ a: 0 });
  });

  it('breaks a cycle by deferring one link, preferring a nillable lookup', async () => {
    // a -> b (required), b -> c (nillable), c -> a (required): only b -> c may wait.
    const g = graphOf({ a: [['b', 1]], b: [['c', 0]], c: [['a', 1]], d: ['a'] });
    const { level, deferred } = await levelsOf(g);
    expect(deferred).to.deep.equal([['b', 'c', false]]);
    expect(level.b).to.equal(0);
    expect(level.a).to.equal(1);
    expect(level.c).to.equal(2);
    expect(level.d).to.equal(2);
  });

  it('defers a required link only when nothing else can break the cycle, and says so', async () => {
    const g = graphOf({ a: [['b', 1]], b: [['a', 1]] });
    const { deferred } = await levelsOf(g);
    expect(deferred).to.have.length(1);
    expect(deferred[0]![2]).to.equal(true);
  });

  it('handles self-references, several cycles and long chains', async () => {
    const edges: Record<string, string[]> = { self: ['self'], x: ['y'], y: ['x'], p: ['q'], q: ['r'], r: ['p'] };
    for (let i = 1; i <= 1000; i++) edges[`n${i}`] = [`n${i - 1}`];
    edges.n0 = [];
    const { level, deferred } = await levelsOf(graphOf(edges));
    expect(deferred).to.have.length(3);
    expect(level.self).to.equal(0);
    expect(level.n1000).to.equal(1000);
  });
});
