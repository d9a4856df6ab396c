/**
 * Bulk API 2.0 ingest jobs written through BulkIngest, against the emulator over real HTTP: one
 * result per record in the order given (matched back from the result files), created flags, Ids,
 * per-record failures with their codes, nulls, untouched fields and awkward text.
 */
import { expect } from 'chai';
import type { Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { BulkIngest, ingestCsv, parseRecordError, UNMATCHED, UNPROCESSED } from '../../../lib/salesforce/bulk-ingest.js';
import { classifyRecordError } from '../../../lib/upsert/classify.js';
import type { WireRecord } from '../../../lib/salesforce/org-api.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
import { TARGET_SCHEMA } from '../upsert/helpers.js';

const noWait = async () => undefined;
type Row = Record<string, unknown> & { Id: string };

describe('Bulk API 2.0 ingest jobs (BulkIngest)', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let oc: OrgConnection;
  let calls: number;
  let ingest: BulkIngest;
  const accounts = () => emulator.org('alpha').snapshot('Account') as Row[];
  const acc = (fields: Record<string, unknown>): WireRecord => ({ attributes: { type: 'Account' }, ...fields });

  before(async () => {
    // Account and Contact with the external Id field Ext__c.
    emulator = await startTestEmulator([testOrgSpec('alpha', { schema: TARGET_SCHEMA })]);
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    oc = new OrgConnection(settingsFor(emulator), PASSWORD);
    calls = 0;
    ingest = new BulkIngest(oc, { sleep: noWait, onCall: () => calls++ });
  });
  afterEach(() => oc.close());

  it('upserts by external Id, answering one result per record in the order given, created or not', async () => {
    const first = await ingest.write('Account', 'upsert', [acc({ Name: 'Bulk A', Ext__c: 'BULK-A' }), acc({ Name: 'Bulk B', Ext__c: 'BULK-B' })], 'Ext__c');
    expect(first.map((r) => [r.success, r.created])).to.deep.equal([[true, true], [true, true]]);
    const byExt = new Map(accounts().map((a) => [a.Ext__c, a]));
    expect(first.map((r) => r.id)).to.deep.equal([byExt.get('BULK-A')!.Id, byExt.get('BULK-B')!.Id]);
    // A job: create, upload, close, at least one poll, three result files.
    expect(calls).to.be.at.least(7);

    const records = Array.from({ length: 300 }, (_, i) => acc({ Name: `Bulk ${299 - i}`, Ext__c: `BULK-${299 - i}`, NumberOfEmployees: i }));
    records.splice(100, 0, acc({ Name: 'Bulk B renamed', Ext__c: 'BULK-B' }));
    const second = await ingest.write('Account', 'upsert', records, 'Ext__c');
    const now = new Map(accounts().map((a) => [a.Ext__c, a]));
    second.forEach((r, i) => {
      const ext = records[i]!.Ext__c as string;
      expect(r, ext).to.include({ success: true, id: now.get(ext)!.Id, created: ext !== 'BULK-B' });
    });
    expect(now.get('BULK-B')!.Name).to.equal('Bulk B renamed');
    expect(now.get('BULK-7')!.NumberOfEmployees).to.equal(292);
  });

  it('reports each refused record with its code, message and fields while the rest land', async () => {
    const contacts = [
      { attributes: { type: 'Contact' }, LastName: 'Lands', Ext__c: 'CON-OK' },
      { attributes: { type: 'Contact' }, LastName: 'Orphan', Ext__c: 'CON-ORPHAN', Account: { attributes: { type: 'Account' }, Ext__c: 'NO-SUCH-ACCOUNT' } },
      { attributes: { type: 'Contact' }, FirstName: 'No last name', Ext__c: 'CON-NONAME' },
    ];
    const results = await ingest.write('Contact', 'upsert', contacts, 'Ext__c');
    expect(results[0]).to.include({ success: true, created: true });
    expect(results[1]!.success).to.equal(false);
    expect(results[1]!.errors![0]).to.include({ statusCode: 'INVALID_FIELD' });
    expect((results[1]!.errors![0]!.message ?? '').toLowerCase()).to.contain('no-such-account');
    expect(results[2]!.success).to.equal(false);
    expect(results[2]!.errors![0]).to.include({ statusCode: 'REQUIRED_FIELD_MISSING' });
    expect(results[2]!.errors![0]!.fields).to.deep.equal(['LastName']);
    const landed = (emulator.org('alpha').snapshot('Contact') as Row[]).filter((c) => String(c.Ext__c ?? '').startsWith('CON-'));
    expect(landed.map((c) => c.Ext__c)).to.deep.equal(['CON-OK']);
  });

  it('sets nulls, leaves fields a record does not carry as they are, and keeps awkward text intact', async () => {
    const [made] = await ingest.write('Account', 'insert', [acc({ Name: 'Nulls', Phone: '555-0100', Website: 'example.com', Description: 'x' })]);
    const text = 'Line one, with "quotes"\nline two';
    const [updated] = await ingest.write('Account', 'update', [{ attributes: { type: 'Account' }, id: made!.id, Phone: null, Description: text }]);
    expect(updated).to.include({ success: true, id: made!.id });
    const row = accounts().find((a) => a.Id === made!.id)!;
    expect(row).to.include({ Phone: null, Website: 'example.com', Description: text, Name: 'Nulls' });
  });

  it('writes the CSV the platform reads: Id first for updates, lookups as Relationship.Field, #N/A for null', () => {
    const csv = ingestCsv('update', [
      { attributes: { type: 'Contact' }, id: '003000000000001AAA', LastName: 'A', Phone: null, Account: { attributes: { type: 'Account' }, Ext__c: 'ACC-1' } },
      { attributes: { type: 'Contact' }, id: '003000000000002AAA', LastName: 'B, "quoted"', DoNotCall: true },
    ]);
    expect(csv.columns).to.deep.equal(['Id', 'LastName', 'Phone', 'Account.Ext__c', 'DoNotCall']);
    expect(csv.body.split('\n')).to.deep.equal([
      'Id,LastName,Phone,Account.Ext__c,DoNotCall',
      '003000000000001AAA,A,#N/A,ACC-1,',
      '003000000000002AAA,"B, ""quoted""",,,true',
      '',
    ]);
  });

  it('matches result rows by what identifies a record: Id for updates, the external Id for upserts, every column for inserts', () => {
    const rec = (f: Record<string, unknown>): WireRecord => ({ attributes: { type: 'Account' }, ...f });
    expect(ingestCsv('update', [rec({ id: '001000000000001AAA', Name: 'A' })]).keyColumns).to.deep.equal(['Id']);
    const upsert = ingestCsv('upsert', [rec({ Name: 'A', Ext__c: 'E-1', Phone: null })], 'Ext__c');
    expect(upsert.keyColumns).to.deep.equal(['Ext__c']);
    expect(upsert.keys).to.deep.equal(['E-1']);
    const insert = ingestCsv('insert', [rec({ Name: 'A', Phone: null })]);
    expect(insert.keyColumns).to.deep.equal(['Name', 'Phone']);
    // A null is uploaded as #N/A and matched as the empty cell a result file may give back.
    expect(insert.keys).to.deep.equal(['A\u0000']);
  });

  it('has records a job left unprocessed sent again, and dead-letters those it cannot match to a result', () => {
    expect(classifyRecordError([{ statusCode: UNPROCESSED, message: 'not reached' }]).class).to.equal('transient');
    expect(classifyRecordError([{ statusCode: UNMATCHED, message: 'may be written' }]).class).to.equal('permanent');
  });

  it('reads the platform\'s error text into code, message and fields', () => {
    expect(parseRecordError('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --')).to.deep.equal({
      statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'],
    });
    expect(parseRecordError('INVALID_FIELD:Foreign key external ID: acc-9 not found for field Ext__c in entity Account:--')).to.deep.equal({
      statusCode: 'INVALID_FIELD', message: 'Foreign key external ID: acc-9 not found for field Ext__c in entity Account', fields: [],
    });
    expect(parseRecordError('something else')).to.deep.equal({ statusCode: 'UNKNOWN_ERROR', message: 'something else', fields: [] });
  });
});
