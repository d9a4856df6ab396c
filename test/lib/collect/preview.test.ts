import { expect } from 'chai';
import { previewCollection } from '../../../lib/collect/preview.js';
import type { CollectionRequest } from '../../../lib/collect/plan.js';
import type { OrgConnection } from '../../../lib/connection/org-connection.js';
import { collectAll, hqConnection, idOf, insert, plan, startDemoEmulator, type Emulator } from './helpers.js';

describe('previewCollection against the emulator (hq demo org)', () => {
  let emulator: Emulator;
  let conn: OrgConnection;
  before(async () => {
    emulator = await startDemoEmulator();
    conn = hqConnection(emulator);
    await conn.run((c) => c.identity());
  });
  after(async () => {
    conn.close();
    await emulator.stop();
  });

  const calls = () => emulator.org('hq').limits.counts().total;

  /** Preview and collect the same request; the counts must agree. */
  async function both(request: CollectionRequest) {
    const p = await plan(conn, request);
    const t0 = calls();
    const preview = await previewCollection(conn, p, { samples: 3 });
    expect(preview.apiCalls).to.equal(calls() - t0);
    const run = await collectAll(conn, p);
    const counts = Object.fromEntries(preview.objects.map((o) => [o.object, o.count]));
    expect(counts).to.deep.equal(run.summary.byObject);
    expect(preview.totalRecords).to.equal(run.summary.totalRecords);
    for (const o of preview.objects) {
      expect(o.sample).to.have.length(Math.min(3, o.count));
      for (const r of o.sample) expect(r).to.include({ object: o.object, operation: 'upsert' });
    }
    return { preview, run };
  }

  it('counts roots and direct children with SELECT COUNT(), two calls per object', async () => {
    const { preview } = await both({ rootObject: 'Account', filter: { Name: { op: 'startsWith', value: 'Altura' } }, parents: false, children: ['Contacts', 'Opportunities'] });
    expect(preview.method).to.equal('count');
    expect(preview.objects.map((o) => o.object)).to.deep.equal(['Account', 'Contact', 'Opportunity']);
    expect(preview.objects[0]!.count).to.equal(12);
    expect(preview.apiCalls).to.equal(6);
    const sampleContact = preview.objects[1]!.sample[0]!;
    expect(sampleContact.references.map((r) => r.field)).to.include('AccountId');
  });

  it('counts a whole object with one count and one sample call', async () => {
    const { preview } = await both({ rootObject: 'Account', all: true, depth: 0 });
    expect(preview).to.include({ method: 'count', totalRecords: 30, apiCalls: 2 });
  });

  it('counts by Id, including Ids that no longer exist', async () => {
    const gone = await insert(conn, 'Account', { Name: 'Gone Ltd' });
    await conn.run((c) => c.sobject('Account').destroy(gone));
    const ids = [await idOf(conn, 'Account', 'Juniper Media'), await idOf(conn, 'Account', 'Harbor Telecom'), gone];
    const { preview, run } = await both({ rootObject: 'Account', ids, parents: false, children: ['Contacts'] });
    expect(preview.method).to.equal('count');
    expect(preview.objects[0]!.count).to.equal(2);
    expect(run.summary.missingRootIds).to.deep.equal([gone]);
  });

  it('walks hierarchies it cannot count, holding only Ids, and still agrees with collect', async () => {
    const root = await idOf(conn, 'Account', 'Altura Industries');
    const { preview } = await both({ rootObject: 'Account', ids: [root], depth: 5, children: ['ChildAccounts', 'Contacts', 'Account.Opportunities'] });
    expect(preview.method).to.equal('discovery');
    expect(preview.levels).to.equal(6);
    expect(preview.deferred).to.equal(0);
    expect(preview.missingRootIds).to.deep.equal([]);
  });

  it('climbs parents by discovery too', async () => {
    const leaf = await idOf(conn, 'Account', 'Brightwave Research Labs');
    const { preview } = await both({ rootObject: 'Account', ids: [leaf], depth: 5 });
    expect(preview).to.include({ method: 'discovery', totalRecords: 4, levels: 4 });
  });
});
