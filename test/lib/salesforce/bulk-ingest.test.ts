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
import { OrgApi, type WireRecord } from '../../../lib/salesforce/org-api.js';
import * as f from '../../../emulator/schema/field-builders.js';
import { PASSWORD, settingsFor } from '../../support/connection.js';
import { EXT_FIELD as EXT_FIELD_DEF, restoreOrgs, startTestEmulator, testOrgSpec } from '../../support/emulator.js';
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

describe('Bulk API 2.0 ingest: a value of every field type round-trips as REST writes it', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let oc: OrgConnection;

  // One custom field of each writable type on Account, beside the standard Name and ParentId.
  const TYPED_FIELDS = [
    f.text('Text__c', 255), f.textarea('Area__c', 255), f.longTextArea('Long__c'), f.email('Email__c'), f.phone('Phone__c'), f.url('Url__c'),
    f.picklist('Pick__c', ['Gold', 'Silver']), f.multipicklist('Multi__c', ['Red', 'Green', 'Blue']), f.checkbox('Flag__c'), f.int('Count__c', 9),
    f.double('Ratio__c', 12, 4), f.currency('Amount__c'), f.percent('Share__c', 5, 2), f.date('Day__c'), f.datetime('Moment__c'), f.time('Clock__c'),
  ];
  const NAMES = TYPED_FIELDS.map((d) => d.name);

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha', { schema: { fields: { Account: [EXT_FIELD_DEF, ...TYPED_FIELDS] } } })]);
    oc = new OrgConnection(settingsFor(emulator), PASSWORD);
  });
  after(async () => {
    oc.close();
    await emulator.stop();
  });

  // Ordinary values, the edges CSV quoting must survive, and every field empty.
  const samples: Array<Record<string, unknown>> = [
    {
      Text__c: 'plain', Area__c: 'two\nlines', Long__c: 'x'.repeat(5000), Email__c: 'a@example.com', Phone__c: '+1 (555) 010-0100', Url__c: 'https://example.com/a?b=c&d=e',
      Pick__c: 'Gold', Multi__c: 'Red;Blue', Flag__c: true, Count__c: 42, Ratio__c: 3.1416, Amount__c: 1234.5, Share__c: 12.5,
      Day__c: '2024-02-29', Moment__c: '2024-02-29T23:59:58.000+0000', Clock__c: '13:45:30.125Z',
    },
    {
      Text__c: 'comma, "quote" and ünïcödé ✓', Area__c: '"starts with a quote', Long__c: 'tab\tand\r\nCRLF', Email__c: null, Phone__c: '0',
      Url__c: null, Pick__c: 'Silver', Multi__c: 'Green', Flag__c: false, Count__c: -7, Ratio__c: -0.0001, Amount__c: 0, Share__c: -100,
      Day__c: '1970-01-01', Moment__c: '1999-12-31T00:00:00.000+0000', Clock__c: '00:00:00.000Z',
    },
    Object.fromEntries(NAMES.map((n) => [n, n === 'Flag__c' ? false : null])),
  ];

  it('writes each sample by a Bulk job and by a collections call, and both read back the same, field by field', async () => {
    const api = new OrgApi(oc);
    const ingest = new BulkIngest(oc, { sleep: noWait });
    const wire = (tag: string) => samples.map((s, i): WireRecord => ({ attributes: { type: 'Account' }, Name: `${tag} ${i}`, Ext__c: `${tag}-${i}`, ...s }));
    const bulk = await ingest.write('Account', 'insert', wire('BULK'));
    const rest = await api.create(wire('REST'));
    expect([...bulk, ...rest].every((r) => r.success), JSON.stringify([...bulk, ...rest])).to.equal(true);
    const read = async (ids: string[]) => {
      const rows = await api.rows<Record<string, unknown>>(`SELECT Id, ${NAMES.join(', ')} FROM Account WHERE Id IN ('${ids.join("','")}')`, 'reading back');
      const byId = new Map(rows.map(({ attributes: _a, ...r }) => [r.Id as string, r]));
      return ids.map((id) => byId.get(id)!);
    };
    const viaBulk = await read(bulk.map((r) => r.id!));
    const viaRest = await read(rest.map((r) => r.id!));
    samples.forEach((sample, i) => {
      for (const name of NAMES) {
        const { Id: _b, ...b } = viaBulk[i]!;
        const { Id: _r, ...r } = viaRest[i]!;
        expect(b[name], `sample ${i}, ${name}: Bulk against REST`).to.deep.equal(r[name]);
      }
      // And what was sent is what is there (as the platform normalises it: times and datetimes).
      expect(viaBulk[i]!.Text__c).to.equal(sample.Text__c);
      expect(viaBulk[i]!.Long__c).to.equal(sample.Long__c);
      expect(viaBulk[i]!.Count__c).to.equal(sample.Count__c);
      expect(viaBulk[i]!.Flag__c).to.equal(sample.Flag__c);
      expect(viaBulk[i]!.Day__c).to.equal(sample.Day__c);
      expect(viaBulk[i]!.Multi__c).to.equal(sample.Multi__c);
      expect(viaBulk[i]!.Amount__c).to.equal(sample.Amount__c);
      expect(viaBulk[i]!.Moment__c === null).to.equal(sample.Moment__c === null);
      expect(viaBulk[i]!.Clock__c === null).to.equal(sample.Clock__c === null);
    });
    expect(Object.values(viaBulk[2]!).filter((v) => v !== null && v !== false).length, 'only the Id is set on the empty sample').to.equal(1);
  });
});
