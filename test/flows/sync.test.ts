/**
 * The whole sync flow in the real Node-RED runtime: sf-collect → Account, Contact and Opportunity
 * mappings (the templates) in series → sf-upsert-out → sf-sync-status, against the demo orgs of
 * the emulator, with the ledger in a real SQLite file.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from 'jsforce';
import { startDemoEmulator, type Emulator } from '../../emulator/index.js';
import type { StoredRecord } from '../../emulator/store/types.js';
import type { DeadLetter } from '../../lib/ledger/index.js';
import { MAPPING_TEMPLATES, mappingTemplate } from '../../lib/mapping/index.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import type { StatusReport } from '../../lib/status/index.js';
import { connectDirect } from '../support/emulator.js';
import { helper, loadPipeline, outcomeCounts, P, until, type OrgUrls, type Pipeline, type PipelineOptions } from './support.js';

type Row = StoredRecord;

/** The five-level chain Altura Industries → Americas → USA → West → San Francisco Plant, leaf first. */
const LEAF = 'Altura San Francisco Plant';

describe('sync flow: collect → map (Account, Contact, Opportunity) → upsert → status', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let urls: OrgUrls;
  let hqApi: Connection;
  let subsidiaryApi: Connection;
  const dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-flows-'));
  let ledgerPath: string;
  let counter = 0;

  const hq = () => emulator.org('hq');
  const subsidiary = () => emulator.org('subsidiary');
  const subsidiaryCalls = () => subsidiary().limits.counts().total;

  before(async () => {
    emulator = await startDemoEmulator();
    urls = { hq: hq().instanceUrl, subsidiary: subsidiary().instanceUrl };
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Fresh demo data, a new ledger file and a Node-RED runtime, for each group of tests. */
  async function start(): Promise<void> {
    for (const org of emulator.orgs.values()) {
      await emulator.orgUp(org.name);
      org.reset();
    }
    hqApi = connectDirect(emulator, 'hq');
    subsidiaryApi = connectDirect(emulator, 'subsidiary');
    // The write figures count since the process started, as they do in Node-RED: from zero for each group here.
    runtimeContext().metrics.reset();
    ledgerPath = path.join(dir, `ledger-${++counter}.sqlite`);
    helper.settings({ userDir: dir, sfLedgerPath: ledgerPath } as never);
    await new Promise<void>((resolve) => helper.startServer(resolve));
  }
  async function stop(): Promise<void> {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  }

  /** The pipeline as the examples wire it, depth 5 from the leaf. */
  const load = (options: PipelineOptions = {}) => loadPipeline(urls, { collect: { depth: '5' }, ...options });
  const leafId = () => hq().snapshot('Account').find((r) => r.Name === LEAF)!.Id as string;

  /** What the sync of the leaf must bring: the chain up to the root, and the contacts and opportunities of each. */
  function hqRecordsOfChain(): { accounts: Row[]; contacts: Row[]; opportunities: Row[] } {
    const byId = new Map(hq().snapshot('Account').map((r) => [r.Id as string, r]));
    const accounts: Row[] = [];
    for (let a = byId.get(leafId()); a; a = a.ParentId ? byId.get(a.ParentId as string) : undefined) accounts.push(a);
    const ids = new Set(accounts.map((a) => a.Id as string));
    return {
      accounts,
      contacts: hq().snapshot('Contact').filter((c) => ids.has(c.AccountId as string)),
      opportunities: hq().snapshot('Opportunity').filter((o) => ids.has(o.AccountId as string)),
    };
  }

  /** Subsidiary records by the HQ Id they hold, asserting that each HQ record is there once only. */
  function subsidiaryByHqId(object: string): Map<string, Row> {
    const out = new Map<string, Row>();
    for (const r of subsidiary().snapshot(object)) {
      const key = r.HQ_Id__c as string | null;
      if (!key) continue;
      expect(out.has(key), `${object} ${key} twice in the subsidiary`).to.equal(false);
      out.set(key, r);
    }
    return out;
  }

  describe('a five-level account hierarchy with contacts and opportunities', () => {
    let pipeline: Pipeline;
    let chain: ReturnType<typeof hqRecordsOfChain>;

    before(async () => {
      await start();
      // Data that exercises every mapping path: a key account rated Cold (the condition makes it
      // Hot), industries the value map translates or sends to its default, contact countries the
      // language expression looks up, and lookups between contacts and from an opportunity to a
      // contact of another account of the chain.
      const before = hqRecordsOfChain();
      const [leaf, west, usa, , root] = before.accounts;
      await hqApi.sobject('Account').update([
        { Id: root!.Id as string, Rating: 'Cold' },
        { Id: west!.Id as string, Industry: 'Electronics' },
        { Id: usa!.Id as string, Industry: 'Not For Profit', Region__c: null },
      ]);
      const leafContacts = before.contacts.filter((c) => c.AccountId === leaf!.Id);
      const rootContacts = before.contacts.filter((c) => c.AccountId === root!.Id);
      expect(leafContacts.length && rootContacts.length, 'contacts on the leaf and the root').to.be.greaterThan(0);
      await hqApi.sobject('Contact').update([
        { Id: leafContacts[0]!.Id as string, ReportsToId: rootContacts[0]!.Id as string, MailingCountry: 'Germany' },
        { Id: rootContacts[0]!.Id as string, MailingCountry: 'France' },
      ]);
      const leafOpportunity = before.opportunities.find((o) => o.AccountId === leaf!.Id)!;
      await hqApi.sobject('Opportunity').update({ Id: leafOpportunity.Id as string, ContactId: rootContacts[0]!.Id as string });
      chain = hqRecordsOfChain();
      pipeline = await load();
    });
    after(stop);

    it('arrives in the subsidiary with every lookup on the right record and every value mapped as configured', async () => {
      const run = await pipeline.run({ ids: [leafId()] });
      expect(run.summary.objects).to.deep.equal({ Account: 5, Contact: chain.contacts.length, Opportunity: chain.opportunities.length });
      const total = 5 + chain.contacts.length + chain.opportunities.length;
      expect(outcomeCounts(run.results)).to.deep.equal({ created: total });
      expect(run.deadLettered).to.deep.equal([]);
      expect(run.rejected).to.deep.equal([]);
      expect(run.errors).to.deep.equal([]);

      const accounts = subsidiaryByHqId('Account');
      const contacts = subsidiaryByHqId('Contact');
      const opportunities = subsidiaryByHqId('Opportunity');
      /** The subsidiary Id of the record that holds this HQ Id (null for an empty lookup). */
      const target = (map: Map<string, Row>, hqId: unknown) => (hqId ? map.get(hqId as string)!.Id : null);

      const tiers: Record<string, string> = { Gold: 'Platinum', Silver: 'Standard', Bronze: 'Basic' };
      const industries = MAPPING_TEMPLATES.Account.fields.find((f) => f.target === 'Industry')!.valueMap!.values;
      for (const a of chain.accounts) {
        const s = accounts.get(a.Id as string);
        expect(s, `${String(a.Name)} in the subsidiary`).to.not.equal(undefined);
        expect(s!.ParentId, `${String(a.Name)}.ParentId`).to.equal(target(accounts, a.ParentId));
        expect(s).to.include({
          Name: a.Name, Type: a.Type, Phone: a.Phone, BillingCity: a.BillingCity, BillingCountry: a.BillingCountry, AccountNumber: a.AccountNumber,
          Website: a.Website, NumberOfEmployees: a.NumberOfEmployees, AnnualRevenue: a.AnnualRevenue, Description: a.Description, Ownership: a.Ownership,
          Service_Level__c: tiers[a.Customer_Tier__c as string],
          Industry: industries[a.Industry as string] ?? 'Other',
          Rating: a.Key_Account__c ? 'Hot' : a.Rating,
          Site: a.Region__c ? `HQ ${String(a.Region__c)}` : null,
        });
      }
      // The cases the test data set up, spelled out.
      const [leaf, west, usa, americas, root] = chain.accounts.map((a) => accounts.get(a.Id as string)!);
      expect([root!.ParentId, americas!.ParentId, usa!.ParentId, west!.ParentId, leaf!.ParentId]).to.deep.equal([null, root!.Id, americas!.Id, usa!.Id, west!.Id]);
      expect(root).to.include({ Rating: 'Hot', Service_Level__c: 'Platinum', Industry: 'Manufacturing', Site: 'HQ North America' });
      expect(west).to.include({ Industry: 'Technology' });
      expect(usa).to.include({ Industry: 'Other', Site: null });

      const languages: Record<string, string> = { Germany: 'German', France: 'French' };
      for (const c of chain.contacts) {
        const s = contacts.get(c.Id as string)!;
        expect(s, `contact ${String(c.LastName)}`).to.not.equal(undefined);
        expect(s.AccountId).to.equal(target(accounts, c.AccountId));
        expect(s.ReportsToId).to.equal(target(contacts, c.ReportsToId));
        expect(s).to.include({
          FirstName: c.FirstName, LastName: c.LastName, Title: c.Title, Email: c.Email, Phone: c.Phone, MailingCity: c.MailingCity,
          MailingCountry: c.MailingCountry, Language__c: languages[c.MailingCountry as string] ?? 'English',
        });
      }
      expect(chain.contacts.filter((c) => c.ReportsToId).map((c) => contacts.get(c.Id as string)!.ReportsToId)).to.have.length(1).and.not.include(null);

      for (const o of chain.opportunities) {
        const s = opportunities.get(o.Id as string)!;
        expect(s, `opportunity ${String(o.Name)}`).to.not.equal(undefined);
        expect(s.AccountId).to.equal(target(accounts, o.AccountId));
        expect(s.ContactId).to.equal(target(contacts, o.ContactId));
        expect(s).to.include({ Name: o.Name, StageName: o.StageName, CloseDate: o.CloseDate, Amount: o.Amount, Term_Months__c: o.Contract_Term_Months__c });
      }
      expect(chain.opportunities.filter((o) => o.ContactId)).to.have.length(1);

      // Every written record is stamped in the ledger's history: sync status counts them.
      const report = (await pipeline.report()).payload as StatusReport;
      const synced = Object.fromEntries(report.objects.map((o) => [o.object, o.synced]));
      expect(synced).to.deep.equal({ Account: 5, Contact: chain.contacts.length, Opportunity: chain.opportunities.length });
      expect(report.totals.apiCalls, 'API calls counted from the write metrics').to.equal(run.writes.reduce((n, w) => n + w.apiCalls, 0));
    });

    it('writes nothing when the same sync runs again: no API call to the subsidiary', async () => {
      const calls = subsidiaryCalls();
      const run = await pipeline.run({ ids: [leafId()] });
      expect(outcomeCounts(run.results)).to.deep.equal({ unchanged: 5 + chain.contacts.length + chain.opportunities.length });
      expect(run.writes.every((w) => w.apiCalls === 0)).to.equal(true);
      expect(subsidiaryCalls() - calls).to.equal(0);
      const report = (await pipeline.report()).payload as StatusReport;
      expect(report.objects.find((o) => o.object === 'Account')).to.include({ synced: 5, skipped: 5, deadLettered: 0 });
    });
  });

  describe('when the subsidiary refuses a record', () => {
    before(start);
    after(stop);

    it('dead-letters it with the org\'s reason while the rest of the run is written', async () => {
      const pipeline = await load();
      await pipeline.run({ ids: [leafId()] });
      const [leaf, west, , , root] = hqRecordsOfChain().accounts;
      // Someone deletes the leaf's parent in the subsidiary; the leaf changes in HQ, so it is written
      // again, to a parent the subsidiary has in its recycle bin. The root changes too.
      const westInSubsidiary = subsidiaryByHqId('Account').get(west!.Id as string)!;
      await subsidiaryApi.sobject('Account').destroy(westInSubsidiary.Id as string);
      await hqApi.sobject('Account').update([
        { Id: leaf!.Id as string, Phone: '+1 415 555 0100' },
        { Id: root!.Id as string, Description: 'Group headquarters, Chicago.' },
      ]);

      const run = await pipeline.run({ ids: [leafId()] });
      const byId = new Map(run.results.map((r) => [r.sourceId, r]));
      expect(byId.get(leaf!.Id as string)).to.deep.include({ outcome: 'dead-lettered' });
      expect(byId.get(leaf!.Id as string)!.error).to.deep.include({ code: 'ENTITY_IS_DELETED', category: 'permanent', fields: ['ParentId'] });
      expect(byId.get(root!.Id as string)).to.include({ outcome: 'updated' });
      expect(outcomeCounts(run.results)).to.deep.equal({ 'dead-lettered': 1, updated: 1, unchanged: run.results.length - 2 });
      expect(run.deadLettered.map((r) => r.sourceId)).to.deep.equal([leaf!.Id]);
      expect(run.errors).to.deep.equal([]);
      expect(subsidiaryByHqId('Account').get(root!.Id as string)!.Description).to.equal('Group headquarters, Chicago.');

      // The letter in the ledger, with the reason and the record to replay.
      const listed = await helper.request().get('/sf-upsert-out/dead-letters?status=open').expect(200);
      const letters = (listed.body as { letters: DeadLetter[] }).letters;
      expect(letters).to.have.length(1);
      expect(letters[0]).to.include({ sourceId: leaf!.Id, object: 'Account', errorCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', category: 'permanent', status: 'open' });
      expect(letters[0]!.fields).to.deep.equal(['ParentId']);

      // Sync status names it as the object's last error, and exports it.
      const report = (await pipeline.report()).payload as StatusReport;
      const accounts = report.objects.find((o) => o.object === 'Account')!;
      expect(accounts).to.include({ deadLettered: 1 });
      expect(accounts.lastError).to.include({ code: 'ENTITY_IS_DELETED', category: 'permanent' });
      const csv = (await pipeline.report('dead-letters-csv')).payload as string;
      expect(csv.trim().split('\n')).to.have.length(2);
      expect(csv).to.contain(leaf!.Id as string).and.contain('ENTITY_IS_DELETED');
    });
  });

  describe('when the subsidiary locks records and sessions expire', () => {
    before(start);
    after(stop);

    it('retries the locked records and logs in again, and writes the whole run', async () => {
      const pipeline = await load();
      await pipeline.run({ ids: [leafId()] });
      const chain = hqRecordsOfChain();
      await hqApi.sobject('Account').update(chain.accounts.map((a, i) => ({ Id: a.Id as string, Description: `Changed ${i}` })));
      await hqApi.sobject('Contact').update(chain.contacts.map((c) => ({ Id: c.Id as string, Title: 'Director' })));
      const inSubsidiary = subsidiaryByHqId('Account');
      const locked = chain.accounts.slice(0, 2).map((a) => inSubsidiary.get(a.Id as string)!.Id as string);
      // Two refusals each: the writer's third attempt gets through (it allows five).
      subsidiary().faults.lockRecords(locked, 2);
      // Both orgs' sessions die before the run, and the subsidiary's again once its first batch is in.
      hq().sessions.expireAll();
      subsidiary().sessions.expireAll();
      let expired = 0;
      (helper.getNode(P.results) as unknown as NodeJS.EventEmitter).once('input', () => (expired = subsidiary().sessions.expireAll()));

      const run = await pipeline.run({ ids: [leafId()] });
      expect(expired, 'sessions expired mid-run').to.be.greaterThan(0);
      expect(run.errors).to.deep.equal([]);
      expect(run.deadLettered).to.deep.equal([]);
      expect(outcomeCounts(run.results)).to.deep.equal({ updated: 5 + chain.contacts.length, unchanged: chain.opportunities.length });
      const attempts = new Map(run.results.map((r) => [r.sourceId, r.attempts]));
      for (const a of chain.accounts.slice(0, 2)) expect(attempts.get(a.Id as string), `attempts for ${String(a.Name)}`).to.be.at.least(3);
      expect(run.writes.reduce((n, w) => n + w.resends, 0)).to.be.greaterThan(0);
      expect(subsidiary().faults.lockedIds()).to.deep.equal([]);
      const after = subsidiaryByHqId('Account');
      chain.accounts.forEach((a, i) => expect(after.get(a.Id as string)!.Description).to.equal(`Changed ${i}`));
      for (const c of chain.contacts) expect(subsidiaryByHqId('Contact').get(c.Id as string)!.Title).to.equal('Director');
    });
  });

  describe('with a slow subsidiary and many batches', () => {
    beforeEach(start);
    afterEach(stop);

    // sf-collect reads far faster than the slow subsidiary is written, and sf-upsert-out keeps at
    // most 20 batches waiting: without acknowledgements the rest would be refused as busy.
    const wholeObject = { collect: { mode: 'all', depth: '1', batchSize: '4' } };
    const slowWrites = () => subsidiary().faults.add({ path: 'composite/sobjects', action: { type: 'latency', ms: 40 } });

    /** The most batches sf-collect had out and unacknowledged at once while `during` ran. */
    async function peakInFlight<T>(during: () => Promise<T>): Promise<{ peak: number; result: T }> {
      let peak = 0;
      const sample = setInterval(() => (peak = Math.max(peak, runtimeContext().source(P.collect)?.inFlight ?? 0)), 2);
      try {
        const result = await during();
        return { peak, result };
      } finally {
        clearInterval(sample);
      }
    }

    it('writes every batch with nothing in front of the mappers: sf-collect waits for the writer to acknowledge its batches', async () => {
      const pipeline = await load(wholeObject);
      slowWrites();
      const { peak, result: run } = await peakInFlight(() => pipeline.run(Date.now()));
      expect(run.summary.batches).to.be.greaterThan(25);
      expect(run.errors).to.deep.equal([]);
      expect(run.results).to.have.length(run.summary.records);
      for (const object of ['Account', 'Contact', 'Opportunity']) expect(subsidiaryByHqId(object).size).to.equal(hq().snapshot(object).length);
      // At most the window (In flight, 4 by default) was ever out unwritten, and the window was used.
      expect(peak).to.be.within(2, 4);
      expect(runtimeContext().source(P.collect)).to.deep.include({ inFlight: 0, settled: run.summary.batches, failed: 0, released: 0 });
    });

    it('keeps to a window of one batch when In flight is 1', async () => {
      const pipeline = await load({ collect: { ...wholeObject.collect, inFlight: '1' } });
      slowWrites();
      const { peak, result: run } = await peakInFlight(() => pipeline.run(Date.now()));
      expect(run.errors).to.deep.equal([]);
      expect(run.results).to.have.length(run.summary.records);
      expect(peak).to.equal(1);
    });
  });

  describe('with a malformed mapping', () => {
    beforeEach(start);
    afterEach(stop);

    /** What a node reported through node.error() and its last status. */
    function reported(id: string): { errors: string[]; status?: { fill: string; text: string } } {
      const node = helper.getNode(id) as unknown as Record<'error' | 'status', { args: unknown[][]; thisValues: unknown[] }>;
      const mine = (spy: { args: unknown[][]; thisValues: unknown[] }) => spy.args.filter((_a, i) => spy.thisValues[i] === node);
      return {
        errors: mine(node.error).map((a) => String(a[0])),
        status: mine(node.status).at(-1)?.[0] as { fill: string; text: string } | undefined,
      };
    }

    it('refuses it at deploy, naming the problem, and every batch fails through Catch with nothing written', async () => {
      const contact = mappingTemplate('Contact');
      contact.fields = contact.fields.map((f) => (f.target === 'Language__c' ? { ...f, target: 'Langauge__c' } : f));
      const pipeline = await load({ mappings: { Contact: contact } });
      await until(() => reported(P.mapContact).status?.fill === 'red', 'the Contact mapper to turn red');
      const refused = reported(P.mapContact);
      expect(refused.errors).to.have.length(1);
      expect(refused.errors[0]).to.match(/Langauge__c/).and.match(/Language__c/);
      await until(() => reported(P.mapAccount).status?.fill === 'green', 'the Account mapper to compile');
      expect(reported(P.mapAccount).errors).to.deep.equal([]);

      const calls = subsidiaryCalls();
      const run = await pipeline.run({ ids: [leafId()] });
      expect(run.results).to.deep.equal([]);
      expect(run.errors).to.have.length(run.summary.batches);
      for (const e of run.errors) {
        expect(e.error!.source).to.include({ id: P.mapContact, type: 'sf-map-fields' });
        expect(e.error!.message).to.match(/Langauge__c/);
      }
      expect(subsidiaryCalls() - calls, 'API calls to the subsidiary').to.equal(0);
      expect(subsidiary().snapshot('Account').filter((r) => r.HQ_Id__c === leafId())).to.deep.equal([]);
      // The mapper failed each batch as a whole, which acknowledges it: sf-collect did not wait for a writer.
      expect(runtimeContext().source(P.collect)).to.deep.include({ inFlight: 0, failed: run.summary.batches, settled: 0, released: 0 });
    });

    it('refuses a document that is not a mapping, or not JSON, with what is wrong', async () => {
      const broken = { ...mappingTemplate('Opportunity'), match: { by: 'externalId' }, fields: [{ source: 'Name' }] };
      await load({ mappings: { Opportunity: JSON.stringify(broken), Account: '{"format": "orgbridge-mapping/1", ' } });
      await until(() => reported(P.mapOpportunity).status?.fill === 'red' && reported(P.mapAccount).status?.fill === 'red', 'both mappers to turn red');
      const opportunity = reported(P.mapOpportunity).errors.join('\n');
      expect(opportunity).to.match(/fields\/0|fields\[0\]/).and.match(/target/);
      expect(opportunity).to.match(/match/);
      expect(reported(P.mapAccount).errors.join('\n')).to.match(/JSON/i);
      expect(reported(P.mapContact).status?.fill).to.not.equal('red');
    });
  });
});
