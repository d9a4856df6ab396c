import { expect } from 'chai';
import type { Connection } from 'jsforce';
import type { Emulator } from '../../emulator/index.js';
import type { CommittedTransaction } from '../../emulator/store/types.js';
import { API_VERSION, connectDirect, EXT_FIELD, LEGACY_KEY_FIELD, startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { failure } from '../support/failure.js';

const BASE = `/services/data/v${API_VERSION}`;

interface SaveResult {
  id?: string;
  success: boolean;
  errors: Array<{ statusCode: string; message: string; fields: string[] }>;
  created?: boolean;
}

interface SubResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

describe('emulator composite: sObject Collections, composite and tree', () => {
  let emulator: Emulator;
  let conn: Connection;
  let commits: CommittedTransaction[];
  let stopListening: () => void;

  before(async () => {
    emulator = await startTestEmulator([testOrgSpec('alpha', { schema: { fields: { Account: [EXT_FIELD, LEGACY_KEY_FIELD] } } })]);
  });
  after(() => emulator.stop());
  beforeEach(() => {
    const org = emulator.org('alpha');
    org.reset();
    commits = [];
    stopListening = org.addCommitListener((tx) => commits.push(tx));
    conn = connectDirect(emulator, 'alpha');
  });
  // reset() keeps commit listeners, so each test removes its own.
  afterEach(() => stopListening());

  const accounts = () => emulator.org('alpha').snapshot('Account');
  const contacts = () => emulator.org('alpha').snapshot('Contact');
  const composite = (body: object) => conn.requestPost<{ compositeResponse: SubResult[] }>(`${BASE}/composite`, body);

  describe('sObject Collections', () => {
    it('creates records in order with per-record errors, in one transaction', async () => {
      const results = (await conn.sobject('Account').create([{ Name: 'A1' }, { Description: 'no name' }, { Name: 'A3' }])) as SaveResult[];
      expect(results).to.have.length(3);
      expect(results[0]).to.include({ success: true });
      expect(results[0]!.id).to.match(/^001[A-Za-z0-9]{15}$/);
      expect(results[1]).to.deep.equal({
        success: false,
        errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Name]', fields: ['Name'] }],
      });
      expect(results[2]).to.include({ success: true });
      expect(accounts().map((a) => a.Name).sort()).to.deep.equal(['A1', 'A3']);
      // Change events of one call share one transaction key.
      const creates = commits.filter((c) => c.changes.some((ch) => ch.object === 'Account'));
      expect(creates).to.have.length(1);
      expect(creates[0]!.changes.map((c) => c.id)).to.deep.equal([results[0]!.id, results[2]!.id]);
    });

    it('commits nothing with allOrNone and reports the rollback on valid records', async () => {
      const results = (await conn.sobject('Account').create([{ Name: 'A1' }, { Description: 'no name' }], { allOrNone: true })) as SaveResult[];
      expect(results).to.deep.equal([
        {
          success: false,
          errors: [
            {
              statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
              message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
              fields: [],
            },
          ],
        },
        { success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Name]', fields: ['Name'] }] },
      ]);
      expect(accounts()).to.have.length(0);
      expect(commits.filter((c) => c.changes.some((ch) => ch.object === 'Account'))).to.have.length(0);
      const q = await conn.query('SELECT Id FROM Account');
      expect(q.totalSize).to.equal(0);
    });

    it('creates records of several types in one call', async () => {
      const results = (await conn.create('Account', [{ Name: 'Mixed' }])) as SaveResult[];
      const contact = (await conn.create('Contact', [{ LastName: 'Ng', AccountId: results[0]!.id }])) as SaveResult[];
      expect(contact[0]!.success).to.equal(true);
      expect(contacts()[0]!.AccountId).to.equal(results[0]!.id);
    });

    it('reports a record without a known type alone', async () => {
      const res = await conn.requestPost<SaveResult[]>(`${BASE}/composite/sobjects`, {
        allOrNone: false,
        records: [{ attributes: { type: 'Account' }, Name: 'ok' }, { attributes: { type: 'Nope__c' }, Name: 'x' }, { Name: 'untyped' }],
      });
      expect(res[0]!.success).to.equal(true);
      expect(res[1]!.errors[0]!.statusCode).to.equal('INVALID_TYPE');
      expect(res[1]!.errors[0]!.message).to.equal("sObject type 'Nope__c' is not supported.");
      expect(res[2]!.success).to.equal(false);
      expect(res[2]!.errors[0]!.statusCode).to.equal('INVALID_TYPE');
    });

    it('updates records by lower-case id, with per-record errors', async () => {
      const [a, b] = (await conn.sobject('Account').create([{ Name: 'A' }, { Name: 'B' }])) as SaveResult[];
      const results = (await conn.sobject('Account').update([
        { Id: a!.id!, Name: 'A2' },
        { Id: b!.id!, Name: null },
        { Id: 'not-an-id', Name: 'x' },
      ])) as SaveResult[];
      expect(results[0]).to.deep.equal({ id: a!.id, success: true, errors: [] });
      expect(results[1]!.success).to.equal(false);
      expect(results[1]!.errors[0]!.statusCode).to.equal('REQUIRED_FIELD_MISSING');
      expect(results[2]!.errors[0]).to.deep.equal({ statusCode: 'MALFORMED_ID', message: 'malformed id not-an-id', fields: [] });
      const byId = new Map(accounts().map((r) => [r.Id, r.Name]));
      expect(byId.get(a!.id!)).to.equal('A2');
      expect(byId.get(b!.id!)).to.equal('B');
    });

    it('accepts Id in upper case and rolls back an allOrNone update', async () => {
      const [a, b] = (await conn.sobject('Account').create([{ Name: 'A' }, { Name: 'B' }])) as SaveResult[];
      const ok = await conn.request<SaveResult[]>({
        method: 'PATCH',
        url: `${BASE}/composite/sobjects`,
        body: JSON.stringify({ records: [{ attributes: { type: 'Account' }, Id: a!.id, Name: 'A-upper' }] }),
        headers: { 'content-type': 'application/json' },
      });
      expect(ok[0]!.success).to.equal(true);
      const results = (await conn.sobject('Account').update(
        [
          { Id: a!.id!, Name: 'changed' },
          { Id: b!.id!, Name: null },
        ],
        { allOrNone: true },
      )) as SaveResult[];
      expect(results[0]!.errors[0]!.statusCode).to.equal('ALL_OR_NONE_OPERATION_ROLLED_BACK');
      expect(accounts().find((r) => r.Id === a!.id)!.Name).to.equal('A-upper');
    });

    it('upserts by external Id with created true and false', async () => {
      const [existing] = (await conn.sobject('Account').create([{ Name: 'Old', Ext__c: 'A-1' }])) as SaveResult[];
      const results = (await conn.sobject('Account').upsert(
        [
          { Ext__c: 'A-1', Name: 'Updated' },
          { Ext__c: 'B-2', Name: 'New' },
        ],
        'Ext__c',
      )) as unknown as SaveResult[];
      expect(results[0]).to.deep.equal({ id: existing!.id, success: true, errors: [], created: false });
      expect(results[1]).to.include({ success: true, created: true });
      expect(results[1]!.id).to.have.length(18);
      const byExt = new Map(accounts().map((r) => [r.Ext__c, r.Name]));
      expect(byExt.get('A-1')).to.equal('Updated');
      expect(byExt.get('B-2')).to.equal('New');
    });

    it('fails upserts whose external Id matches several records or repeats in the call', async () => {
      const made = (await conn.sobject('Account').create([{ Name: 'One', Legacy_Key__c: 'K' }, { Name: 'Two' }])) as SaveResult[];
      // Seeded in the table: DML currently treats every external Id as unique and would refuse the copy.
      const table = emulator.org('alpha').data.table('Account')!;
      table.put({ ...table.get(made[1]!.id!)!, Legacy_Key__c: 'K' });
      const results = (await conn.sobject('Account').upsert(
        [
          { Legacy_Key__c: 'K', Name: 'ambiguous' },
          { Legacy_Key__c: 'D', Name: 'first' },
          { Legacy_Key__c: 'd', Name: 'second' },
          { Legacy_Key__c: 'E', Name: 'fine' },
        ],
        'Legacy_Key__c',
      )) as unknown as SaveResult[];
      expect(results[0]!.errors[0]).to.deep.equal({
        statusCode: 'DUPLICATE_EXTERNAL_ID',
        message: `Legacy Key: more than one record found for external id field: [${made[0]!.id}, ${made[1]!.id}]`,
        fields: [],
      });
      expect(results[1]!.errors[0]!.statusCode).to.equal('DUPLICATE_VALUE');
      expect(results[2]!.errors[0]!.message).to.equal('Duplicate external id specified: d');
      expect(results[3]).to.include({ success: true, created: true });
      expect(accounts().map((r) => r.Name).sort()).to.deep.equal(['One', 'Two', 'fine']);
    });

    it('refuses an upsert on a field that is not an external Id', async () => {
      const err = await failure(() => conn.sobject('Account').upsert([{ Name: 'x', Description: 'y' }], 'Description'));
      expect(err.errorCode).to.equal('NOT_FOUND');
    });

    it('deletes by ids with per-record errors and allOrNone', async () => {
      const [a, b, c] = (await conn.sobject('Account').create([{ Name: 'A' }, { Name: 'B' }, { Name: 'C' }])) as SaveResult[];
      const results = (await conn.sobject('Account').destroy([a!.id!, b!.id!, a!.id!])) as SaveResult[];
      expect(results[0]).to.deep.equal({ id: a!.id, success: true, errors: [] });
      expect(results[1]).to.deep.equal({ id: b!.id, success: true, errors: [] });
      expect(results[2]!.errors[0]).to.deep.equal({ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] });

      const atomic = (await conn.sobject('Account').destroy([c!.id!, a!.id!], { allOrNone: true })) as SaveResult[];
      expect(atomic[0]!.errors[0]!.statusCode).to.equal('ALL_OR_NONE_OPERATION_ROLLED_BACK');
      expect(atomic[1]!.errors[0]!.statusCode).to.equal('ENTITY_IS_DELETED');
      expect(accounts().map((r) => r.Name)).to.deep.equal(['C']);
    });

    it('retrieves records with canonical field names and null for misses', async () => {
      const [a, b] = (await conn.sobject('Account').create([{ Name: 'A', Ext__c: 'x1' }, { Name: 'B' }])) as SaveResult[];
      const [contact] = (await conn.sobject('Contact').create([{ LastName: 'Ng' }])) as SaveResult[];
      const records = (await conn.sobject('Account').retrieve([a!.id!, contact!.id!, b!.id!, 'bogus'], {
        fields: ['name', 'ID', 'ext__c'],
      })) as unknown as Array<Record<string, unknown> | null>;
      expect(records).to.have.length(4);
      expect(records[0]).to.deep.equal({
        attributes: { type: 'Account', url: `${BASE}/sobjects/Account/${a!.id}` },
        Name: 'A',
        Id: a!.id,
        Ext__c: 'x1',
      });
      expect(records[1]).to.equal(null);
      expect(records[2]).to.include({ Name: 'B', Ext__c: null });
      expect(records[3]).to.equal(null);
      const err = await failure(() => conn.sobject('Account').retrieve([a!.id!], { fields: ['Nope__c'] }));
      expect(err.errorCode).to.equal('INVALID_FIELD');
    });

    it('retrieves with GET and is absent before API 42.0', async () => {
      const [a] = (await conn.sobject('Account').create([{ Name: 'A' }])) as SaveResult[];
      const got = await conn.request<Array<Record<string, unknown>>>(`${BASE}/composite/sobjects/Account?ids=${a!.id}&fields=Name`);
      expect(got[0]).to.include({ Name: 'A' });
      const err = await failure(() =>
        conn.request({
          method: 'POST',
          url: '/services/data/v41.0/composite/sobjects',
          body: JSON.stringify({ records: [{ attributes: { type: 'Account' }, Name: 'old' }] }),
          headers: { 'content-type': 'application/json' },
        }),
      );
      expect(err.errorCode).to.equal('NOT_FOUND');
      expect(accounts()).to.have.length(1);
    });

    it('refuses more than 200 records or ids with EXCEEDED_ID_LIMIT', async () => {
      const many = Array.from({ length: 201 }, (_, i) => ({ Name: `N${i}` }));
      const err = await failure(() => conn.sobject('Account').create(many));
      expect(err.errorCode).to.equal('EXCEEDED_ID_LIMIT');
      expect(err.message).to.equal('record limit reached. cannot submit more than 200 records into this call');
      expect(accounts()).to.have.length(0);
      const ok = (await conn.sobject('Account').create(many.slice(0, 200))) as SaveResult[];
      expect(ok.every((r) => r.success)).to.equal(true);
      const ids = ok.map((r) => r.id!);
      const delErr = await failure(() => conn.sobject('Account').destroy([...ids, ids[0]!]));
      expect(delErr.errorCode).to.equal('EXCEEDED_ID_LIMIT');
      expect(accounts()).to.have.length(200);
    });
  });

  describe('composite', () => {
    it('runs subrequests through the real routes with references, as one API call', async () => {
      const limits = emulator.org('alpha').limits;
      const callsBefore = limits.totalCalls;
      const res = await composite({
        compositeRequest: [
          {
            method: 'POST',
            url: `${BASE}/composite/sobjects`,
            referenceId: 'newAccounts',
            body: { allOrNone: true, records: [{ attributes: { type: 'Account' }, Name: 'Acme', Ext__c: 'acme' }] },
          },
          {
            method: 'GET',
            url: `${BASE}/query?q=SELECT Id, Name FROM Account WHERE Id = '@{newAccounts[0].id}'`,
            referenceId: 'found',
          },
          {
            method: 'PATCH',
            url: `${BASE}/composite/sobjects`,
            referenceId: 'renamed',
            body: { records: [{ attributes: { type: 'Account' }, id: '@{found.records[0].Id}', Name: '@{found.records[0].Name} Corp' }] },
          },
          {
            method: 'POST',
            url: `${BASE}/composite/sobjects/Account`,
            referenceId: 'fetched',
            body: { ids: ['@{newAccounts[0].id}'], fields: ['Name'] },
          },
        ],
      });
      const [created, found, renamed, fetched] = res.compositeResponse;
      expect(created).to.include({ httpStatusCode: 200, referenceId: 'newAccounts' });
      const accountId = (created!.body as SaveResult[])[0]!.id!;
      expect(found!.httpStatusCode).to.equal(200);
      expect((found!.body as { totalSize: number }).totalSize).to.equal(1);
      expect(found!.httpHeaders).to.deep.equal({});
      expect(renamed!.body).to.deep.equal([{ id: accountId, success: true, errors: [] }]);
      expect((fetched!.body as Array<{ Name: string }>)[0]!.Name).to.equal('Acme Corp');
      expect(accounts()[0]!.Name).to.equal('Acme Corp');
      // Only the outer request is an API call.
      expect(limits.totalCalls - callsBefore).to.equal(1);
      expect(limits.counts().byEndpoint['POST /composite']).to.equal(1);
      expect(limits.counts().byEndpoint['GET /query']).to.equal(undefined);
    });

    it('creates an Account and a Contact that refers to it through /sobjects', async () => {
      const res = await composite({
        compositeRequest: [
          { method: 'POST', url: `${BASE}/sobjects/Account`, referenceId: 'refAccount', body: { Name: 'Sample Account' } },
          {
            method: 'POST',
            url: `${BASE}/sobjects/Contact`,
            referenceId: 'refContact',
            body: { LastName: 'Sample Contact', AccountId: '@{refAccount.id}' },
          },
          { method: 'GET', url: `${BASE}/sobjects/Contact/@{refContact.id}?fields=AccountId,LastName`, referenceId: 'readBack' },
        ],
      });
      const [acc, con, read] = res.compositeResponse;
      expect(acc!.httpStatusCode).to.equal(201);
      const accountId = (acc!.body as SaveResult).id!;
      expect(acc!.httpHeaders).to.deep.equal({ Location: `${BASE}/sobjects/Account/${accountId}` });
      expect(con!.httpStatusCode).to.equal(201);
      expect(read!.httpStatusCode).to.equal(200);
      expect(read!.body).to.include({ AccountId: accountId, LastName: 'Sample Contact' });
      expect(contacts()[0]!.AccountId).to.equal(accountId);
    });

    it('halts only the subrequests that depend on a failed one', async () => {
      const res = await composite({
        allOrNone: false,
        collateSubrequests: true,
        compositeRequest: [
          { method: 'POST', url: `${BASE}/composite/sobjects`, referenceId: 'bad', body: { records: [{ attributes: { type: 'Nope__c' } }] } },
          { method: 'GET', url: `${BASE}/query?q=SELECT Id FROM Account WHERE Name = 'none'`, referenceId: 'empty' },
          {
            method: 'PATCH',
            url: `${BASE}/composite/sobjects`,
            referenceId: 'dependent',
            body: { records: [{ attributes: { type: 'Account' }, id: '@{empty.records[0].Id}', Name: 'x' }] },
          },
          { method: 'GET', url: `${BASE}/nothing/here`, referenceId: 'missing' },
          { method: 'POST', url: `${BASE}/composite/sobjects`, referenceId: 'fine', body: { records: [{ attributes: { type: 'Account' }, Name: 'Kept' }] } },
          { method: 'GET', url: `${BASE}/query?q=SELECT Id FROM Account WHERE Id = '@{missing.id}'`, referenceId: 'afterMissing' },
        ],
      });
      const byRef = new Map(res.compositeResponse.map((r) => [r.referenceId, r]));
      expect(byRef.get('bad')!.httpStatusCode).to.equal(200);
      expect(byRef.get('empty')!.httpStatusCode).to.equal(200);
      expect(byRef.get('dependent')).to.deep.equal({
        body: [{ errorCode: 'PROCESSING_HALTED', message: 'Invalid reference specified. No value for empty.records[0].Id found in empty' }],
        httpHeaders: {},
        httpStatusCode: 400,
        referenceId: 'dependent',
      });
      expect(byRef.get('missing')!.httpStatusCode).to.equal(404);
      expect(byRef.get('afterMissing')!.body).to.deep.equal([
        { errorCode: 'PROCESSING_HALTED', message: 'Invalid reference specified. No value for missing.id found in missing' },
      ]);
      expect(accounts().map((r) => r.Name)).to.deep.equal(['Kept']);
    });

    it('rolls back every subrequest with allOrNone when one fails', async () => {
      const res = await composite({
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `${BASE}/sobjects/Account`, referenceId: 'acc', body: { Name: 'Doomed' } },
          { method: 'POST', url: `${BASE}/composite/sobjects`, referenceId: 'more', body: { records: [{ attributes: { type: 'Account' }, Name: 'Doomed too' }] } },
          { method: 'POST', url: `${BASE}/sobjects/Contact`, referenceId: 'con', body: { AccountId: '@{acc.id}' } },
          { method: 'GET', url: `${BASE}/query?q=SELECT Id FROM Account`, referenceId: 'later' },
        ],
      });
      const halted = [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' }];
      const [acc, more, con, later] = res.compositeResponse;
      expect(acc).to.deep.equal({ body: halted, httpHeaders: {}, httpStatusCode: 400, referenceId: 'acc' });
      expect(more!.body).to.deep.equal(halted);
      expect(con!.httpStatusCode).to.equal(400);
      expect(con!.body).to.deep.equal([{ message: 'Required fields are missing: [LastName]', errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] }]);
      expect(later).to.deep.equal({ body: halted, httpHeaders: {}, httpStatusCode: 400, referenceId: 'later' });
      expect(accounts()).to.have.length(0);
      expect(contacts()).to.have.length(0);
      expect(commits).to.have.length(0);
    });

    it('commits an allOrNone composite as one transaction', async () => {
      const res = await composite({
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `${BASE}/sobjects/Account`, referenceId: 'acc', body: { Name: 'Together' } },
          { method: 'POST', url: `${BASE}/sobjects/Contact`, referenceId: 'con', body: { LastName: 'Lee', AccountId: '@{acc.id}' } },
          { method: 'GET', url: `${BASE}/query?q=SELECT Name FROM Account WHERE Id = '@{acc.id}'`, referenceId: 'seen' },
        ],
      });
      expect(res.compositeResponse.map((r) => r.httpStatusCode)).to.deep.equal([201, 201, 200]);
      // Later subrequests see the uncommitted writes of earlier ones.
      expect((res.compositeResponse[2]!.body as { totalSize: number }).totalSize).to.equal(1);
      expect(commits).to.have.length(1);
      expect(commits[0]!.changes.map((c) => c.object)).to.deep.equal(['Account', 'Contact']);
    });

    it('refuses more than 25 subrequests', async () => {
      const compositeRequest = Array.from({ length: 26 }, (_, i) => ({ method: 'GET', url: `${BASE}/limits`, referenceId: `r${i}` }));
      const err = await failure(() => composite({ compositeRequest }));
      expect(err.errorCode).to.equal('LIMIT_EXCEEDED');
    });
  });

  describe('sObject Tree', () => {
    it('creates nested records level by level and returns their ids', async () => {
      const res = await conn.requestPost<{ hasErrors: boolean; results: Array<{ referenceId: string; id: string }> }>(
        `${BASE}/composite/tree/Account`,
        {
          records: [
            {
              attributes: { type: 'Account', referenceId: 'ref1' },
              Name: 'Tree One',
              Contacts: {
                records: [
                  { attributes: { type: 'Contact', referenceId: 'ref2' }, LastName: 'Smith' },
                  { attributes: { type: 'Contact', referenceId: 'ref3' }, LastName: 'Evans' },
                ],
              },
            },
            { attributes: { type: 'Account', referenceId: 'ref4' }, Name: 'Tree Two' },
          ],
        },
      );
      expect(res.hasErrors).to.equal(false);
      expect(res.results.map((r) => r.referenceId)).to.deep.equal(['ref1', 'ref4', 'ref2', 'ref3']);
      expect(res.results.map((r) => r.id.slice(0, 3))).to.deep.equal(['001', '001', '003', '003']);
      const ref1 = res.results[0]!.id;
      expect(contacts().map((c) => c.AccountId)).to.deep.equal([ref1, ref1]);
      expect(commits).to.have.length(1);
    });

    it('creates nothing when one record fails and names only that record', async () => {
      const err = await failure(() =>
        conn.requestPost(`${BASE}/composite/tree/Account`, {
          records: [
            {
              attributes: { type: 'Account', referenceId: 'ok1' },
              Name: 'Fine',
              Contacts: { records: [{ attributes: { type: 'Contact', referenceId: 'badContact' }, FirstName: 'No last name' }] },
            },
          ],
        }),
      );
      const body = JSON.parse(err.message) as unknown;
      expect(body).to.deep.equal({
        hasErrors: true,
        results: [
          {
            referenceId: 'badContact',
            errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] }],
          },
        ],
      });
      expect(accounts()).to.have.length(0);
      expect(contacts()).to.have.length(0);
    });

    it('rejects duplicate reference ids with one result per instance', async () => {
      const err = await failure(() =>
        conn.requestPost(`${BASE}/composite/tree/Account`, {
          records: [
            { attributes: { type: 'Account', referenceId: 'dup' }, Name: 'A' },
            { attributes: { type: 'Account', referenceId: 'dup' }, Name: 'B' },
          ],
        }),
      );
      const body = JSON.parse(err.message) as { hasErrors: boolean; results: Array<{ referenceId: string }> };
      expect(body.hasErrors).to.equal(true);
      expect(body.results.map((r) => r.referenceId)).to.deep.equal(['dup', 'dup']);
      expect(accounts()).to.have.length(0);
    });
  });
});
