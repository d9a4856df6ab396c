import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connectDirect, testOrgSpec } from '../support/emulator.js';

const dir = mkdtempSync(path.join(tmpdir(), 's2s-schema-'));

function schemaFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('per-org schema files', () => {
  let emulator: Emulator;
  const file = schemaFile('alpha.json', {
    objects: [
      {
        name: 'Invoice__c',
        label: 'Invoice',
        labelPlural: 'Invoices',
        keyPrefix: 'a0I',
        fields: [
          { name: 'Id', type: 'id', label: 'Record ID', nillable: false, createable: false, updateable: false },
          { name: 'IsDeleted', type: 'boolean', label: 'Deleted', nillable: false, createable: false, updateable: false },
          { name: 'Name', type: 'string', length: 80, nillable: false, nameField: true },
          { name: 'Account__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account__r', relationshipOrder: 0, cascadeDelete: true, nillable: false, updateable: false },
          { name: 'Total__c', type: 'currency', precision: 18, scale: 2 },
        ],
      },
    ],
    fields: { Account: [{ name: 'Segment__c', type: 'picklist', restrictedPicklist: true, picklistValues: [{ value: 'SMB' }, { value: 'Enterprise' }] }] },
  });

  before(async () => {
    emulator = await startEmulator({ orgs: [testOrgSpec('alpha', { schemaFile: file }), testOrgSpec('beta')] });
  });
  after(() => emulator.stop());

  it('adds custom objects and fields to one org only, with describe and child relationships', async () => {
    const conn = connectDirect(emulator, 'alpha');
    const invoice = await conn.describe('Invoice__c');
    expect(invoice).to.include({ name: 'Invoice__c', custom: true, keyPrefix: 'a0I' });
    const account = await conn.describe('Account');
    expect(account.fields.map((f) => f.name)).to.include('Segment__c');
    const rel = account.childRelationships.find((r) => r.childSObject === 'Invoice__c')!;
    expect(rel).to.include({ field: 'Account__c', relationshipName: 'Invoices__r', cascadeDelete: true });
    const beta = connectDirect(emulator, 'beta');
    expect((await beta.describe('Account')).fields.map((f) => f.name)).to.not.include('Segment__c');
  });

  it('enforces master-detail: the parent is required and its delete cascades', async () => {
    const conn = connectDirect(emulator, 'alpha');
    const missing = await conn.sobject('Invoice__c').create({ Name: 'INV-0' }).then(() => undefined, (e: Error & { errorCode: string }) => e);
    expect(missing?.errorCode).to.equal('REQUIRED_FIELD_MISSING');
    const acc = (await conn.sobject('Account').create({ Name: 'Buyer', Segment__c: 'SMB' })) as { id: string };
    const inv = (await conn.sobject('Invoice__c').create({ Name: 'INV-1', Account__c: acc.id, Total__c: 12.345 })) as { id: string };
    const rows = await conn.query<{ Name: string; Total__c: number; Account__r: { Name: string } }>(
      'SELECT Name, Total__c, Account__r.Name FROM Invoice__c',
    );
    expect(rows.records[0]).to.deep.include({ Name: 'INV-1', Total__c: 12.35 });
    expect(rows.records[0]!.Account__r.Name).to.equal('Buyer');
    await conn.sobject('Account').destroy(acc.id);
    const all = await conn.query<{ Id: string; IsDeleted: boolean }>('SELECT Id, IsDeleted FROM Invoice__c', { scanAll: true });
    expect(all.records).to.deep.equal([{ attributes: { type: 'Invoice__c', url: `/services/data/v62.0/sobjects/Invoice__c/${inv.id}` }, Id: inv.id, IsDeleted: true }]);
  });

  it('refuses a malformed schema file with a message naming the file and the field', async () => {
    const bad = schemaFile('bad.json', { fields: { Account: [{ name: 'Oops__c', type: 'text' }] } });
    let message = '';
    try {
      await startEmulator({ orgs: [testOrgSpec('gamma', { schemaFile: bad })] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.contain(bad);
    expect(message).to.contain('Oops__c');
    expect(message).to.contain('unknown type "text"');
  });
});
