/**
 * The shipped examples against the built editor definitions: Node-RED fills a property the flow
 * does not set with the editor's default only when a flow is imported, not when a deployed flow is
 * loaded. An example missing a property would open with an empty field (or an empty select) in
 * the demo, and would behave one way when deployed and another once imported and saved. So every
 * node of ours in an example sets every property its editor defines.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const NODES = path.resolve('dist/nodes');
const EXAMPLES = path.resolve('examples');

/** The editor's `defaults` of each node type, from the built pages (their script run against a stand-in RED). */
function editorDefaults(): Map<string, Record<string, { value?: unknown }>> {
  const defs = new Map<string, Record<string, { value?: unknown }>>();
  const anything = () => () => true;
  for (const file of readdirSync(NODES).filter((f) => f.endsWith('.html'))) {
    const html = readFileSync(path.join(NODES, file), 'utf8');
    const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html);
    if (!script) continue;
    const RED = {
      nodes: { registerType: (type: string, def: { defaults: Record<string, { value?: unknown }> }) => defs.set(type, def.defaults) },
      validators: { regex: anything, number: anything, typedInput: anything },
    };
    vm.runInNewContext(script[1]!, { RED, $: () => ({}), window: {}, console });
  }
  return defs;
}

function exampleFiles(): string[] {
  const top = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
  const dashboards = readdirSync(path.join(EXAMPLES, 'dashboard')).filter((f) => f.endsWith('.json')).map((f) => path.join('dashboard', f));
  return [...top, ...dashboards];
}

describe('the examples and the built editor', () => {
  const defs = editorDefaults();

  it('reads the editor definitions of all our node types from the built pages', () => {
    expect([...defs.keys()].sort()).to.deep.equal([
      'sf-bulk-query', 'sf-cdc-in', 'sf-collect', 'sf-connection', 'sf-health-check', 'sf-map-fields', 'sf-sync-status', 'sf-upsert-out',
    ]);
    expect(Object.keys(defs.get('sf-upsert-out')!)).to.include.members(['bulkThreshold', 'bulkHardDelete']);
  });

  for (const file of exampleFiles()) {
    it(`${file}: each of our nodes sets every property its editor defines`, () => {
      const nodes = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as Array<Record<string, unknown> & { id: string; type: string }>;
      const missing = nodes.flatMap((n) => {
        const d = defs.get(n.type);
        return d ? Object.keys(d).filter((k) => !(k in n)).map((k) => `${n.id} (${n.type}): ${k}`) : [];
      });
      expect(missing).to.deep.equal([]);
    });
  }
});
