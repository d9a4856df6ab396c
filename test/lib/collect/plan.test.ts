import { expect } from 'chai';
import { planCollection } from '../../../lib/collect/plan.js';
import type { OrgConnection } from '../../../lib/connection/org-connection.js';
import { hqConnection, plan, startDemoEmulator, type Emulator } from './helpers.js';

describe('planCollection (describes from the hq demo org)', () => {
  let emulator: Emulator;
  let conn: OrgConnection;
  before(async () => {
    emulator = await startDemoEmulator();
    conn = hqConnection(emulator);
  });
  after(async () => {
    conn.close();
    await emulator.stop();
  });

  it('follows writable lookups, self-references included, and skips users, groups and record types', async () => {
    const p = await plan(conn, { rootObject: 'account', ids: ['001Do0000000001'], depth: 1 });
    expect(p.rootObject).to.equal('Account');
    expect(p.roots).to.deep.equal({ by: 'ids', ids: ['001Do0000000001IAA'] });
    const account = p.objects[0]!;
    expect(account.lookups).to.deep.equal([{ field: 'ParentId', relationshipName: 'Parent', targets: ['Account'], follow: true, nillable: true, polymorphic: false }]);
    expect(account.slimFields).to.deep.equal(['Id', 'ParentId']);
    // Every createable or updateable field, no read-only, system or compound ones.
    expect(account.dataFields).to.include.members(['Name', 'ParentId', 'OwnerId', 'BillingCity', 'Customer_Tier__c']);
    expect(account.dataFields).to.not.include.members(['Id', 'MasterRecordId', 'CreatedById', 'LastModifiedDate', 'BillingAddress', 'IsDeleted']);
    expect(account.selectFields.at(-1)).to.equal('LastModifiedDate');
    expect(account.changedAtField).to.equal('LastModifiedDate');
  });

  it('reaches objects hop by hop and tracks lookups between planned objects without following them', async () => {
    const p = await plan(conn, { rootObject: 'Account', all: true, depth: 1, parents: false, children: ['Contacts', 'Projects__r'] });
    expect(p.objects.map((o) => [o.name, o.hop])).to.deep.equal([['Account', 0], ['Contact', 1], ['Project__c', 1]]);
    expect(p.objects[0]!.children).to.deep.equal([
      { relationshipName: 'Contacts', object: 'Contact', field: 'AccountId' },
      { relationshipName: 'Projects__r', object: 'Project__c', field: 'Account__c' },
    ]);
    const contact = p.objects[1]!;
    expect(contact.lookups.map((l) => [l.field, l.targets.join(), l.follow])).to.deep.equal([['AccountId', 'Account', false], ['ReportsToId', 'Contact', false]]);
    const project = p.objects[2]!;
    expect(project.lookups).to.deep.equal([{ field: 'Account__c', relationshipName: 'Account__r', targets: ['Account'], follow: false, nillable: false, polymorphic: false }]);
    expect(p.objects[0]!.lookups.map((l) => l.follow)).to.deep.equal([false]);
  });

  it('takes qualified names, warns about names beyond the depth and refuses unknown ones', async () => {
    const p = await plan(conn, { rootObject: 'Account', all: true, depth: 1, parents: ['Contact.ReportsToId'], children: ['Contacts'] });
    expect(p.warnings).to.deep.equal(["parents: 'Contact.ReportsToId' is not followed: Contact is at the depth limit (1)"]);
    const deeper = await plan(conn, { rootObject: 'Account', all: true, depth: 2, parents: ['Contact.ReportsToId'], children: ['Contacts'] });
    expect(deeper.warnings).to.deep.equal([]);
    expect(deeper.objects[1]!.lookups.find((l) => l.field === 'ReportsToId')!.follow).to.equal(true);
    expect(deeper.objects[0]!.lookups.find((l) => l.field === 'ParentId')!.follow).to.equal(false);
    let err: Error | undefined;
    await plan(conn, { rootObject: 'Account', all: true, children: ['Opportunity.Contacts'] }).catch((e: Error) => (err = e));
    expect(err?.message).to.equal("children: 'Opportunity.Contacts' is not a child relationship of Opportunity");
  });

  it('follows a skipped object only when named, and types filter values from describe', async () => {
    const p = await plan(conn, { rootObject: 'Opportunity', filter: { CloseDate: { op: '>=', value: 'THIS_YEAR' }, Amount: { op: '>', value: '1000' }, 'Account.Name': 'Acme' }, depth: 1, parents: ['OwnerId'] });
    expect(p.roots).to.deep.equal({ by: 'where', where: "CloseDate >= THIS_YEAR AND Amount > 1000 AND Account.Name = 'Acme'" });
    expect(p.objects.map((o) => o.name)).to.deep.equal(['Opportunity', 'User']);
  });

  it('accepts a synchronous describe function', async () => {
    const described = await conn.run((c) => c.describe('Account'));
    const p = await planCollection({ rootObject: 'Account', all: true, depth: 0 }, () => described);
    expect(p.objects).to.have.length(1);
    expect(p.depth).to.equal(0);
  });
});
