import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as acorn from 'acorn';
import semver from 'semver';
import { SECRET_KEYS } from '../../nodes/sf-connection/fields.js';

/**
 * The Node-RED flow library's offline scorecard checks (node-red-dev validate), on the built
 * package: package fields, literal registerType definitions in each .html, examples covering
 * every node. The online ones (name clashes in the catalogue) need the catalogue and are left out.
 */
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  name: string; license?: string; repository?: unknown; bugs?: unknown; keywords?: string[]; engines?: { node?: string };
  files?: string[]; dependencies?: Record<string, string>; 'node-red': { version: string; nodes: Record<string, string> };
};

type Node = acorn.Node & Record<string, unknown>;

function walk(node: unknown, visit: (n: Node) => void): void {
  if (!node || typeof node !== 'object') return;
  if (typeof (node as Node).type === 'string') visit(node as Node);
  for (const v of Object.values(node)) {
    if (Array.isArray(v)) v.forEach((c) => walk(c, visit));
    else if (v && typeof v === 'object') walk(v, visit);
  }
}

function registerTypeCalls(html: string): Array<{ type: string; def: Node }> {
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  expect(scripts, 'a literal <script type="text/javascript"> block').to.have.length.greaterThan(0);
  const calls: Array<{ type: string; def: Node }> = [];
  for (const src of scripts) {
    walk(acorn.parse(src, { ecmaVersion: 2022 }), (n) => {
      const callee = n.callee as Node | undefined;
      if (n.type !== 'CallExpression' || callee?.type !== 'MemberExpression') return;
      const text = src.slice(callee.start, callee.end);
      if (text !== 'RED.nodes.registerType') return;
      const [typeArg, defArg] = n.arguments as Node[];
      expect(typeArg?.type, 'registerType type argument').to.equal('Literal');
      expect(defArg?.type, 'registerType definition').to.equal('ObjectExpression');
      calls.push({ type: String(typeArg!.value), def: defArg! });
    });
  }
  return calls;
}

function property(def: Node, name: string): Node | undefined {
  const props = def.properties as Node[];
  return (props.find((p) => (p.key as Node).name === name || (p.key as Node).value === name)?.value as Node | undefined);
}

function exampleFiles(dir = 'examples'): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? exampleFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}

describe('package meets the Node-RED flow library checks', () => {
  it('has license, repository, a scoped name and the node-red keyword (P01, P03, P04, P05)', () => {
    expect(pkg.license).to.equal('Apache-2.0');
    expect(existsSync('LICENSE')).to.equal(true);
    expect(pkg.repository ?? pkg.bugs).to.not.equal(undefined);
    expect(pkg.name).to.match(/^@[a-z0-9-]+\/node-red-/);
    expect(pkg.keywords).to.include('node-red');
  });

  it('declares a Node-RED version the current and maintenance releases satisfy, and a Node that 22.9 satisfies (P06, P07)', () => {
    expect(semver.satisfies('4.1.8', pkg['node-red'].version)).to.equal(true);
    expect(semver.satisfies('5.0.7', pkg['node-red'].version)).to.equal(true);
    expect(semver.satisfies('22.9.0', pkg.engines!.node!)).to.equal(true);
    expect(pkg.dependencies ?? {}).to.not.have.property('node-red');
  });

  it('ships the built nodes, examples, README and LICENSE', () => {
    for (const f of ['dist/', 'examples/', 'README.md', 'LICENSE']) expect(pkg.files).to.include(f);
  });

  const nodes = Object.entries(pkg['node-red'].nodes);
  it('lists every node folder, each type prefixed sf- (N01)', () => {
    const folders = readdirSync('nodes').filter((d) => existsSync(path.join('nodes', d, `${d}.ts`)));
    expect(nodes.map(([k]) => k).sort()).to.deep.equal(folders.sort());
    for (const [type] of nodes) expect(type).to.match(/^sf-[a-z-]+$/);
  });

  for (const [type, file] of nodes) {
    it(`${type}: built .js and .html side by side, literal registerType, locales and icon present`, () => {
      expect(existsSync(file), `${file} (run npm run build)`).to.equal(true);
      const html = readFileSync(file.replace(/\.js$/, '.html'), 'utf8');
      const calls = registerTypeCalls(html);
      expect(calls.map((c) => c.type)).to.deep.equal([type]);
      const def = calls[0]!.def;
      const category = property(def, 'category');
      expect(category?.type).to.equal('Literal');
      for (const name of ['defaults', 'credentials']) {
        const p = property(def, name);
        if (p) expect(p.type, `${name} inline object`).to.equal('ObjectExpression');
      }
      const credentials = property(def, 'credentials') as { properties?: Array<{ key: { name?: string } }> } | undefined;
      if (type === 'sf-connection') expect(credentials?.properties?.map((p) => p.key.name), 'the secrets the runtime keeps').to.deep.equal([...SECRET_KEYS]);
      if (category?.value !== 'config') {
        for (const name of ['color', 'icon', 'inputs', 'outputs']) expect(property(def, name)?.type, name).to.equal('Literal');
        const icon = String(property(def, 'icon')!.value);
        if (!icon.startsWith('font-awesome/')) expect(existsSync(path.join(path.dirname(file), 'icons', icon)), `icon ${icon}`).to.equal(true);
      }
      expect(html).to.match(new RegExp(`data-template-name="${type}"`));
      expect(html).to.match(new RegExp(`data-help-name="${type}"`));
      expect(existsSync(path.join(path.dirname(file), 'locales', 'en-US', `${type}.json`))).to.equal(true);
    });
  }

  it('uses every non-config node in at least one example, and every example parses (N02)', () => {
    const used = new Set<string>();
    for (const f of exampleFiles()) {
      const flow = JSON.parse(readFileSync(f, 'utf8')) as Array<{ type: string }>;
      expect(flow, f).to.be.an('array');
      for (const n of flow) used.add(n.type);
    }
    for (const [type, file] of nodes) {
      const isConfig = /category:\s*["']config["']/.test(readFileSync(file.replace(/\.js$/, '.html'), 'utf8'));
      if (!isConfig) expect(used.has(type), `${type} used in an example`).to.equal(true);
    }
  });
});
