import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BATCH_META_SCHEMA, SYNC_RECORD_SCHEMA } from '../../lib/sync/envelope-schema.js';

const NODES = path.resolve('dist/nodes');
const SYNC_NODES = ['sf-collect', 'sf-map-fields', 'sf-upsert-out', 'sf-sync-status'];
const ALL_NODES = ['sf-connection', 'sf-health-check', ...SYNC_NODES];

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** Every property name in a schema, nested ones included. */
function propertyNames(s: Schema): string[] {
  return Object.entries(s.properties ?? {}).flatMap(([name, p]) => [name, ...propertyNames(p.items ?? p)]);
}

describe('the built help pages and message catalogs', () => {
  for (const type of SYNC_NODES) {
    it(`${type}: its help describes the sync message, every field of the envelope's schema`, () => {
      const html = readFileSync(path.join(NODES, `${type}.html`), 'utf8');
      expect(html).to.contain('### The sync message');
      expect(html, 'the mark is replaced').to.not.contain('<!-- sync-message -->');
      const section = html.slice(html.indexOf('### The sync message'));
      for (const name of new Set([...propertyNames(SYNC_RECORD_SCHEMA as Schema), ...propertyNames(BATCH_META_SCHEMA as Schema)])) {
        expect(section, name).to.contain(`\`${name}\``);
      }
    });
  }

  it('gives every node the shared message keys (s2s.*) in its own catalog, where Node-RED looks for them', () => {
    const shared = JSON.parse(readFileSync(path.resolve('nodes/shared/locales/en-US/shared.json'), 'utf8')) as { s2s: Record<string, Record<string, string>> };
    for (const type of ALL_NODES) {
      const catalog = JSON.parse(readFileSync(path.join(NODES, 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, unknown>;
      expect(catalog[type], `${type}'s own keys`).to.be.an('object');
      expect(catalog.s2s, type).to.deep.equal(shared.s2s);
    }
  });
});
