import { expect } from 'chai';
import { startEmulator, type Emulator, type ObjectDef } from '../../../emulator/index.js';
import { customObjectFields, masterDetail, reference } from '../../../emulator/schema/field-builders.js';
import { previewCollection } from '../../../lib/collect/preview.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { testOrgSpec } from '../../support/emulator.js';
import { assertParentsFirst, collectAll, insert, plan, update } from './helpers.js';

/**
 * Two objects that point at each other through nillable lookups (a cycle Salesforce allows across
 * objects), a detail under one of them, and a note with a polymorphic lookup to either.
 */
const objects: ObjectDef[] = [
  {
    name: 'Alpha__c', label: 'Alpha', labelPlural: 'Alphas', keyPrefix: 'a10', custom: true,
    fields: [...customObjectFields('Alpha'), reference('Beta__c', ['Beta__c'], 'Beta__r', { label: 'Beta', childRelationshipName: 'Alphas__r' })],
  },
  {
    name: 'Beta__c', label: 'Beta', labelPlural: 'Betas', keyPrefix: 'a11', custom: true,
    fields: [...customObjectFields('Beta'), reference('Alpha__c', ['Alpha__c'], 'Alpha__r', { label: 'Alpha', childRelationshipName: 'Betas__r' })],
  },
  {
    name: 'Detail__c', label: 'Detail', labelPlural: 'Details', keyPrefix: 'a12', custom: true,
    fields: [...customObjectFields('Detail', { owner: false }), masterDetail('Alpha__c', 'Alpha__c', 'Alpha__r', { label: 'Alpha', childRelationshipName: 'Details__r' })],
  },
  {
    name: 'Note__c', label: 'Note', labelPlural: 'Notes', keyPrefix: 'a13', custom: true,
    fields: [...customObjectFields('Note'), reference('Related__c', ['Alpha__c', 'Beta__c'], 'Related__r', { label: 'Related', childRelationshipName: 'Notes__r' })],
  },
];

describe('collect with a custom schema: cross-object cycles and polymorphic lookups', () => {
  let emulator: Emulator;
  let conn: OrgConnection;
  let ids: Record<string, string>;
  before(async () => {
    emulator = await startEmulator({ orgs: [testOrgSpec('alpha', { schema: { objects } })] });
    conn = new OrgConnection(settingsFor(emulator), PASSWORD);
    const a1 = await insert(conn, 'Alpha__c', { Name: 'A1' });
    const b1 = await insert(conn, 'Beta__c', { Name: 'B1', Alpha__c: a1 });
    await update(conn, 'Alpha__c', { Id: a1, Beta__c: b1 });
    const d1 = await insert(conn, 'Detail__c', { Name: 'D1', Alpha__c: a1 });
    const n1 = await insert(conn, 'Note__c', { Name: 'N1', Related__c: a1 });
    const n2 = await insert(conn, 'Note__c', { Name: 'N2', Related__c: b1 });
    ids = { a1, b1, d1, n1, n2 };
  });
  after(async () => {
    conn.close();
    await emulator.stop();
  });

  it('breaks an Alpha -> Beta -> Alpha cycle by deferring one nillable lookup; the master-detail child follows', async () => {
    const p = await plan(conn, { rootObject: 'Alpha__c', ids: [ids.a1!], depth: 2, children: ['Details__r'] });
    expect(p.objects.map((o) => o.name)).to.deep.equal(['Alpha__c', 'Beta__c', 'Detail__c']);
    const { batches, summary } = await collectAll(conn, p);
    expect(summary.byObject).to.deep.equal({ Alpha__c: 1, Beta__c: 1, Detail__c: 1 });
    expect(summary.deferred).to.have.length(1);
    expect(summary.deferred[0]!.required).to.equal(false);
    const deferred = batches.flatMap((b) => b.records.flatMap((r) => r.references.filter((x) => x.deferred).map((x) => `${r.object}.${x.field}`)));
    expect(deferred).to.have.length(1);
    assertParentsFirst(batches);
    // The detail's master-detail parent is never the deferred one: it cannot be left empty.
    const detail = batches.flatMap((b) => b.records).find((r) => r.object === 'Detail__c')!;
    expect(detail.references).to.deep.equal([{ field: 'Alpha__c', id: ids.a1, object: 'Alpha__c' }]);
  });

  it('follows a polymorphic lookup only when asked, resolving each value by its key prefix', async () => {
    const byDefault = await plan(conn, { rootObject: 'Note__c', all: true, depth: 1 });
    expect(byDefault.objects.map((o) => o.name)).to.deep.equal(['Note__c']);

    const p = await plan(conn, { rootObject: 'Note__c', all: true, depth: 1, parents: ['Related__c'] });
    const note = p.objects[0]!;
    expect(note.lookups).to.deep.include({ field: 'Related__c', relationshipName: 'Related__r', targets: ['Alpha__c', 'Beta__c'], follow: true, nillable: true, polymorphic: true });
    const { batches, summary } = await collectAll(conn, p);
    expect(summary.byObject).to.deep.equal({ Note__c: 2, Alpha__c: 1, Beta__c: 1 });
    const notes = batches.flatMap((b) => b.records).filter((r) => r.object === 'Note__c');
    expect(notes.map((n) => n.references[0]).sort((a, b) => a!.object.localeCompare(b!.object))).to.deep.equal([
      { field: 'Related__c', id: ids.a1, object: 'Alpha__c' },
      { field: 'Related__c', id: ids.b1, object: 'Beta__c' },
    ]);
    assertParentsFirst(batches);

    const preview = await previewCollection(conn, p);
    expect(preview.method).to.equal('discovery');
    expect(Object.fromEntries(preview.objects.map((o) => [o.object, o.count]))).to.deep.equal(summary.byObject);
    expect(preview.deferred).to.equal(1);
  });
});
