/**
 * Bulk API 2.0 query jobs read through BulkQuery, against the emulator over real HTTP: the job's
 * life, results page by page by Sforce-Locator in bounded slices, going on from a locator, a
 * refused query, and a session that expires between pages.
 */
import { expect } from 'chai';
import { bulkLoad } from '../../../emulator/data/bulk-load.js';
import { startDemoEmulator, type Emulator } from '../../../emulator/index.js';
import { OrgConnection } from '../../../lib/connection/org-connection.js';
import { LocatorTracker } from '../../../lib/bulk/locator-tracker.js';
import { BulkQuery, type BulkResultSlice } from '../../../lib/salesforce/bulk-query.js';
import { bulkRowConverter } from '../../../lib/salesforce/bulk-values.js';
import { OrgApi } from '../../../lib/salesforce/org-api.js';
import { OrgCallError } from '../../../lib/salesforce/errors.js';
import { demoOrgConnection, PASSWORD, settingsFor } from '../../support/connection.js';
import { control, restoreOrgs, startTestEmulator } from '../../support/emulator.js';

const ROWS = 5_000;
const noWait = async () => undefined;

describe('Bulk API 2.0 query jobs (BulkQuery)', function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let oc: OrgConnection;

  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.stop());
  beforeEach(async () => {
    await restoreOrgs(emulator);
    bulkLoad(emulator.org('alpha'), 'Account', Array.from({ length: ROWS }, (_, i) => ({ Name: `Bulk ${String(i).padStart(5, '0')}`, NumberOfEmployees: i })));
    oc = new OrgConnection(settingsFor(emulator), PASSWORD);
  });
  afterEach(() => oc.close());

  async function completedJob(bq: BulkQuery, soql = 'SELECT Id, Name, NumberOfEmployees FROM Account ORDER BY Name') {
    const job = await bq.create(soql, 'reading accounts');
    expect(job.state).to.equal('UploadComplete');
    return bq.waitForResults(job.id, 'reading accounts');
  }

  it('reads every row page by page in bounded slices, each page fetched only when asked for', async () => {
    let calls = 0;
    const bq = new BulkQuery(oc, { pageSize: 2_000, sliceSize: 500, pollMs: 5, sleep: noWait, onCall: () => calls++ });
    const job = await completedJob(bq);
    expect(job.numberRecordsProcessed).to.equal(ROWS);
    const slices: BulkResultSlice[] = [];
    const before = calls;
    for await (const s of bq.results(job.id, 'reading accounts')) {
      slices.push(s);
      expect(s.rows.length).to.be.at.most(500).and.greaterThan(0);
      if (slices.length === 1) expect(calls - before, 'one page asked for').to.equal(1);
    }
    expect(calls - before, 'three pages').to.equal(3);
    const rows = slices.flatMap((s) => s.rows);
    expect(rows).to.have.length(ROWS);
    expect(rows[0]).to.deep.include({ Name: 'Bulk 00000', NumberOfEmployees: '0' });
    expect(new Set(rows.map((r) => r.Id)).size).to.equal(ROWS);
    const ends = slices.filter((s) => s.endOfPage);
    expect(ends.map((s) => s.next === null)).to.deep.equal([false, false, true]);
    expect(ends[0]!.locator).to.equal('');
    expect(ends[1]!.locator).to.equal(ends[0]!.next);
  });

  it('goes on from the locator of the last page finished, and reads nothing twice', async () => {
    const bq = new BulkQuery(oc, { pageSize: 2_000, pollMs: 5, sleep: noWait });
    const job = await completedJob(bq);
    const seen: string[] = [];
    let resumeAt = '';
    for await (const s of bq.results(job.id, 'reading accounts')) {
      seen.push(...s.rows.map((r) => r.Id!));
      if (s.endOfPage) {
        resumeAt = s.next!;
        break;
      }
    }
    expect(seen).to.have.length(2_000);
    // A restart: a new reader, the same job, from the kept locator.
    const again = new BulkQuery(new OrgConnection(settingsFor(emulator), PASSWORD), { pageSize: 2_000 });
    for await (const s of again.results(job.id, 'reading accounts', resumeAt)) seen.push(...s.rows.map((r) => r.Id!));
    expect(seen).to.have.length(ROWS);
    expect(new Set(seen).size).to.equal(ROWS);
  });

  it('resumes, with the locator tracker, after the last page every batch of which was written', async () => {
    const bq = new BulkQuery(oc, { pageSize: 2_000, sliceSize: 500, pollMs: 5, sleep: noWait });
    const job = await completedJob(bq);
    const tracker = new LocatorTracker();
    const written = new Set<string>();
    const inFlight: Array<{ page: ReturnType<LocatorTracker['handedOut']>; ids: string[] }> = [];
    let slices = 0;
    for await (const s of bq.results(job.id, 'reading accounts')) {
      inFlight.push({ page: tracker.handedOut(s.locator, s.next, s.rows.length, s.endOfPage), ids: s.rows.map((r) => r.Id!) });
      // Nine of the ten slices (4 + 4 + 2) are handed out and written, last first; then a crash.
      if (++slices === 9) break;
    }
    for (const b of inFlight.reverse()) {
      for (const id of b.ids) written.add(id);
      tracker.done(b.page);
    }
    // Pages 1 and 2 (4,000 rows) are fully written; page 3 was only partly handed out.
    expect(written.size).to.equal(4_500);
    expect(tracker.resumePoint.records).to.equal(4_000);
    const resumed: string[] = [];
    const again = new BulkQuery(new OrgConnection(settingsFor(emulator), PASSWORD), { pageSize: 2_000 });
    for await (const s of again.results(job.id, 'reading accounts', tracker.resumePoint.locator!)) resumed.push(...s.rows.map((r) => r.Id!));
    expect(resumed).to.have.length(ROWS - 4_000);
    expect(new Set([...written, ...resumed]).size, 'every row read, the written pages not again').to.equal(ROWS);
  });

  it('renews a session that expired between pages and reads on', async () => {
    const bq = new BulkQuery(oc, { pageSize: 2_000, pollMs: 5, sleep: noWait });
    const job = await completedJob(bq);
    let rows = 0;
    let expired = false;
    for await (const s of bq.results(job.id, 'reading accounts')) {
      rows += s.rows.length;
      if (s.endOfPage && !expired) {
        expired = true;
        await control(emulator, 'POST', '/orgs/alpha/sessions/expire');
      }
    }
    expect(rows).to.equal(ROWS);
  });

  it('refuses a query the platform does not run in a Bulk job, with its reason', async () => {
    const bq = new BulkQuery(oc, { pollMs: 5, sleep: noWait });
    const err = await bq.create('SELECT COUNT() FROM Account', 'counting accounts').then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OrgCallError);
    expect((err as Error).message).to.match(/^counting accounts: /);
    expect((err as OrgCallError).code).to.not.equal('UNKNOWN');
  });
});

describe('Bulk API 2.0 results as REST values (bulkRowConverter)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let oc: OrgConnection;

  before(async () => {
    emulator = await startDemoEmulator();
    oc = demoOrgConnection(emulator, 'hq');
  });
  after(async () => {
    oc.close();
    await emulator.stop();
  });

  for (const object of ['Account', 'Contact', 'Opportunity']) {
    it(`reads ${object} records in bulk exactly as REST gives them, field type by field type`, async () => {
      const api = new OrgApi(oc);
      const describe = await api.describe(object);
      // Compound fields (addresses) are not queryable in Bulk jobs; their parts are.
      const fields = describe.fields.filter((f) => f.type !== 'address' && f.type !== 'location');
      const soql = `SELECT ${fields.map((f) => f.name).join(', ')} FROM ${object} ORDER BY Id LIMIT 300`;
      const rest = (await api.rows<Record<string, unknown>>(soql, `reading ${object}`)).map(({ attributes: _a, ...r }) => r);
      const bq = new BulkQuery(oc, { pollMs: 5, sleep: noWait });
      const job = await bq.create(soql, `reading ${object}`);
      await bq.waitForResults(job.id, `reading ${object}`);
      const convert = bulkRowConverter(fields);
      const bulk: Array<Record<string, unknown>> = [];
      for await (const s of bq.results(job.id, `reading ${object}`)) bulk.push(...s.rows.map(convert));
      expect(bulk).to.have.length(rest.length).and.length.greaterThan(0);
      const types = new Set(fields.map((f) => f.type));
      expect([...types], 'a spread of field types').to.include.members(['id', 'string', 'datetime', 'boolean', 'reference', 'picklist']);
      for (let i = 0; i < rest.length; i++) expect(bulk[i], `${object} ${String(rest[i]!.Id)}`).to.deep.equal(rest[i]);
    });
  }
});
