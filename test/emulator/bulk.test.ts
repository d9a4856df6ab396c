import { expect } from 'chai';
import { Connection } from 'jsforce';
import type { Emulator, Org } from '../../emulator/index.js';
import { bulkService, type BulkService } from '../../emulator/bulk/service.js';
import type { CommittedTransaction, WriteContext } from '../../emulator/store/types.js';
import { API_VERSION, connectDirect, EXT_FIELD, startTestEmulator, testOrgSpec } from '../support/emulator.js';
import { failure } from '../support/failure.js';

const ACTIVE = {
  name: 'Active__c', type: 'boolean' as const, label: 'Active', nillable: false, createable: true, updateable: true,
  defaultedOnCreate: true, defaultValue: false, custom: true,
};

const BASE = `/services/data/v${API_VERSION}`;

interface JobInfo {
  id: string;
  state: string;
  numberRecordsProcessed: number;
  numberRecordsFailed?: number;
  errorMessage?: string;
  [k: string]: unknown;
}

/** jsforce types result rows by the sf__ columns only; every column is a string. */
function rows(results: unknown): Array<Record<string, string>> {
  return results as Array<Record<string, string>>;
}

/** Polls a job through jsforce's plain request path until `done` says so (no wall-clock assertions). */
async function waitFor(conn: Connection, path: string, done: (info: JobInfo) => boolean): Promise<JobInfo> {
  for (let i = 0; i < 500; i++) {
    const info = await conn.request<JobInfo>(path);
    if (done(info)) return info;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`job at ${path} never got there`);
}

/**
 * A GET through `conn.request` that also hands back the response headers: jsforce keeps them
 * from callers, so the request goes through a transport that notes them on the way.
 */
async function getWithHeaders<T>(conn: Connection, url: string): Promise<{ body: T; headers: Record<string, string> }> {
  let headers: Record<string, string> = {};
  const base = conn._transport;
  const transport = {
    httpRequest(req: Parameters<typeof base.httpRequest>[0], opts?: Parameters<typeof base.httpRequest>[1]) {
      const p = base.httpRequest(req, opts);
      void p.then(
        (res) => (headers = res.headers as Record<string, string>),
        () => undefined,
      );
      return p;
    },
  };
  const body = await conn.request<T>({ method: 'GET', url, headers: { Accept: 'text/csv' } }, { transport } as object);
  return { body, headers };
}

/** Raw HTTP for checks of exact bytes and status codes that jsforce hides. */
async function raw(org: Org, conn: Connection, method: string, path: string, body?: string, type = 'application/json') {
  const res = await fetch(`${org.instanceUrl}${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${conn.accessToken}`, ...(body !== undefined ? { 'Content-Type': type } : {}) },
    body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function seedAccounts(org: Org, n: number, userId: string): string[] {
  const ctx: WriteContext = { userId, api: 'rest', apiVersion: API_VERSION };
  return org.transaction(ctx, (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(tx.insert('Account', { Name: `Account ${i}`, Ext__c: `A-${i}` }));
    return ids;
  });
}

describe('emulator Bulk API 2.0', () => {
  let emulator: Emulator;
  let org: Org;
  let conn: Connection;
  let service: BulkService;
  let commits: CommittedTransaction[];
  let stopListening: () => void;
  let userId: string;

  before(async () => {
    emulator = await startTestEmulator([
      testOrgSpec('alpha', { schema: { fields: { Account: [EXT_FIELD, ACTIVE], Contact: [EXT_FIELD], User: [EXT_FIELD] } } }),
    ]);
    org = emulator.org('alpha');
    service = bulkService(emulator);
  });
  after(() => emulator.stop());
  beforeEach(() => {
    service.resume();
    service.settings.ingestBatchSize = 10_000;
    org.reset();
    commits = [];
    stopListening = org.addCommitListener((tx) => commits.push(tx));
    conn = connectDirect(emulator, 'alpha', { callOptions: { client: 'SyncApp' } });
    userId = [...org.users.values()].find((u) => u.integration)!.id;
  });
  afterEach(() => stopListening());

  describe('ingest', () => {
    it('inserts records and reports each failure with its sf__Error text', async () => {
      const res = await conn.bulk2.loadAndWaitForResults({
        object: 'Account',
        operation: 'insert',
        pollInterval: 200,
        input: [
          { Name: 'Acme', Ext__c: 'E1', Active__c: true },
          { Name: null, Ext__c: 'E2', Active__c: false },
          { Name: 'Copy', Ext__c: 'E1', Active__c: false },
        ],
      });
      expect(res.successfulResults).to.have.length(1);
      const ok = res.successfulResults[0]!;
      expect(ok.sf__Created).to.equal('true');
      expect(ok.sf__Id).to.match(/^001[A-Za-z0-9]{15}$/);
      expect(ok).to.include({ Name: 'Acme', Ext__c: 'E1', Active__c: 'true' });
      expect(rows(res.failedResults).map((r) => [r.sf__Id, r.sf__Error, r.Ext__c, r.Name])).to.deep.equal([
        ['', 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --', 'E2', '#N/A'],
        ['', `DUPLICATE_VALUE:duplicate value found: Ext__c duplicates value on record with id: ${ok.sf__Id}:Ext__c --`, 'E1', 'Copy'],
      ]);
      expect(res.unprocessedRecords).to.deep.equal([]);
      const stored = org.snapshot('Account');
      expect(stored).to.have.length(1);
      expect(stored[0]).to.include({ Id: ok.sf__Id, Name: 'Acme', Active__c: true });
      // Writes carry the bulk origin and the Sforce-Call-Options client of the job's creator.
      const bulkCommits = commits.filter((c) => c.context.api === 'bulkapi');
      expect(bulkCommits).to.have.length(1);
      expect(bulkCommits[0]!.context).to.include({ client: 'SyncApp', userId });
      expect(bulkCommits[0]!.changes.map((c) => c.changeType)).to.deep.equal(['CREATE']);
    });

    it('reports the real JobInfo fields through the lifecycle', async () => {
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      const opened = await job.open();
      expect(opened).to.include({ state: 'Open', object: 'Account', operation: 'insert', contentType: 'CSV', lineEnding: 'LF', columnDelimiter: 'COMMA', concurrencyMode: 'Parallel', createdById: userId });
      expect(opened.contentUrl).to.equal(`services/data/v${API_VERSION}/jobs/ingest/${opened.id}/batches`);
      expect(opened.id).to.match(/^750/);
      expect(opened.createdDate).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
      await job.uploadData('Name\nOne\nTwo\n,\n');
      await job.close();
      await job.poll(50, 30_000);
      const info = await job.check();
      expect(info).to.include({ state: 'JobComplete', jobType: 'V2Ingest', numberRecordsProcessed: 3, numberRecordsFailed: 1, retries: 0, apexProcessingTime: 0, apiVersion: Number(API_VERSION) });
      expect(info.totalProcessingTime).to.be.a('number');
      expect(info.apiActiveProcessingTime).to.be.a('number');
      expect(info).not.to.have.property('errorMessage');
      // Real orgs write the version as a decimal number.
      const text = (await raw(org, conn, 'GET', `/jobs/ingest/${info.id}`)).text;
      expect(text).to.contain(`"apiVersion":${API_VERSION}`);
      const list = await conn.request<{ done: boolean; records: JobInfo[]; nextRecordsUrl: null }>('/jobs/ingest');
      expect(list.done).to.equal(true);
      expect(list.nextRecordsUrl).to.equal(null);
      expect(list.records.map((r) => r.id)).to.deep.equal([info.id]);
      expect(list.records[0]).to.include({ jobType: 'V2Ingest', state: 'JobComplete' });
    });

    it('writes result files in the exact CSV shape', async () => {
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await job.open();
      await job.uploadData('Name,Description\n"Comma, Inc.",plain\nQuote,"say ""hi"""\n#N/A,x\n');
      await job.close();
      await job.poll(50, 30_000);
      const ok = (await raw(org, conn, 'GET', `/jobs/ingest/${job.id}/successfulResults`)).text.split('\n');
      expect(ok[0]).to.equal('"sf__Id","sf__Created",Name,Description');
      expect(ok[1]).to.match(/^"001[A-Za-z0-9]{15}","true","Comma, Inc\.",plain$/);
      expect(ok[2]).to.match(/^"001[A-Za-z0-9]{15}","true",Quote,"say ""hi"""$/);
      const bad = await raw(org, conn, 'GET', `/jobs/ingest/${job.id}/failedResults`);
      expect(bad.headers.get('content-type')).to.match(/^text\/csv/);
      expect(bad.text).to.equal('"sf__Id","sf__Error",Name,Description\n"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",#N/A,x\n');
      expect((await raw(org, conn, 'GET', `/jobs/ingest/${job.id}/unprocessedrecords`)).text).to.equal('Name,Description\n');
    });

    it('upserts by external Id, creating and updating (sf__Created true/false)', async () => {
      const existing = await conn.sobject('Account').create({ Name: 'Old', Ext__c: 'E1' });
      const res = await conn.bulk2.loadAndWaitForResults({
        object: 'Account',
        operation: 'upsert',
        externalIdFieldName: 'Ext__c',
        pollInterval: 200,
        // jsforce adds an empty Id column for these records.
        input: [
          { Ext__c: 'E1', Name: 'Renamed' },
          { Ext__c: 'E2', Name: 'Fresh' },
        ],
      });
      expect(res.failedResults).to.deep.equal([]);
      expect(rows(res.successfulResults).map((r) => [r.Ext__c, r.sf__Created])).to.deep.equal([
        ['E1', 'false'],
        ['E2', 'true'],
      ]);
      expect(res.successfulResults[0]!.sf__Id).to.equal(existing.id);
      const byExt = Object.fromEntries(org.snapshot('Account').map((a) => [a.Ext__c, a.Name]));
      expect(byExt).to.deep.equal({ E1: 'Renamed', E2: 'Fresh' });
    });

    it('upserts contacts with a relationship column resolved through the parent external Id', async () => {
      const acct = await conn.sobject('Account').create({ Name: 'Parent', Ext__c: 'A1' });
      const res = await conn.bulk2.loadAndWaitForResults({
        object: 'Contact',
        operation: 'upsert',
        externalIdFieldName: 'Ext__c',
        pollInterval: 200,
        input: 'Ext__c,LastName,Account.Ext__c\nC1,Smith,A1\nC2,Jones,NOPE\nC3,Orphan,\n',
      });
      expect(rows(res.successfulResults).map((r) => r.Ext__c)).to.deep.equal(['C1', 'C3']);
      expect(res.failedResults).to.have.length(1);
      expect(res.failedResults[0]!.sf__Error).to.equal(
        'INVALID_FIELD:Foreign key external ID: nope not found for field Ext__c in entity Account:AccountId --',
      );
      const contacts = Object.fromEntries(org.snapshot('Contact').map((c) => [c.Ext__c, c.AccountId]));
      expect(contacts).to.deep.equal({ C1: acct.id, C3: null });
    });

    it('sets a polymorphic lookup through Type:Relationship.Field and refuses a type on a plain lookup', async () => {
      const users = org.data.table('User')!;
      const user = users.get(userId)!;
      users.put({ ...user, Ext__c: 'U1' });
      for (const header of ['User:Owner.Ext__c', 'Owner:User.Ext__c']) {
        const res = await conn.bulk2.loadAndWaitForResults({
          object: 'Case',
          operation: 'insert',
          pollInterval: 200,
          input: `Subject,${header}\nRouted,U1\n`,
        });
        expect(res.failedResults).to.deep.equal([]);
        expect(org.data.table('Case')!.get(res.successfulResults[0]!.sf__Id)!.OwnerId).to.equal(userId);
      }
      const err = await failure(() =>
        conn.bulk2.loadAndWaitForResults({
          object: 'Contact',
          operation: 'insert',
          pollInterval: 200,
          input: 'LastName,Account:Account.Ext__c\nSmith,A1\n',
        }),
      );
      expect(err.message).to.equal('Ingest job failed to complete due to: InvalidBatch : type is not needed for non polymorphic foreign key references: Account');
    });

    it('updates with #N/A nulling a field while an empty value leaves it alone', async () => {
      const a = await conn.sobject('Account').create({ Name: 'Keep', Phone: '555-0100', Website: 'https://acme.test' });
      const res = await conn.bulk2.loadAndWaitForResults({
        object: 'Account',
        operation: 'update',
        pollInterval: 200,
        input: [{ Id: a.id, Phone: null, Website: '' }],
      });
      expect(res.successfulResults.map((r) => [r.sf__Id, r.sf__Created])).to.deep.equal([[a.id, 'false']]);
      const stored = org.data.table('Account')!.get(a.id!)!;
      expect(stored.Phone).to.equal(null);
      expect(stored.Website).to.equal('https://acme.test');
      const missing = await conn.bulk2.loadAndWaitForResults({
        object: 'Account',
        operation: 'update',
        pollInterval: 200,
        input: 'Id,Name\n,NoId\n',
      });
      expect(missing.failedResults[0]!.sf__Error).to.equal('MISSING_ARGUMENT:Id not specified in an update call:--');
    });

    it('deletes and hard-deletes: queryAll sees the deleted records, not the hard-deleted ones', async () => {
      const ids = seedAccounts(org, 4, userId);
      const del = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'delete', pollInterval: 200, input: ids.slice(0, 2).map((Id) => ({ Id })) });
      expect(del.successfulResults.map((r) => r.sf__Id)).to.deep.equal(ids.slice(0, 2));
      const hard = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'hardDelete', pollInterval: 200, input: [{ Id: ids[2]! }] });
      expect(hard.successfulResults.map((r) => r.sf__Id)).to.deep.equal([ids[2]]);
      const again = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'delete', pollInterval: 200, input: [{ Id: ids[0]! }] });
      expect(again.failedResults[0]!.sf__Error).to.equal('ENTITY_IS_DELETED:entity is deleted:--');

      const all = await conn.request<{ records: Array<{ Id: string; IsDeleted: boolean }> }>(
        `/queryAll?q=${encodeURIComponent('SELECT Id, IsDeleted FROM Account ORDER BY Name')}`,
      );
      expect(all.records.map((r) => [r.Id, r.IsDeleted])).to.deep.equal([
        [ids[0], true],
        [ids[1], true],
        [ids[3], false],
      ]);
      const viaBulk: Array<Record<string, string>> = [];
      for await (const r of await conn.bulk2.query('SELECT Id FROM Account', { scanAll: true, pollInterval: 50 })) viaBulk.push(r as Record<string, string>);
      expect(viaBulk.map((r) => r.Id).sort()).to.deep.equal([ids[0], ids[1], ids[3]].sort());
    });

    it('fails the job on an unknown column, naming only the first one', async () => {
      const err = await failure(() =>
        conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', pollInterval: 200, input: [{ Name: 'X', Foo__c: 'a', Bar__c: 'b' }] }),
      );
      expect(err.message).to.equal('Ingest job failed to complete due to: InvalidBatch : Field name not found : Foo__c');
      expect(org.snapshot('Account')).to.deep.equal([]);
    });

    it('fails the job on a bad header, an unreadable CSV or an empty upload', async () => {
      const cases: Array<[string, string]> = [
        ['Name,name\nA,B\n', 'InvalidBatch : Duplicate field name: name'],
        ['Name,,Phone\nA,,1\n', 'InvalidBatch : Field name not found : '],
        ['Name,Phone\nA "quoted",1\n', 'InvalidBatch : Failed to parse CSV. Found unescaped quote. A value with quote should be within a quote'],
        ['Name\n', 'InvalidBatch : Unable to find any data to create batch'],
      ];
      for (const [input, message] of cases) {
        const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
        await job.open();
        await job.uploadData(input);
        await job.close();
        const info = await waitFor(conn, `/jobs/ingest/${job.id}`, (i) => i.state !== 'UploadComplete' && i.state !== 'InProgress');
        expect([info.state, info.errorMessage]).to.deep.equal(['Failed', message]);
      }
    });

    it('honours columnDelimiter and lineEnding in uploads and result files', async () => {
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert', columnDelimiter: 'PIPE', lineEnding: 'CRLF' });
      await job.open();
      await job.uploadData('Name|Description\r\nPiped, Inc.|a|b\r\n');
      await job.close();
      await job.poll(50, 30_000);
      const text = (await raw(org, conn, 'GET', `/jobs/ingest/${job.id}/successfulResults`)).text;
      expect(text).to.match(/^"sf__Id"\|"sf__Created"\|Name\|Description\r\n"001[A-Za-z0-9]{15}"\|"true"\|Piped, Inc\.\|a\r\n$/);
      expect(org.snapshot('Account')[0]).to.include({ Name: 'Piped, Inc.', Description: 'a' });
    });

    it('refuses bad job definitions with real errors', async () => {
      const unknown = await failure(() => conn.bulk2.createJob({ object: 'Nope__c', operation: 'insert' }).open());
      expect([unknown.errorCode, unknown.message]).to.deep.equal(['INVALIDENTITY', "sObject type 'Nope__c' is not supported."]);
      const noExt = await failure(() => conn.bulk2.createJob({ object: 'Account', operation: 'upsert' }).open());
      expect([noExt.errorCode, noExt.message]).to.deep.equal(['INVALIDJOB', 'External ID was blank for Account. An External ID must be specified for upsert.']);
      const notExt = await failure(() => conn.bulk2.createJob({ object: 'Account', operation: 'upsert', externalIdFieldName: 'Name' }).open());
      expect(notExt.errorCode).to.equal('INVALIDJOB');
    });

    it('accepts one upload per job, as real orgs do', async () => {
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await job.open();
      expect((await raw(org, conn, 'PUT', `/jobs/ingest/${job.id}/batches`, 'Name\nA\n', 'text/csv')).status).to.equal(201);
      expect((await raw(org, conn, 'PUT', `/jobs/ingest/${job.id}/batches`, 'Name\nB\n', 'text/csv')).status).to.equal(201);
      const err = await failure(() => job.close());
      expect(err.errorCode).to.equal('INVALIDJOB');
      expect(err.message).to.contain(`Found multipe contents for job: <${job.id!.slice(0, 15)}>`);
    });

    it('refuses an upload over the size limit and one with another content type', async () => {
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await job.open();
      const limit = service.settings.maxUploadBytes;
      service.settings.maxUploadBytes = 64;
      try {
        const big = await raw(org, conn, 'PUT', `/jobs/ingest/${job.id}/batches`, `Name\n${'x'.repeat(100)}\n`, 'text/csv');
        expect(big.status).to.equal(413);
      } finally {
        service.settings.maxUploadBytes = limit;
      }
      const json = await raw(org, conn, 'PUT', `/jobs/ingest/${job.id}/batches`, '{}', 'application/json');
      expect(json.status).to.equal(415);
      expect((await job.check()).state).to.equal('Open');
    });

    it('aborts a queued job and a running one, keeping their unprocessed records', async () => {
      service.pause();
      const queued = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await queued.open();
      await queued.uploadData('Name\nA\nB\n');
      await queued.close();
      expect((await queued.check()).state).to.equal('UploadComplete');
      const del = await raw(org, conn, 'DELETE', `/jobs/ingest/${queued.id}`);
      expect(del.status).to.equal(204);
      expect((await raw(org, conn, 'GET', `/jobs/ingest/${queued.id}`)).status).to.equal(404);

      service.settings.ingestBatchSize = 2;
      const running = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await running.open();
      await running.uploadData('Name\nR1\nR2\nR3\nR4\nR5\n');
      await running.close();
      // Let exactly one batch through, then hold the job between batches.
      service.resume();
      service.pause();
      const mid = await waitFor(conn, `/jobs/ingest/${running.id}`, (i) => i.numberRecordsProcessed === 2);
      expect(mid.state).to.equal('InProgress');
      expect((await raw(org, conn, 'DELETE', `/jobs/ingest/${running.id}`)).status).to.equal(400);
      await running.abort();
      service.resume();
      const info = await running.check();
      expect([info.state, info.numberRecordsProcessed]).to.deep.equal(['Aborted', 2]);
      expect(await running.getUnprocessedRecords()).to.deep.equal([{ Name: 'R3' }, { Name: 'R4' }, { Name: 'R5' }]);
      expect(org.snapshot('Account').map((a) => a.Name).sort()).to.deep.equal(['R1', 'R2']);
      const err = await failure(() => running.abort());
      expect(err.errorCode).to.equal('INVALIDJOBSTATE');
    });

    it('drops jobs and stops their work when the org is reset', async () => {
      service.pause();
      const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
      await job.open();
      await job.uploadData('Name\nA\n');
      await job.close();
      org.reset();
      service.resume();
      conn = connectDirect(emulator, 'alpha');
      expect((await raw(org, conn, 'GET', `/jobs/ingest/${job.id}`)).status).to.equal(404);
      await new Promise((r) => setTimeout(r, 50));
      expect(org.snapshot('Account')).to.deep.equal([]);
    });

    it('processes big uploads in internal batches counted as DailyBulkApiBatches', async () => {
      service.settings.ingestBatchSize = 1000;
      const lines = ['Name,Ext__c'];
      for (let i = 0; i < 2500; i++) lines.push(`Bulk ${i},B-${i}`);
      const res = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', pollInterval: 50, input: lines.join('\n') + '\n' });
      expect(res.successfulResults).to.have.length(2500);
      expect(org.limits.usedOf('DailyBulkApiBatches')).to.equal(3);
      expect(commits.filter((c) => c.context.api === 'bulkapi').map((c) => c.changes.length)).to.deep.equal([1000, 1000, 500]);
    });
  });

  describe('query jobs', () => {
    it('returns a large result through unmodified bulk2.query in one page', async () => {
      const ids = seedAccounts(org, 25_000, userId);
      const stream = await conn.bulk2.query('SELECT Id, Name, Ext__c FROM Account', { pollInterval: 50 });
      const rows: Array<Record<string, string>> = [];
      for await (const r of stream) rows.push(r as Record<string, string>);
      expect(rows).to.have.length(25_000);
      expect(Object.keys(rows[0]!)).to.deep.equal(['Id', 'Name', 'Ext__c']);
      expect(new Set(rows.map((r) => r.Id))).to.deep.equal(new Set(ids));
    });

    it('pages results by locator and maxRecords until the locator is null', async () => {
      seedAccounts(org, 25_000, userId);
      const created = await conn.requestPost<JobInfo>('/jobs/query', { operation: 'query', query: 'SELECT Id, Name FROM Account' });
      expect(created).to.include({ state: 'UploadComplete', object: 'Account', operation: 'query', contentType: 'CSV' });
      await waitFor(conn, `/jobs/query/${created.id}`, (i) => i.state === 'JobComplete');
      const seen = new Set<string>();
      const pages: Array<[number, string]> = [];
      let locator = '';
      do {
        const url = `/jobs/query/${created.id}/results?maxRecords=10000${locator ? `&locator=${locator}` : ''}`;
        const { body, headers } = await getWithHeaders<Array<{ Id: string }>>(conn, url);
        for (const r of body) seen.add(r.Id);
        locator = headers['sforce-locator']!;
        pages.push([Number(headers['sforce-numberofrecords']), locator]);
      } while (locator !== 'null');
      expect(pages.map((p) => p[0])).to.deep.equal([10_000, 10_000, 5_000]);
      expect(pages[2]![1]).to.equal('null');
      expect(seen.size).to.equal(25_000);
      const info = await conn.request<JobInfo>(`/jobs/query/${created.id}`);
      expect(info).to.include({ state: 'JobComplete', jobType: 'V2Query', numberRecordsProcessed: 25_000, retries: 0, isPkChunkingSupported: true });
      const bad = await failure(() => conn.request(`/jobs/query/${created.id}/results?locator=nonsense`));
      expect(bad.errorCode).to.equal('INVALIDLOCATOR');
    });

    it('writes quoted values, empty nulls, relationship columns and Z datetimes in the job dialect', async () => {
      const parent = await conn.sobject('Account').create({ Name: 'Parent "P"' });
      await conn.sobject('Contact').create({ LastName: 'Child', AccountId: parent.id });
      await conn.sobject('Contact').create({ LastName: 'Loner' });
      const created = await conn.requestPost<JobInfo>('/jobs/query', {
        operation: 'query',
        query: 'SELECT LastName, Account.Name, CreatedDate FROM Contact ORDER BY LastName',
        columnDelimiter: 'TAB',
        lineEnding: 'CRLF',
      });
      await waitFor(conn, `/jobs/query/${created.id}`, (i) => i.state === 'JobComplete');
      const res = await raw(org, conn, 'GET', `/jobs/query/${created.id}/results`);
      expect(res.headers.get('sforce-locator')).to.equal('null');
      expect(res.headers.get('sforce-numberofrecords')).to.equal('2');
      const lines = res.text.split('\r\n');
      expect(lines[0]).to.equal('"LastName"\t"Account.Name"\t"CreatedDate"');
      expect(lines[1]).to.match(/^"Child"\t"Parent ""P"""\t"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
      expect(lines[2]).to.match(/^"Loner"\t\t"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
      expect(lines[3]).to.equal('');
    });

    it('answers an empty result with the header row and a null locator', async () => {
      const created = await conn.requestPost<JobInfo>('/jobs/query', { operation: 'query', query: 'SELECT Id, Name FROM Account' });
      await waitFor(conn, `/jobs/query/${created.id}`, (i) => i.state === 'JobComplete');
      const res = await raw(org, conn, 'GET', `/jobs/query/${created.id}/results`);
      expect([res.status, res.text, res.headers.get('sforce-locator'), res.headers.get('sforce-numberofrecords')]).to.deep.equal([200, '"Id","Name"\n', 'null', '0']);
      const viaJsforce: unknown[] = [];
      for await (const r of await conn.bulk2.query('SELECT Id FROM Account', { pollInterval: 50 })) viaJsforce.push(r);
      expect(viaJsforce).to.deep.equal([]);
    });

    it('answers 412 before the job completes, and aborts', async () => {
      service.pause();
      const created = await conn.requestPost<JobInfo>('/jobs/query', { operation: 'query', query: 'SELECT Id FROM Account' });
      const early = await raw(org, conn, 'GET', `/jobs/query/${created.id}/results`);
      expect(early.status).to.equal(412);
      expect(JSON.parse(early.text)[0].errorCode).to.equal('JOB_NOT_COMPLETE');
      expect((await raw(org, conn, 'DELETE', `/jobs/query/${created.id}`)).status).to.equal(400);
      const aborted = await conn.request<JobInfo>({ method: 'PATCH', url: `/jobs/query/${created.id}`, body: JSON.stringify({ state: 'Aborted' }), headers: { 'Content-Type': 'application/json' } });
      expect(aborted.state).to.equal('Aborted');
      service.resume();
      expect((await conn.request<JobInfo>(`/jobs/query/${created.id}`)).state).to.equal('Aborted');
      expect((await raw(org, conn, 'DELETE', `/jobs/query/${created.id}`)).status).to.equal(204);
      expect((await raw(org, conn, 'GET', `/jobs/query/${created.id}`)).status).to.equal(404);
    });

    it('refuses unsupported SOQL at creation and reports SOQL errors', async () => {
      const cases: Array<[string, string, RegExp]> = [
        ['SELECT Industry FROM Account GROUP BY Industry', 'API_ERROR', /GROUP BY/],
        ['SELECT COUNT() FROM Account', 'API_ERROR', /Aggregate/],
        ['SELECT Id FROM Account LIMIT 5 OFFSET 2', 'API_ERROR', /OFFSET/],
        ['SELECT Id, (SELECT Id FROM Contacts) FROM Account', 'API_ERROR', /^Aggregate Relationships not supported in Bulk V2 Query with CSV content type$/],
        ['SELECT BillingAddress FROM Account', 'API_ERROR', /^Selecting compound data not supported in Bulk Query$/],
        ['SELECT Nope__c FROM Account', 'INVALID_FIELD', /No such column 'Nope__c' on entity 'Account'/],
        ['SELECT Id FROM', 'MALFORMED_QUERY', /unexpected token/],
      ];
      for (const [soql, code, message] of cases) {
        const err = await failure(() => conn.bulk2.query(soql));
        expect([soql, err.errorCode]).to.deep.equal([soql, code]);
        expect(err.message).to.match(message);
      }
      expect(org.limits.usedOf('DailyBulkV2QueryJobs')).to.equal(0);
    });
  });

  describe('sessions and accounting', () => {
    it('puts INVALID_SESSION_ID in Bulk 401 bodies, so jsforce refreshes and retries', async () => {
      const res = await fetch(`${org.instanceUrl}${BASE}/jobs/ingest`, { method: 'POST', headers: { Authorization: 'Bearer stale', 'Content-Type': 'application/json' }, body: '{}' });
      expect(res.status).to.equal(401);
      expect(await res.text()).to.contain('INVALID_SESSION_ID');
      const good = connectDirect(emulator, 'alpha').accessToken!;
      let refreshes = 0;
      const stale = new Connection({
        instanceUrl: org.instanceUrl,
        accessToken: 'stale',
        version: API_VERSION,
        refreshFn: (_c, cb) => {
          refreshes++;
          cb(null, good);
        },
      });
      const out = await stale.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', pollInterval: 50, input: 'Name\nFresh\n' });
      expect(out.successfulResults).to.have.length(1);
      expect(refreshes).to.equal(1);
    });

    it('counts every job request as an API call and jobs against their daily limits', async () => {
      const before = org.limits.counts().total;
      await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', pollInterval: 50, input: 'Name\nA\nB\n' });
      const counts = org.limits.counts();
      expect(counts.byEndpoint).to.include({
        'POST /jobs/ingest': 1,
        'PUT /jobs/ingest/{id}/batches': 1,
        'PATCH /jobs/ingest/{id}': 1,
        'GET /jobs/ingest/{id}/successfulResults': 1,
        'GET /jobs/ingest/{id}/failedResults': 1,
        'GET /jobs/ingest/{id}/unprocessedrecords': 1,
      });
      const polls = counts.byEndpoint['GET /jobs/ingest/{id}']!;
      expect(polls).to.be.at.least(1);
      expect(counts.total - before).to.equal(6 + polls);
      expect(org.limits.usedOf('DailyBulkApiBatches')).to.equal(1);

      for await (const _ of await conn.bulk2.query('SELECT Id FROM Account', { pollInterval: 50 })) void _;
      expect(org.limits.counts().byEndpoint).to.include({ 'POST /jobs/query': 1, 'GET /jobs/query/{id}/results': 1 });
      const limits = await conn.limits();
      expect(limits.DailyBulkV2QueryJobs!.Remaining).to.equal(limits.DailyBulkV2QueryJobs!.Max - 1);
      expect(limits.DailyBulkApiBatches!.Remaining).to.equal(limits.DailyBulkApiBatches!.Max - 1);
      expect(conn.limitInfo?.apiUsage?.used).to.be.greaterThan(0);
    });
  });
});
