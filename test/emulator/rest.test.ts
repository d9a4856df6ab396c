import { expect } from 'chai';
import type { Connection } from 'jsforce';
import type { Emulator } from '../../emulator/index.js';
import { API_VERSION, connectDirect, EXT_FIELD, LEGACY_KEY_FIELD, startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { failure } from '../support/failure.js';

const EXT = { ...EXT_FIELD, filterable: true };
const NON_UNIQUE_EXT = { ...LEGACY_KEY_FIELD, filterable: true };
const TIER_FIELD = {
  name: 'Tier__c', type: 'picklist' as const, label: 'Tier', nillable: true, createable: true, updateable: true, custom: true,
  restrictedPicklist: true, picklistValues: [{ value: 'Gold' }, { value: 'Silver' }],
};

describe('emulator REST API with jsforce', () => {
  let emulator: Emulator;
  let conn: Connection;

  before(async () => {
    emulator = await startTestEmulator([
      testOrgSpec('alpha', { schema: { fields: { Account: [EXT, NON_UNIQUE_EXT, TIER_FIELD] } } }),
    ]);
  });
  after(() => emulator.stop());
  beforeEach(() => {
    emulator.org('alpha').reset();
    conn = connectDirect(emulator, 'alpha');
  });

  describe('discovery', () => {
    it('lists versions without authentication and resources with it', async () => {
      const res = await fetch(`${emulator.org('alpha').instanceUrl}/services/data`);
      const versions = (await res.json()) as Array<{ version: string; url: string }>;
      expect(versions.map((v) => v.version)).to.include.members(['20.0', '62.0', '65.0']);
      const resources = await conn.request<Record<string, string>>(`/services/data/v${API_VERSION}`);
      expect(resources.sobjects).to.equal(`/services/data/v${API_VERSION}/sobjects`);
      expect(resources.identity).to.match(/\/id\/00D\w{15}\/005\w{15}$/);
    });

    it('answers an unknown API version and an unknown path with NOT_FOUND', async () => {
      const err = await failure(() => conn.request('/services/data/v99.0/sobjects'));
      expect(err.errorCode).to.equal('NOT_FOUND');
      const err2 = await failure(() => conn.request(`/services/data/v${API_VERSION}/nothing-here`));
      expect(err2.errorCode).to.equal('NOT_FOUND');
    });

    it('describes objects, custom fields included', async () => {
      const d = await conn.describe('account');
      expect(d.name).to.equal('Account');
      const ext = d.fields.find((f) => f.name === 'Ext__c')!;
      expect(ext.externalId).to.equal(true);
      expect(ext.custom).to.equal(true);
      const global = await conn.describeGlobal();
      expect(global.sobjects.map((s) => s.name)).to.include.members(['Account', 'Contact', 'Opportunity', 'Lead', 'Case', 'User']);
      const err = await failure(() => conn.describe('Nope__c'));
      expect(err.errorCode).to.equal('NOT_FOUND');
    });
  });

  describe('single-record CRUD', () => {
    it('creates (201), retrieves, updates (204) and deletes (204) with server-kept system fields', async () => {
      const created = (await conn.sobject('Account').create({ Name: 'Acme', Tier__c: 'Gold' })) as { id: string; success: boolean };
      expect(created.success).to.equal(true);
      expect(created.id).to.match(/^001\w{15}$/);
      const rec = await conn.sobject('Account').retrieve(created.id);
      expect(rec.Name).to.equal('Acme');
      expect(rec.attributes).to.deep.equal({ type: 'Account', url: `/services/data/v${API_VERSION}/sobjects/Account/${created.id}` });
      expect(rec.CreatedDate).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      expect(rec.OwnerId).to.equal(rec.CreatedById);
      expect(rec.BillingAddress).to.equal(null);

      emulator.clock.advance(5000);
      await conn.sobject('Account').update({ Id: created.id, Name: 'Acme 2', BillingCity: 'Lyon' });
      const after = await conn.sobject('Account').retrieve(created.id);
      expect(after.Name).to.equal('Acme 2');
      expect(after.BillingAddress).to.include({ city: 'Lyon' });
      expect(after.LastModifiedDate > rec.LastModifiedDate).to.equal(true);
      expect(after.CreatedDate).to.equal(rec.CreatedDate);

      await conn.sobject('Account').destroy(created.id);
      const gone = await failure(() => conn.sobject('Account').retrieve(created.id));
      expect(gone.errorCode).to.equal('ENTITY_IS_DELETED');
      const again = await failure(() => conn.sobject('Account').destroy(created.id));
      expect(again.errorCode).to.equal('ENTITY_IS_DELETED');
    });

    it('retrieves only the requested fields, in canonical case, and accepts 15-character Ids', async () => {
      const { id } = (await conn.sobject('Account').create({ Name: 'Fields' })) as { id: string };
      const rec = await conn.request<Record<string, unknown>>(`/services/data/v${API_VERSION}/sobjects/Account/${id.slice(0, 15)}?fields=name,ext__c`);
      expect(Object.keys(rec)).to.deep.equal(['attributes', 'Name', 'Ext__c']);
    });

    it('derives Contact.Name and clears lookups or cascades on delete as real orgs do', async () => {
      const parent = (await conn.sobject('Account').create({ Name: 'Parent' })) as { id: string };
      const child = (await conn.sobject('Account').create({ Name: 'Child', ParentId: parent.id })) as { id: string };
      const contact = (await conn.sobject('Contact').create({ FirstName: 'Grace', LastName: 'Hopper', AccountId: parent.id })) as { id: string };
      expect((await conn.sobject('Contact').retrieve(contact.id)).Name).to.equal('Grace Hopper');
      await conn.sobject('Account').destroy(parent.id);
      expect((await conn.sobject('Account').retrieve(child.id)).ParentId).to.equal(null);
      const contacts = emulator.org('alpha').snapshot('Contact', true);
      expect(contacts.find((c) => c.Id === contact.id)?.IsDeleted).to.equal(true);
    });
  });

  describe('validation and bad input, with the real error bodies', () => {
    const cases: Array<[string, Record<string, unknown>, string, string | RegExp]> = [
      ['a missing required field', { Tier__c: 'Gold' }, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [Name]'],
      ['an unknown field', { Name: 'x', Foo__c: 1 }, 'INVALID_FIELD', "No such column 'Foo__c' on sobject of type Account"],
      ['a value too long', { Name: 'x'.repeat(256) }, 'STRING_TOO_LONG', /Account Name: data value too large: x+(\.\.\.)? \(max length=255\)/],
      ['a bad restricted picklist value', { Name: 'x', Tier__c: 'Platinum' }, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'Tier: bad value for restricted picklist field: Platinum'],
      ['a malformed Id in a lookup', { Name: 'x', ParentId: '12345' }, 'MALFORMED_ID', /id value of incorrect type: 12345/],
      ['a lookup to a record that does not exist', { Name: 'x', ParentId: '001000000000000AAA' }, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id'],
      ['a number that is not one', { Name: 'x', NumberOfEmployees: 'many' }, 'JSON_PARSER_ERROR', /Cannot deserialize instance of int/],
      ['a read-only system field', { Name: 'x', CreatedDate: '2020-01-01T00:00:00Z' }, 'INVALID_FIELD_FOR_INSERT_UPDATE', /Unable to create\/update fields: CreatedDate/],
    ];
    for (const [what, body, code, message] of cases) {
      it(`refuses ${what} with ${code}`, async () => {
        const err = await failure(() => conn.sobject('Account').create(body));
        expect(err.errorCode).to.equal(code);
        if (typeof message === 'string') expect(err.message).to.equal(message);
        else expect(err.message).to.match(message);
        expect(emulator.org('alpha').snapshot('Account')).to.have.length(0);
      });
    }

    it('refuses a duplicate external Id with DUPLICATE_VALUE naming the other record', async () => {
      const first = (await conn.sobject('Account').create({ Name: 'a', Ext__c: 'E-1' })) as { id: string };
      const err = await failure(() => conn.sobject('Account').create({ Name: 'b', Ext__c: 'e-1' }));
      expect(err.errorCode).to.equal('DUPLICATE_VALUE');
      expect(err.message).to.equal(`duplicate value found: Ext__c duplicates value on record with id: ${first.id}`);
    });

    it('answers malformed JSON, an unknown object and bad Ids without crashing', async () => {
      const url = `${emulator.org('alpha').instanceUrl}/services/data/v${API_VERSION}/sobjects/Account`;
      const headers = { Authorization: `Bearer ${conn.accessToken}`, 'Content-Type': 'application/json' };
      const bad = await fetch(url, { method: 'POST', headers, body: '{"Name": "x",' });
      expect(bad.status).to.equal(400);
      const body = (await bad.json()) as Array<{ errorCode: string; message: string }>;
      expect(body).to.be.an('array').with.length(1);
      expect(body[0]!.errorCode).to.equal('JSON_PARSER_ERROR');

      const unknown = await failure(() => conn.sobject('Nope__c').create({ Name: 'x' }));
      expect(unknown.errorCode).to.equal('NOT_FOUND');
      const badId = await failure(() => conn.sobject('Account').retrieve('not-an-id'));
      expect(badId.errorCode).to.equal('NOT_FOUND');
      const wrongMethod = await fetch(`${url}/describe`, { method: 'PUT', headers, body: '{}' });
      expect(wrongMethod.status).to.equal(405);
      // The server is still answering after all of that.
      expect((await conn.sobject('Account').create({ Name: 'still up' })) as { success: boolean }).to.include({ success: true });
    });

    it('refuses an expired or unknown session with 401 INVALID_SESSION_ID', async () => {
      const res = await fetch(`${emulator.org('alpha').instanceUrl}/services/data/v${API_VERSION}/limits`, {
        headers: { Authorization: 'Bearer 00Dxx!nonsense' },
      });
      expect(res.status).to.equal(401);
      expect(await res.json()).to.deep.equal([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    });
  });

  describe('upsert by external Id', () => {
    it('inserts (201, created true), updates (200, created false) and answers several matches with 300', async () => {
      const inserted = (await conn.sobject('Account').upsert({ Name: 'Up', Ext__c: 'U-1' }, 'Ext__c')) as { id: string; created: boolean };
      expect(inserted.created).to.equal(true);
      const updated = (await conn.sobject('Account').upsert({ Name: 'Up 2', Ext__c: 'U-1' }, 'Ext__c')) as { id: string; created: boolean };
      expect(updated).to.include({ id: inserted.id, created: false });
      expect((await conn.sobject('Account').retrieve(inserted.id)).Name).to.equal('Up 2');

      await conn.sobject('Account').create([{ Name: 'L1', Legacy_Key__c: 'K' }, { Name: 'L2', Legacy_Key__c: 'K' }]);
      const err = await failure(() => conn.sobject('Account').upsert({ Name: 'L3', Legacy_Key__c: 'K' }, 'Legacy_Key__c'));
      expect(err.errorCode).to.equal('MULTIPLE_CHOICES');
      expect(err.data).to.be.an('array').with.length(2);

      const notExt = await failure(() => conn.sobject('Account').upsert({ Name: 'x', Name2: 'y' } as never, 'Name'));
      expect(notExt.errorCode).to.equal('NOT_FOUND');
    });

    it('resolves a relationship given by the parent external Id', async () => {
      const parent = (await conn.sobject('Account').create({ Name: 'P', Ext__c: 'P-1' })) as { id: string };
      const child = (await conn.sobject('Account').create({ Name: 'C', Parent: { Ext__c: 'P-1' } } as Record<string, unknown>)) as unknown as { id: string };
      expect((await conn.sobject('Account').retrieve(child.id)).ParentId).to.equal(parent.id);
      const err = await failure(() => conn.sobject('Account').create({ Name: 'C2', Parent: { Ext__c: 'none' } } as never));
      expect(err.errorCode).to.equal('INVALID_FIELD');
      expect(err.message).to.match(/Foreign key external ID: none not found for field Ext__c in entity Account/);
    });
  });

  describe('query and queryAll', () => {
    beforeEach(async () => {
      const records = Array.from({ length: 450 }, (_, i) => ({ Name: `Q${String(i).padStart(3, '0')}`, NumberOfEmployees: i }));
      for (let i = 0; i < records.length; i += 200) await conn.sobject('Account').create(records.slice(i, i + 200));
    });

    it('pages with nextRecordsUrl, the batch-size header and queryMore', async () => {
      const first = await conn.request<{ totalSize: number; done: boolean; nextRecordsUrl: string; records: unknown[] }>({
        method: 'GET',
        url: `/services/data/v${API_VERSION}/query?q=${encodeURIComponent('SELECT Id, Name FROM Account ORDER BY Name')}`,
        headers: { 'Sforce-Query-Options': 'batchSize=200' },
      });
      expect(first).to.include({ totalSize: 450, done: false });
      expect(first.records).to.have.length(200);
      expect(first.nextRecordsUrl).to.match(/^\/services\/data\/v62\.0\/query\/01g\w{15}-200$/);
      const second = await conn.queryMore(first.nextRecordsUrl);
      expect(second.records).to.have.length(200);
      expect((second.records[0] as { Name: string }).Name).to.equal('Q200');
      const third = await conn.queryMore(second.nextRecordsUrl!);
      expect(third.done).to.equal(true);
      expect(third.records).to.have.length(50);
      expect(third.nextRecordsUrl).to.equal(undefined);
    });

    it('serves a locator under another API version, and refuses an unknown one', async () => {
      const first = await conn.request<{ nextRecordsUrl: string }>({
        method: 'GET',
        url: `/services/data/v${API_VERSION}/query?q=${encodeURIComponent('SELECT Id FROM Account')}`,
        headers: { 'Sforce-Query-Options': 'batchSize=200' },
      });
      const locator = first.nextRecordsUrl.split('/').pop()!;
      const other = await conn.request<{ records: unknown[] }>(`/services/data/v58.0/query/${locator}`);
      expect(other.records).to.have.length(200);
      const err = await failure(() => conn.request(`/services/data/v${API_VERSION}/query/01g000000000000AAA-200`));
      expect(err.errorCode).to.equal('INVALID_QUERY_LOCATOR');
    });

    it('filters on audit lookups, which have no reverse index, by scanning', async () => {
      const me = emulator.org('alpha').userByName('integration@alpha.test')!.id;
      const mine = await conn.query(`SELECT Id FROM Account WHERE CreatedById = '${me}' AND OwnerId = '${me}'`, { autoFetch: true });
      expect(mine.records).to.have.length(450);
      const none = await conn.query("SELECT Id FROM Account WHERE LastModifiedById = '005000000000000AAA'");
      expect(none.totalSize).to.equal(0);
    });

    it('fetches everything with autoFetch', async () => {
      const all = await conn.query('SELECT Id FROM Account', { autoFetch: true, maxFetch: 10000 });
      expect(all.records).to.have.length(450);
    });

    it('shows recycle-bin records only to queryAll', async () => {
      const one = (await conn.query<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Q001'")).records[0];
      await conn.sobject('Account').destroy(one!.Id);
      expect((await conn.query("SELECT Id FROM Account WHERE Name = 'Q001'")).totalSize).to.equal(0);
      const all = await conn.query<{ Id: string; IsDeleted: boolean }>("SELECT Id, IsDeleted FROM Account WHERE Name = 'Q001'", { scanAll: true });
      expect(all.records).to.have.length(1);
      expect(all.records[0]!.IsDeleted).to.equal(true);
    });

    it('answers bad SOQL with MALFORMED_QUERY and unknown columns with INVALID_FIELD', async () => {
      const malformed = await failure(() => conn.query('SELECT Id FORM Account'));
      expect(malformed.errorCode).to.equal('MALFORMED_QUERY');
      const field = await failure(() => conn.query('SELECT Id, Nope__c FROM Account'));
      expect(field.errorCode).to.equal('INVALID_FIELD');
      expect(field.message).to.contain("No such column 'Nope__c' on entity 'Account'");
      const type = await failure(() => conn.query('SELECT Id FROM Nope__c'));
      expect(type.errorCode).to.equal('INVALID_TYPE');
    });
  });

  describe('getUpdated and getDeleted', () => {
    it('lists records changed and deleted within a window', async () => {
      const start = new Date(emulator.clock.now() - 60_000);
      const a = (await conn.sobject('Account').create({ Name: 'changed' })) as { id: string };
      const b = (await conn.sobject('Account').create({ Name: 'deleted' })) as { id: string };
      await conn.sobject('Account').destroy(b.id);
      const end = new Date(emulator.clock.now() + 60_000);
      const updated = await conn.sobject('Account').updated(start, end);
      expect(updated.ids).to.include(a.id);
      expect(updated.ids).to.not.include(b.id);
      expect(updated.latestDateCovered).to.match(/:00\.000\+0000$/);
      const deleted = await conn.sobject('Account').deleted(start, end);
      expect(deleted.deletedRecords.map((d) => d.id)).to.deep.equal([b.id]);
      const tooOld = await failure(() => conn.sobject('Account').updated(new Date(emulator.clock.now() - 40 * 86400_000), end));
      expect(tooOld.errorCode).to.equal('INVALID_REPLICATION_DATE');
    });
  });

  describe('limits', () => {
    it('counts every call, reports it in Sforce-Limit-Info and refuses calls past the daily limit', async () => {
      const org = emulator.org('alpha');
      org.limits.setMax('DailyApiRequests', 5);
      const limits = await conn.limits();
      expect(limits.DailyApiRequests).to.deep.equal({ Max: 5, Remaining: 4 });
      await conn.query('SELECT Id FROM Account');
      expect(conn.limitInfo.apiUsage).to.deep.equal({ used: 2, limit: 5 });
      await conn.query('SELECT Id FROM Account');
      await conn.query('SELECT Id FROM Account');
      await conn.query('SELECT Id FROM Account');
      const err = await failure(() => conn.query('SELECT Id FROM Account'));
      expect(err.errorCode).to.equal('REQUEST_LIMIT_EXCEEDED');
      expect(err.message).to.equal('TotalRequests Limit exceeded.');
      const counts = org.limits.counts();
      expect(counts.byEndpoint['GET /query']).to.equal(4);
      expect(counts.byEndpoint['GET /limits']).to.equal(1);
    });
  });
});
